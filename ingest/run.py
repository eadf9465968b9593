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

from ingest.archive import WarcFiles, run_files
from ingest.domain import DateStatus, DayOutcome, RunKind, RunStatus, utc_now
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
from ingest.planning import DateQueue, dates_between, dates_in_flight
from ingest.settings import ArchiveSettings, HealthSettings, SiteSettings
from ingest.sources import day_pipeline, run_sources
from ingest.store import figures, liveness, runs
from ingest.store.days import date_statuses
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
        # Planned dates without a state row when the run began: nothing stored to read first.
        self.never_crawled: set[date] = set()

    async def execute(self) -> RunSummary:
        started = time.perf_counter()
        site = self.site
        self.run_id = run_id = await self._open_run()
        with structlog.contextvars.bound_contextvars(run_id=run_id, site=site.name):
            log.info(
                "run_started",
                kind=self.kind.value,
                date_from=self.first.isoformat(),
                date_to=self.last.isoformat(),
                force=self.force,
            )
            status = RunStatus.FAILED
            planned: list[date] = []
            skipped = 0
            self.gate = gate = StorageGate(
                self.deps.database,
                outage_timeout=self.deps.database.outage_timeout,
                on_back=self._beat,
                # Back within a quarter heartbeat of the database: well inside the stale limit.
                probe_max_wait=self.deps.heartbeat / 4,
            )
            try:
                planned, skipped = await self._plan()
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

    async def _open_run(self) -> int:
        """Take the site's lock and open the run record; a backfill waits for a busy site.

        Each transaction of the run's own (open, plan, finish) runs on a thread, not on the
        event loop: in the daemon, every site's run shares one loop, and a round trip to the
        database (or a lock another process holds) would stall every other site's requests
        meanwhile. The dates' transactions stay on the loop, between its CPU turns."""
        site = self.site
        waiting = False
        while True:
            abandoned = await asyncio.to_thread(self._mark_abandoned)
            if abandoned:
                log.warning("runs_abandoned", run_ids=abandoned)
            try:
                return await asyncio.to_thread(self._lock_and_open)
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

    def _mark_abandoned(self) -> list[int]:
        db = self.deps.database
        with db.transaction() as tx:
            abandoned = liveness.mark_abandoned_runs(tx.connection, utc_now(), db.witness)
            tx.commit()
        return abandoned

    def _lock_and_open(self) -> int:
        db, site = self.deps.database, self.site
        with db.transaction() as tx:
            now = utc_now()
            liveness.acquire_site_lock(tx.connection, site.name, self.owner, now, db.witness)
            run_id = runs.start_run(
                tx.connection,
                site=site.name,
                kind=self.kind,
                date_from=self.first,
                date_to=self.last,
                now=now,
                owner=self.owner,
            )
            liveness.attach_run_to_lock(tx.connection, site.name, self.owner, run_id)
            tx.commit()
            return run_id

    async def _plan(self) -> tuple[list[date], int]:
        """The dates to crawl and how many were skipped as complete; none when the database
        stays away past the outage timeout."""
        while True:
            try:
                return await asyncio.to_thread(self._plan_and_save)
            except DatabaseUnavailableError as exc:
                assert self.gate is not None
                self.gate.failed(exc)
                if not await self.gate.admit():
                    return [], 0

    def _plan_and_save(self) -> tuple[list[date], int]:
        wanted = dates_between(self.first, self.last)
        planned, skipped = wanted, 0
        with self.deps.database.transaction() as tx:
            statuses = date_statuses(tx.connection, self.site.name, self.first, self.last)
            if self.skip_complete:
                planned = [d for d in wanted if statuses.get(d) is not DateStatus.COMPLETE]
                skipped = len(wanted) - len(planned)
            self.never_crawled = {day for day in planned if day not in statuses}
            runs.plan_run(
                tx.connection,
                self.run_id,
                dates_total=len(planned) + skipped,
                dates_skipped=skipped,
            )
            tx.commit()
        return planned, skipped

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
                # What the summary reports is the record's own figures.
                tally.counts, tally.unstored = recorded, runs.RunCounts()
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
            duration_seconds=round(duration, 3),
            failed_dates=[d.isoformat() for d in sorted(tally.failed)],
            **asdict(tally.counts),
        )

    def _close_record(self, status: RunStatus, summary: str | None) -> runs.RunCounts:
        with self.deps.database.transaction() as tx:
            recorded = runs.finish_run(
                tx.connection,
                self.run_id,
                status=status,
                counts=self.tally.unstored,
                error_summary=summary,
                now=self.deps.clock(),
                quiet=self._quiet_basis(),
            )
            liveness.release_site_lock(tx.connection, self.site.name, self.owner)
            tx.commit()
        return recorded

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
        with self.deps.database.transaction() as tx:
            liveness.heartbeat(tx.connection, self.run_id, self.site.name, self.owner, utc_now())
            tx.commit()

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
