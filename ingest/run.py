"""A run's lifecycle for one site: the site lock, the run record, heartbeats, stopping, and a
fixed set of workers taking the planned dates in order.

The work on each date is ``pipeline.DayPipeline``'s; this module only decides which dates run,
keeps the run's counts (``tally.RunTally``), and closes the record with its status however the run
ends. Expected failures are the pipeline's to catch per date; anything else ends the run as
``failed`` and is re-raised.

Each worker passes the run's ``gate.StorageGate`` before each date: a full store stops the
run (``failed``, "storage full ..."), an unreachable database holds the workers until it is
back, and the date that met the outage goes back to the front of the queue, neither failed nor
lost. An outage longer than ``database.outage_timeout`` ends the run ``failed``; its record is
written when the database returns within as long again, else the next run marks it abandoned.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

import structlog
from sqlalchemy import Connection

from ingest import run_record
from ingest.archive import WarcFiles, run_files
from ingest.domain import DayOutcome, RunKind, RunStatus, utc_now
from ingest.errors import (
    DatabaseUnavailableError,
    SiteBusyError,
    SiteHolderSilentError,
    StorageError,
    StorageFullError,
)
from ingest.fetch import Fetcher, Hosts, Transport
from ingest.gate import StorageGate
from ingest.listing import check_site_index
from ingest.periods import LayoutPeriods
from ingest.planning import DateQueue, dates_in_flight
from ingest.settings import ArchiveSettings, HealthSettings, SiteSettings
from ingest.sources import day_pipeline, run_sources
from ingest.store import figures, liveness, runs
from ingest.store.engine import Database
from ingest.tally import DayResult, Progress, RunSummary, RunTally
from ingest.turns import Turns

log = structlog.get_logger("ingest.run")

# How often a backfill waiting for a busy site tries its lock again.
LOCK_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class CrawlDeps:
    """The side effects a run needs, injected so tests can hand in their own."""

    database: Database
    clock: Callable[[], datetime] = utc_now
    on_progress: Callable[[Progress], None] | None = None
    # Set from another thread (a signal handler) to stop the run: no new date starts, the
    # dates in flight are dropped uncommitted, and the run ends as interrupted.
    stop: threading.Event | None = None
    # How often the run writes its heartbeat; watched silent for longer than its stale limit,
    # it is taken for dead by other processes (``liveness``).
    heartbeat: timedelta = liveness.HEARTBEAT_EVERY
    # The turns the runs' CPU work takes (``turns``): shared by the sites crawled side by side.
    turns: Turns = field(default_factory=Turns)
    # The process's host slots and robots.txt reads (``fetch.hosts``): sites on one host share
    # its strictest limits.
    hosts: Hosts = field(default_factory=Hosts)
    # What answers the run's requests, for a site: None, the network (an ``AiohttpTransport``);
    # ``ingest reparse`` hands in the site's WARC files (``archive.WarcReplay``).
    transport: Callable[[SiteSettings], Transport] | None = None
    # Where every response is kept as WARC (``archive``); off unless the settings say so.
    archive: ArchiveSettings = field(default_factory=lambda: ArchiveSettings(enabled=False))
    # The quiet signals' thresholds: the site's health figures are counted with them as the
    # run ends (``store.figures``); a health check with others counts afresh.
    health: HealthSettings = field(default_factory=HealthSettings)
    # Whether a run looks for abandoned runs before it opens its own: the daemon's poll does
    # every few seconds, so its runs need not (a transaction a run, at 10,000 sites).
    marks_abandoned: bool = True
    # Written in the run's close transaction, with the run's id: the daemon releases its claim
    # of the site there (``SiteRun.record_saved`` says whether that transaction committed).
    on_close: Callable[[Connection, int], None] | None = None


class SiteRun:
    """One run of one site over a range of dates."""

    def __init__(
        self,
        site: SiteSettings,
        deps: CrawlDeps,
        kind: RunKind,
        first: date,
        last: date,
        *,
        force: bool = False,
    ) -> None:
        self.site = site
        self.deps = deps
        self.kind = kind
        self.first, self.last, self.force = first, last, force
        self.skip_complete = kind is RunKind.BACKFILL and not force
        self.owner = liveness.this_owner()
        self.stopped = False
        self.tally = RunTally()
        self.run_id = 0
        self.gate: StorageGate | None = None
        self.record_saved = False  # the close committed (with ``CrawlDeps.on_close``)
        # Planned dates without a state row when the run began: nothing stored to read first;
        # and those complete then.
        self.never_crawled: set[date] = set()
        self.complete: set[date] = set()

    async def execute(self) -> RunSummary:
        started = time.perf_counter()
        site = self.site
        opened = await self._open_run()
        self.run_id = run_id = opened.run_id
        planned, skipped = opened.planned, opened.skipped
        self.never_crawled, self.complete = opened.never_crawled, opened.complete
        with structlog.contextvars.bound_contextvars(run_id=run_id, site=site.name):
            # A scheduled run's start at DEBUG: its run_finished says all an operator needs,
            # one INFO line a poll (at 10,000 sites hourly, each line is 240,000 a day).
            (log.debug if self.kind is RunKind.SCHEDULED else log.info)(
                "run_started",
                kind=self.kind.value,
                date_from=self.first.isoformat(),
                date_to=self.last.isoformat(),
                force=self.force,
            )
            status = RunStatus.FAILED
            self.gate = gate = StorageGate(
                self.deps.database,
                outage_timeout=self.deps.database.outage_timeout,
                on_back=self._beat,
                # Back within a quarter heartbeat of the database: well inside the stale limit.
                probe_max_wait=self.deps.heartbeat / 4,
            )
            try:
                await self._crawl_dates(planned)
                status = RunStatus.INTERRUPTED if self.stopped else self.tally.status()
                if gate.reason is not None and not self.stopped:
                    status = RunStatus.FAILED
                    self.tally.errors.insert(0, gate.reason)
            except (asyncio.CancelledError, KeyboardInterrupt):
                status = RunStatus.INTERRUPTED
                self.tally.errors.insert(0, "interrupted")
                raise
            except Exception as exc:
                log.exception("run_crashed", error=f"{type(exc).__name__}: {exc}")
                self.tally.errors.insert(0, f"{type(exc).__name__}: {exc}")
                raise
            finally:
                gate.close()
                await gate.wait_closed()
                duration = time.perf_counter() - started
                await self._finish(status, duration)
        return RunSummary(
            site=site.name,
            run_id=run_id,
            status=status,
            counts=self.tally.counts,
            dates_total=len(planned) + skipped,
            dates_skipped=skipped,
            failed_dates=tuple(sorted(self.tally.failed)),
            duration_seconds=duration,
            reason=None if self.stopped else gate.reason,
        )

    async def _open_run(self) -> run_record.OpenedRun:
        """Take the site's lock and open the run record with its plan (``run_record``, on a
        thread); a backfill waits for a busy site."""
        site, db = self.site, self.deps.database
        waiting = False
        while True:
            if self.deps.marks_abandoned:
                abandoned = await asyncio.to_thread(run_record.mark_abandoned, db)
                if abandoned:
                    log.warning("runs_abandoned", run_ids=abandoned)
            try:
                return await asyncio.to_thread(run_record.open_run, db, site.name, self.owner,
                                               self.kind, self.first, self.last,
                                               skip_complete=self.skip_complete)  # fmt: skip
            except SiteBusyError as exc:
                # A silent holder on another host is watched until it is known dead or alive.
                watching = isinstance(exc, SiteHolderSilentError)
                waits = self.kind in (RunKind.BACKFILL, RunKind.REPARSE)
                if not (watching or waits) or self._stop_requested():
                    raise
                if not waiting:
                    log.info("waiting_for_site_lock", site=site.name, reason=str(exc))
                    waiting = True
                await asyncio.sleep(LOCK_POLL_SECONDS)

    async def _finish(self, status: RunStatus, duration: float) -> None:
        tally = self.tally
        summary = "; ".join(tally.errors[:5])[:2000] or None
        # An unreachable database gets as long again as a run waits for it, unless the run
        # is being stopped: then the next run marks the record abandoned.
        outage = self.deps.database.outage_timeout.total_seconds()
        patience = 0.0 if status is RunStatus.INTERRUPTED else outage
        deadline = time.monotonic() + patience
        wait = 0.25
        while True:
            try:
                recorded = await asyncio.to_thread(self._close_record, status, summary)
                tally.closed(recorded)  # what the summary reports is the record's own figures
                self.record_saved = True
                break
            except DatabaseUnavailableError as exc:
                if time.monotonic() + wait > deadline:
                    log.error("run_record_not_saved", reason=str(exc))
                    break
                await asyncio.sleep(wait)
                wait = min(wait * 2, 1.0)
            except StorageError as exc:
                log.error("run_record_not_saved", reason=str(exc))
                break
        log.info(
            "run_finished",
            status=status.value,
            kind=self.kind.value,
            date_from=self.first.isoformat(),
            date_to=self.last.isoformat(),
            duration_seconds=round(duration, 3),
            failed_dates=[d.isoformat() for d in sorted(tally.failed)],
            **asdict(tally.counts),
        )

    def _close_record(self, status: RunStatus, summary: str | None) -> runs.RunCounts:
        tally, on_close, run_id = self.tally, self.deps.on_close, self.run_id
        also = None if on_close is None else lambda conn: on_close(conn, run_id)
        # Only 304s, each on a date complete as the run opened: no date's figures changed.
        only_304s = (
            tally.counts.dates_failed == 0
            and tally.counts.dates_done == len(tally.unchanged)
            and all(checked.day in self.complete for checked in tally.unchanged)
        )
        return run_record.close_run(
            self.deps.database, run_id, self.site.name, self.owner, status=status,
            counts=tally.unstored + tally.deferred, error_summary=summary, now=self.deps.clock(),
            quiet=self._quiet_basis(), unchanged=tally.unchanged, also=also,
            changed_nothing=only_304s,
        )  # fmt: skip

    def _quiet_basis(self) -> figures.QuietBasis:
        return figures.QuietBasis.of(self.deps.health, self.site.current_layout_since)

    async def _crawl_dates(self, planned: list[date]) -> None:
        if not planned:
            return
        work = asyncio.create_task(self._fetch_and_store(planned))
        watchers = [
            asyncio.create_task(self._watch_stop(work)),
            asyncio.create_task(self._heartbeats()),
        ]
        try:
            await work
        except asyncio.CancelledError:
            if not self.stopped:
                raise
        finally:
            for watcher in watchers:
                watcher.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)

    async def _fetch_and_store(self, planned: list[date]) -> None:
        warc = run_files(self.deps.archive, self.site.name, self.run_id)
        try:
            await self._fetch_and_store_with(planned, warc)
        except StorageFullError as exc:  # the archive's disk, before any date (robots.txt)
            assert self.gate is not None
            self.gate.failed(exc)
        finally:
            if warc is not None:
                # Its fsyncs and renames on a thread: they would stall every run on the loop.
                await asyncio.to_thread(warc.close)

    async def _fetch_and_store_with(self, planned: list[date], warc: WarcFiles | None) -> None:
        site, http = self.site, self.site.http
        async with contextlib.AsyncExitStack() as stack:
            transport = self.deps.transport(site) if self.deps.transport is not None else None
            if transport is not None:
                stack.push_async_callback(transport.aclose)  # handed in, so closed here
            fetcher = await stack.enter_async_context(
                Fetcher(site, http, self.deps.hosts, transport=transport, capture=warc)
            )
            self.tally.stats = fetcher.stats
            await fetcher.load_robots()
            shared = run_sources(site, fetcher, self.deps.turns, self.deps.database)
            pipelines = LayoutPeriods(  # one per layout the site has had: a day is read by its own
                site,
                lambda layout: day_pipeline(
                    site,
                    layout,
                    fetcher,
                    self.deps.database,
                    run_id=self.run_id,
                    tally=self.tally,
                    conditional=not self.force,
                    clock=self.deps.clock,
                    turns=self.deps.turns,
                    never_crawled=self.never_crawled,
                    archive=warc,
                    **shared,
                ),
            )
            await asyncio.gather(*(check_site_index(p.layout, fetcher) for p in pipelines))
            # A fixed set of workers takes the dates in order from one iterator, so memory
            # does not grow with the length of the range.
            workers = min(dates_in_flight(fetcher.concurrency), len(planned))
            total = len(planned)
            days = DateQueue(planned)
            gate = self.gate
            assert gate is not None

            async def worker() -> None:
                # Past the gate only while the database can store the date.
                while await gate.admit():
                    day = days.take()
                    if day is None:
                        return
                    try:
                        if self.force and self.kind is not RunKind.REPARSE:
                            # A forced run reads nothing before its first fetch: touch the
                            # database first, so an outage costs no page. (A reparse's pages
                            # cost no request: the commit finds an outage soon enough.)
                            self.deps.database.ping()
                        result = await pipelines.on(day).crawl_day(day)
                    except DatabaseUnavailableError as exc:
                        gate.failed(exc)
                        days.back(day)
                        log.info("date_deferred", date=day.isoformat(), reason=str(exc))
                        continue
                    except StorageFullError as exc:
                        gate.failed(exc)
                        result = DayResult(day, DayOutcome(), 0, "not stored: storage full")
                        log.error("date_failed", date=day.isoformat(), error=str(exc),
                                  error_type=type(exc).__name__)  # fmt: skip
                        self.tally.settle(self.tally.increment(result), stored=False)
                    self._record(result, total)

            results = await asyncio.gather(
                *(worker() for _ in range(workers)), return_exceptions=True
            )
            for outcome in results:
                if isinstance(outcome, BaseException):
                    raise outcome

    def _record(self, result: DayResult, total: int) -> None:
        self.tally.record(result)
        if self.deps.on_progress is not None:
            counts = self.tally.counts
            done = counts.dates_done + counts.dates_failed
            self.deps.on_progress(Progress(self.site.name, done, total, counts.articles_new))

    def _stop_requested(self) -> bool:
        self.stopped = self.stopped or (self.deps.stop is not None and self.deps.stop.is_set())
        return self.stopped

    async def _watch_stop(self, work: asyncio.Task[None]) -> None:
        while not self._stop_requested():  # noqa: ASYNC110 (a threading.Event, set by a signal)
            await asyncio.sleep(0.1)
        log.warning("run_stopping", reason="stop requested", dates_in_flight="dropped")
        work.cancel()

    def _beat(self) -> None:
        run_record.beat(self.deps.database, self.run_id, self.site.name, self.owner)

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.deps.heartbeat.total_seconds())
            if self.gate is not None and self.gate.down:
                continue  # the gate's probe is on it
            try:
                self._beat()
            except StorageError as exc:
                log.warning("heartbeat_failed", reason=str(exc))
                if self.gate is not None:
                    self.gate.failed(exc)
