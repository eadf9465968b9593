"""A run's lifecycle for one site: the site lock, the run record, heartbeats, stopping, and a
fixed set of workers taking the planned dates in order.

The work on each date is ``pipeline.DayPipeline``'s; this module only decides which dates run,
keeps the run's counts (``RunTally``), and closes the record with its status however the run
ends. Expected failures are the pipeline's to catch per date; anything else ends the run as
``failed`` and is re-raised.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta

import httpx2
import structlog

from ingest.domain import RunKind, RunStatus
from ingest.errors import SiteBusyError, StorageError
from ingest.fetch import Fetcher, FetchStats, make_transport
from ingest.pipeline import DayPipeline, DayResult
from ingest.settings import SiteSettings
from ingest.store import liveness
from ingest.store import repository as repo
from ingest.store.engine import Database

log = structlog.get_logger("ingest.run")

# How often a backfill waiting for a busy site tries its lock again.
LOCK_POLL_SECONDS = 1.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Progress:
    site: str
    dates_done: int
    dates_total: int
    articles_new: int


@dataclass(frozen=True)
class CrawlDeps:
    """The side effects a run needs, injected so tests can hand in their own."""

    database: Database
    transport: httpx2.AsyncBaseTransport | None = None
    clock: Callable[[], datetime] = utc_now
    on_progress: Callable[[Progress], None] | None = None
    # Set from another thread (a signal handler) to stop the run: no new date starts, the
    # dates in flight are dropped uncommitted, and the run ends as interrupted.
    stop: threading.Event | None = None


@dataclass(frozen=True, slots=True)
class RunSummary:
    site: str
    run_id: int
    status: RunStatus
    counts: repo.RunCounts
    dates_total: int
    dates_skipped: int
    failed_dates: tuple[date, ...]
    duration_seconds: float


def dates_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class RunTally:
    """The run's counts, failed dates and first errors, as the dates come in."""

    def __init__(self) -> None:
        self.counts = repo.RunCounts()
        self.failed: list[date] = []
        self.errors: list[str] = []
        self.stats = FetchStats()

    def after(self, result: DayResult) -> repo.RunCounts:
        counts, stats = self.counts, self.stats
        failed = result.error is not None
        return replace(
            counts,
            dates_done=counts.dates_done + (0 if failed else 1),
            dates_failed=counts.dates_failed + (1 if failed else 0),
            pages_fetched=stats.pages_fetched,
            pages_failed=stats.pages_failed,
            pages_not_modified=stats.pages_not_modified,
            articles_new=counts.articles_new + result.outcome.new,
            articles_updated=counts.articles_updated + result.outcome.updated,
            articles_unchanged=counts.articles_unchanged + result.outcome.unchanged,
            duplicates=counts.duplicates + result.duplicates,
        )

    def settle(self, counts: repo.RunCounts) -> None:
        self.counts = counts

    def record(self, result: DayResult) -> None:
        if result.error is not None:
            self.failed.append(result.day)
            self.errors.append(f"{result.day.isoformat()}: {result.error}")

    def status(self) -> RunStatus:
        if not self.failed:
            return RunStatus.SUCCEEDED
        return RunStatus.PARTIAL if self.counts.dates_done > 0 else RunStatus.FAILED


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
            try:
                planned, skipped = self._plan()
                with self.deps.database.unit_of_work() as uow:
                    repo.save_run_progress(
                        uow.session,
                        run_id,
                        self.tally.counts,
                        dates_total=len(planned) + skipped,
                        dates_skipped=skipped,
                    )
                    uow.commit()
                await self._crawl_dates(planned)
                status = RunStatus.INTERRUPTED if self.stopped else self.tally.status()
            except (asyncio.CancelledError, KeyboardInterrupt):
                status = RunStatus.INTERRUPTED
                self.tally.errors.insert(0, "interrupted")
                raise
            except Exception as exc:
                log.exception("run_crashed", error=f"{type(exc).__name__}: {exc}")
                self.tally.errors.insert(0, f"{type(exc).__name__}: {exc}")
                raise
            finally:
                duration = time.perf_counter() - started
                self._finish(status, duration)
        return RunSummary(
            site=site.name,
            run_id=run_id,
            status=status,
            counts=self.tally.counts,
            dates_total=len(planned) + skipped,
            dates_skipped=skipped,
            failed_dates=tuple(sorted(self.tally.failed)),
            duration_seconds=duration,
        )

    async def _open_run(self) -> int:
        """Take the site's lock and open the run record; a backfill waits for a busy site."""
        db, site = self.deps.database, self.site
        waiting = False
        while True:
            # Liveness runs on the real clock: heartbeats are compared across processes.
            with db.unit_of_work() as uow:
                abandoned = liveness.mark_abandoned_runs(uow.session, utc_now())
                uow.commit()
            if abandoned:
                log.warning("runs_abandoned", run_ids=abandoned)
            try:
                with db.unit_of_work() as uow:
                    now = utc_now()
                    liveness.acquire_site_lock(uow.session, site.name, self.owner, now)
                    run = repo.start_run(
                        uow.session,
                        site=site.name,
                        kind=self.kind,
                        date_from=self.first,
                        date_to=self.last,
                        now=now,
                        owner=self.owner,
                    )
                    liveness.attach_run_to_lock(uow.session, site.name, self.owner, run.id)
                    uow.commit()
                    return run.id
            except SiteBusyError as exc:
                if self.kind is not RunKind.BACKFILL or self._stop_requested():
                    raise
                if not waiting:
                    log.info("waiting_for_site_lock", site=site.name, reason=str(exc))
                    waiting = True
                await asyncio.sleep(LOCK_POLL_SECONDS)

    def _plan(self) -> tuple[list[date], int]:
        wanted = dates_between(self.first, self.last)
        if not self.skip_complete:
            return wanted, 0
        with self.deps.database.unit_of_work() as uow:
            done = repo.complete_dates(uow.session, self.site.name, self.first, self.last)
        planned = [day for day in wanted if day not in done]
        return planned, len(wanted) - len(planned)

    def _finish(self, status: RunStatus, duration: float) -> None:
        tally = self.tally
        summary = "; ".join(tally.errors[:5])[:2000] or None
        try:
            with self.deps.database.unit_of_work() as uow:
                repo.finish_run(
                    uow.session,
                    self.run_id,
                    status=status,
                    counts=tally.counts,
                    error_summary=summary,
                    now=self.deps.clock(),
                )
                liveness.release_site_lock(uow.session, self.site.name, self.owner)
                uow.commit()
        except StorageError as exc:
            log.error("run_record_not_saved", reason=str(exc))
        log.info(
            "run_finished",
            status=status.value,
            duration_seconds=round(duration, 3),
            failed_dates=[d.isoformat() for d in sorted(tally.failed)],
            **asdict(tally.counts),
        )

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
        site, http = self.site, self.site.http
        async with make_transport(http, self.deps.transport) as transport:
            fetcher = Fetcher(site, http, transport)
            self.tally.stats = fetcher.stats
            await fetcher.load_robots()
            pipeline = DayPipeline(
                site,
                fetcher,
                self.deps.database,
                run_id=self.run_id,
                tally=self.tally,
                conditional=not self.force,
                clock=self.deps.clock,
            )
            # Dates in flight: enough to keep every request slot busy, few enough that a crash
            # or a stop loses little. A fixed set of workers takes the dates in order from one
            # iterator, so memory does not grow with the length of the range.
            workers = min(max(2, http.concurrency), len(planned))
            total = len(planned)
            days = iter(planned)

            async def worker() -> None:
                for day in days:
                    result = await pipeline.crawl_day(day)
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
        if self.deps.stop is not None and self.deps.stop.is_set():
            self.stopped = True
        return self.stopped

    async def _watch_stop(self, work: asyncio.Task[None]) -> None:
        while not self._stop_requested():  # noqa: ASYNC110 (a threading.Event, set by a signal)
            await asyncio.sleep(0.1)
        log.warning("run_stopping", reason="stop requested", dates_in_flight="dropped")
        work.cancel()

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(liveness.HEARTBEAT_EVERY.total_seconds())
            try:
                with self.deps.database.unit_of_work() as uow:
                    liveness.heartbeat(
                        uow.session, self.run_id, self.site.name, self.owner, utc_now()
                    )
                    uow.commit()
            except StorageError as exc:
                log.warning("heartbeat_failed", reason=str(exc))
