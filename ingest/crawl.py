"""The run: plan dates -> fetch -> parse -> dedupe -> store -> log, one date at a time.

``run_crawl`` is the one function every entry point calls (backfill, crawl, demo, the daemon).
It opens a run record, binds ``run_id`` into the log context, crawls the planned dates with a
bounded number in flight, commits each date whole as soon as it is done, and closes the run
with its status and counts. Expected failures (fetch, parse, storage) are caught per date,
logged once and counted; anything else ends the run as ``failed`` and is re-raised.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta

import httpx
import structlog

from ingest.dedupe import KeyedItem, dedupe_items
from ingest.domain import ArticleRecord, BodySource, DateStatus, DayOutcome, RunKind, RunStatus
from ingest.errors import (
    FetchError,
    IngestError,
    ParseError,
    PermanentFetchError,
    SiteBusyError,
    StorageError,
)
from ingest.fetch import Fetcher, make_transport
from ingest.settings import Settings
from ingest.sites import ArticlePage, Layout, ListingItem, SiteShape, build_layout
from ingest.store import liveness
from ingest.store import repository as repo
from ingest.store.engine import Database
from ingest.text import content_hash

log = structlog.get_logger("ingest.crawl")

# A day listing longer than this is a pagination loop, not news.
MAX_LISTING_PAGES = 200
# How often a backfill waiting for a busy site tries its lock again.
LOCK_POLL_SECONDS = 1.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Progress:
    dates_done: int
    dates_total: int
    articles_new: int


@dataclass(frozen=True)
class CrawlDeps:
    """The side effects a run needs, injected so tests can hand in their own."""

    settings: Settings
    database: Database
    transport: httpx.AsyncBaseTransport | None = None
    clock: Callable[[], datetime] = utc_now
    on_progress: Callable[[Progress], None] | None = None
    # Set from another thread (a signal handler) to stop the run: no new date starts, the
    # dates in flight are dropped uncommitted, and the run ends as interrupted.
    stop: threading.Event | None = None


@dataclass(frozen=True, slots=True)
class RunSummary:
    run_id: int
    status: RunStatus
    counts: repo.RunCounts
    dates_total: int
    dates_skipped: int
    failed_dates: tuple[date, ...]
    duration_seconds: float


@dataclass(frozen=True, slots=True)
class _Listing:
    items: list[ListingItem]
    first_url: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True, slots=True)
class DayResult:
    day: date
    outcome: DayOutcome
    duplicates: int
    error: str | None


def dates_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def run_crawl(
    first: date,
    last: date,
    deps: CrawlDeps,
    *,
    kind: RunKind = RunKind.BACKFILL,
    force: bool = False,
) -> RunSummary:
    """Crawl the dates from ``first`` to ``last`` inclusive; synchronous entry point.

    A backfill skips complete dates unless ``force``; scheduled and manual runs re-crawl their
    whole window. Listing validators (ETag, Last-Modified) are sent unless ``force``, so an
    unchanged day costs one request. When another live run holds the site, a backfill waits
    for it; scheduled and manual runs raise SiteBusyError.
    """
    return asyncio.run(_Run(deps, kind, first, last, force).execute())


def incremental_window(
    settings: Settings, now: datetime, days: int | None = None
) -> tuple[date, date]:
    """The daemon's window: ``lookback_days`` (or ``days``) before today, in the site's calendar."""
    today = now.astimezone(settings.site.tz).date()
    back = settings.schedule.lookback_days if days is None else days
    return today - timedelta(days=back), today


class _Run:
    def __init__(
        self, deps: CrawlDeps, kind: RunKind, first: date, last: date, force: bool
    ) -> None:
        self.deps = deps
        self.settings = deps.settings
        self.site = deps.settings.site
        self.layout: Layout = build_layout(
            self.site.layout,
            SiteShape(self.site.base_url, self.site.listing_path, self.site.tz, {}),
        )
        self.kind = kind
        self.first, self.last, self.force = first, last, force
        self.skip_complete = kind is RunKind.BACKFILL and not force
        self.conditional = not force
        self.owner = liveness.this_owner()
        self.stopped = False
        self.counts = repo.RunCounts()
        self.failed: list[date] = []
        self.errors: list[str] = []

    async def execute(self) -> RunSummary:
        started = time.perf_counter()
        db, site = self.deps.database, self.site
        run_id = await self._open_run()
        self.run_id = run_id
        with structlog.contextvars.bound_contextvars(run_id=run_id, site=site.name):
            log.info(
                "run_started",
                kind=self.kind.value,
                date_from=self.first.isoformat(),
                date_to=self.last.isoformat(),
                force=self.force,
            )
            status = RunStatus.FAILED
            try:
                planned, skipped = self._plan()
                with db.unit_of_work() as uow:
                    repo.save_run_progress(
                        uow.session,
                        run_id,
                        self.counts,
                        dates_total=len(planned) + skipped,
                        dates_skipped=skipped,
                    )
                    uow.commit()
                await self._crawl_dates(planned)
                status = RunStatus.INTERRUPTED if self.stopped else self._status()
            except (asyncio.CancelledError, KeyboardInterrupt):
                status = RunStatus.INTERRUPTED
                self.errors.insert(0, "interrupted")
                raise
            except Exception as exc:
                log.exception("run_crashed", error=f"{type(exc).__name__}: {exc}")
                self.errors.insert(0, f"{type(exc).__name__}: {exc}")
                raise
            finally:
                duration = time.perf_counter() - started
                self._finish(status, duration)
        return RunSummary(
            run_id=run_id,
            status=status,
            counts=self.counts,
            dates_total=len(planned) + skipped,
            dates_skipped=skipped,
            failed_dates=tuple(sorted(self.failed)),
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
                    log.info("waiting_for_site_lock", reason=str(exc))
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

    def _status(self) -> RunStatus:
        if not self.failed:
            return RunStatus.SUCCEEDED
        return RunStatus.PARTIAL if self.counts.dates_done > 0 else RunStatus.FAILED

    def _finish(self, status: RunStatus, duration: float) -> None:
        summary = "; ".join(self.errors[:5])[:2000] or None
        try:
            with self.deps.database.unit_of_work() as uow:
                repo.finish_run(
                    uow.session,
                    self.run_id,
                    status=status,
                    counts=self.counts,
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
            failed_dates=[d.isoformat() for d in sorted(self.failed)],
            **asdict(self.counts),
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
        http = self.settings.http
        async with make_transport(http, self.deps.transport) as transport:
            self.fetcher = Fetcher(self.site, http, transport)
            await self.fetcher.load_robots()
            # Dates in flight: enough to keep every request slot busy, few enough that a crash
            # or a stop loses little. A fixed set of workers takes the dates in order from one
            # iterator, so memory does not grow with the length of the range.
            workers = min(max(2, http.concurrency), len(planned))
            total = len(planned)
            days = iter(planned)

            async def worker() -> None:
                for day in days:
                    result = await self._crawl_day(day)
                    self._record(result, total)

            results = await asyncio.gather(
                *(worker() for _ in range(workers)), return_exceptions=True
            )
            for outcome in results:
                if isinstance(outcome, BaseException):
                    raise outcome

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

    def _counts_after(self, result: DayResult) -> repo.RunCounts:
        stats = self.fetcher.stats
        failed = result.error is not None
        return replace(
            self.counts,
            dates_done=self.counts.dates_done + (0 if failed else 1),
            dates_failed=self.counts.dates_failed + (1 if failed else 0),
            pages_fetched=stats.pages_fetched,
            pages_failed=stats.pages_failed,
            pages_not_modified=stats.pages_not_modified,
            articles_new=self.counts.articles_new + result.outcome.new,
            articles_updated=self.counts.articles_updated + result.outcome.updated,
            articles_unchanged=self.counts.articles_unchanged + result.outcome.unchanged,
            duplicates=self.counts.duplicates + result.duplicates,
        )

    def _record(self, result: DayResult, total: int) -> None:
        if result.error is not None:
            self.failed.append(result.day)
            self.errors.append(f"{result.day.isoformat()}: {result.error}")
        if self.deps.on_progress is not None:
            done = self.counts.dates_done + self.counts.dates_failed
            self.deps.on_progress(Progress(done, total, self.counts.articles_new))

    async def _crawl_day(self, day: date) -> DayResult:
        """Fetch, parse, dedupe and store one date; commit it whole or record why not."""
        site = self.site.name
        try:
            listing = await self._listing(day)
            if listing is None:
                return self._day_not_modified(day)
            deduped = dedupe_items(listing.items)
            with self.deps.database.unit_of_work() as uow:
                known = repo.known_articles(uow.session, site, day)
            records, article_error = await self._records(deduped.items, day, known)
            # No await from here to the commit: the run's counts cannot interleave with
            # another date's, and they are written in the same transaction as the data.
            with self.deps.database.unit_of_work() as uow:
                now = self.deps.clock()
                outcome = repo.store_day(
                    uow.session, site, day, records, run_id=self.run_id, now=now
                )
                result = DayResult(day, outcome, deduped.duplicates, article_error)
                repo.record_date_state(
                    uow.session,
                    site=site,
                    day=day,
                    status=DateStatus.FAILED if article_error else DateStatus.COMPLETE,
                    item_count=len(records),
                    error=article_error,
                    run_id=self.run_id,
                    now=now,
                )
                # Validators are kept only for a day stored whole, so a 304 never hides a
                # day that still needs work.
                repo.save_listing_validators(
                    uow.session,
                    site,
                    listing.first_url,
                    etag=None if article_error else listing.etag,
                    last_modified=None if article_error else listing.last_modified,
                    now=now,
                )
                counts = self._counts_after(result)
                repo.save_run_progress(uow.session, self.run_id, counts)
                uow.commit()
                self.counts = counts
        except (FetchError, ParseError, StorageError) as exc:
            return self._day_failed(day, exc)
        log.info(
            "date_done",
            date=day.isoformat(),
            status="failed" if article_error else "complete",
            items=len(listing.items),
            articles=len(records),
            new=outcome.new,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
            duplicates=deduped.duplicates,
            error=article_error,
        )
        return result

    def _day_not_modified(self, day: date) -> DayResult:
        """The listing answered 304: the day is as stored; count its articles unchanged."""
        with self.deps.database.unit_of_work() as uow:
            now = self.deps.clock()
            stored = repo.record_date_state(
                uow.session,
                site=self.site.name,
                day=day,
                status=DateStatus.COMPLETE,
                item_count=None,
                error=None,
                run_id=self.run_id,
                now=now,
            )
            result = DayResult(day, DayOutcome(unchanged=stored), 0, None)
            counts = self._counts_after(result)
            repo.save_run_progress(uow.session, self.run_id, counts)
            uow.commit()
            self.counts = counts
        log.info("date_done", date=day.isoformat(), status="not_modified", unchanged=stored)
        return result

    def _day_failed(self, day: date, exc: IngestError) -> DayResult:
        reason = str(exc)
        log.error("date_failed", date=day.isoformat(), error_type=type(exc).__name__, error=reason)
        result = DayResult(day, DayOutcome(), 0, reason)
        try:
            with self.deps.database.unit_of_work() as uow:
                repo.record_date_state(
                    uow.session,
                    site=self.site.name,
                    day=day,
                    status=DateStatus.FAILED,
                    item_count=0,
                    error=reason[:1000],
                    run_id=self.run_id,
                    now=self.deps.clock(),
                )
                counts = self._counts_after(result)
                repo.save_run_progress(uow.session, self.run_id, counts)
                uow.commit()
                self.counts = counts
        except StorageError as storage_exc:
            log.error("date_state_not_saved", date=day.isoformat(), reason=str(storage_exc))
            self.counts = self._counts_after(result)
        return result

    async def _listing(self, day: date) -> _Listing | None:
        """Every item of the day, following each page's own "Next" link to the last page.

        None when the first page answers 304 Not Modified to the validators kept for it.
        """
        first_url = self.layout.listing_url(day)
        headers: dict[str, str] = {}
        if self.conditional:
            with self.deps.database.unit_of_work() as uow:
                etag, modified = repo.listing_validators(uow.session, self.site.name, first_url)
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
        url: str | None = first_url
        seen: set[str] = set()
        items: list[ListingItem] = []
        etag = modified = None
        while url is not None:
            if url in seen or len(seen) >= MAX_LISTING_PAGES:
                raise ParseError(f"pagination loop at {url}")
            page = await self.fetcher.get(url, kind="listing", headers=headers)
            if page.status == 304:
                return None
            if not seen:
                etag, modified = page.headers.get("etag"), page.headers.get("last-modified")
            seen.add(url)
            headers = {}
            listing = self.layout.parse_listing(page.text, page.url, page.headers)
            if listing.skipped_items:
                log.warning("listing_items_skipped", url=page.url, count=listing.skipped_items)
            items.extend(listing.items)
            url = listing.next_url
        for item in items:
            if item.day is not None and item.day != day:
                log.warning(
                    "item_day_mismatch",
                    date=day.isoformat(),
                    item_day=item.day.isoformat(),
                    url=item.url,
                )
        return _Listing(items, first_url, etag, modified)

    async def _records(
        self, items: tuple[KeyedItem, ...], day: date, known: dict[str, repo.KnownArticle]
    ) -> tuple[list[ArticleRecord], str | None]:
        """Build the day's records, fetching the pages of new or changed articles."""
        listing_hashes = [
            content_hash(k.item.title, k.item.url, k.item.category, k.item.text) for k in items
        ]
        wanted = [
            self._wants_page(k, listing_hash, known.get(k.key))
            for k, listing_hash in zip(items, listing_hashes, strict=True)
        ]
        pages = await asyncio.gather(
            *(
                self._article(k.item) if want else _none()
                for k, want in zip(items, wanted, strict=True)
            )
        )
        errors = [error for _, error in pages if error is not None]
        records = [
            ArticleRecord(
                site=self.site.name,
                date=day,
                title=k.item.title,
                title_key=k.key,
                url=k.item.url,
                category=k.item.category,
                body=page.body if page is not None and page.body else k.item.text,
                body_source=BodySource.ARTICLE
                if page is not None and page.body
                else BodySource.LISTING,
                listing_hash=listing_hash,
                published_at=page.published_at if page is not None else None,
            )
            for k, listing_hash, (page, _) in zip(items, listing_hashes, pages, strict=True)
        ]
        error = None
        if errors:
            error = f"{len(errors)} article page(s) failed, first: {errors[0]}"
        return records, error

    def _wants_page(
        self, keyed: KeyedItem, listing_hash: str, prior: repo.KnownArticle | None
    ) -> bool:
        if not self.site.fetch_article_pages:
            return False
        if not self.fetcher.may_fetch(keyed.item.url):
            reason = "off-site" if not self.fetcher.is_on_site(keyed.item.url) else "robots.txt"
            log.info("article_page_skipped", url=keyed.item.url, reason=reason)
            return False
        if prior is None:
            return True
        return prior.listing_hash != listing_hash or prior.body_source != BodySource.ARTICLE

    async def _article(self, item: ListingItem) -> tuple[ArticlePage | None, str | None]:
        """The article page, or None with the listing text as body. Only a transient failure
        is an error: the date is then retried by the next run."""
        try:
            page = await self.fetcher.get(item.url, kind="article")
            return self.layout.parse_article(page.text, page.url), None
        except PermanentFetchError:
            return None, None
        except ParseError as exc:
            log.warning("article_parse_failed", url=item.url, reason=str(exc))
            return None, None
        except FetchError as exc:
            return None, f"{item.url}: {exc}"


async def _none() -> tuple[ArticlePage | None, str | None]:
    return None, None
