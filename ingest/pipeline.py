"""One date of one site: listing pages -> records -> one commit.

``DayPipeline.crawl_day`` fetches the day's listing through every page's own "Next" link,
parses it with the site's layout, dedupes it, fetches the pages of new or changed articles,
with ``cross_check = true`` completes it from the site's other sources (``other_sources``),
and stores the day with its crawl state, its listing validators and what it adds to the run's
counts (an SQL increment) in one transaction. It knows nothing of the run around it (locks,
heartbeats, stopping): the run hands it a ``Tally`` that says what a day adds to the run's
counts, and the ``Turns`` its CPU work waits for after each wait on the network (``turns``).
A store that is full or out of reach (``StorageFullError``, ``DatabaseUnavailableError``) is
not the date's failure: it propagates to the run, which stops or waits (see ``gate``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

import structlog

from ingest.archive import WarcFiles
from ingest.article_pages import failed_pages, fetch_page, may_fetch
from ingest.bounds import DayBudget, parse_guarded
from ingest.dedupe import KeyedItem, dedupe_items
from ingest.domain import (
    ArticleRecord,
    BodySource,
    DateStatus,
    DayOutcome,
    WarcLocation,
)
from ingest.errors import (
    DatabaseUnavailableError,
    FetchError,
    IngestError,
    ParseError,
    StorageError,
    StorageFullError,
)
from ingest.fetch import Fetcher, Page
from ingest.listing import conditional_headers, read_day_listing
from ingest.settings import SiteSettings
from ingest.sites import ArticlePage, Layout, ListingItem
from ingest.store import articles, days, runs
from ingest.store.engine import Database, Transaction
from ingest.tally import DayResult
from ingest.text import content_hash
from ingest.turns import Turns

if TYPE_CHECKING:
    from ingest.other_sources import CrossCheck

log = structlog.get_logger("ingest.pipeline")


class Tally(Protocol):
    """The run's counts: what a day's result adds to the run record, and whether it went in."""

    def increment(self, result: DayResult) -> runs.RunCounts: ...

    def settle(self, increment: runs.RunCounts, *, stored: bool) -> None: ...

    def not_modified(self, result: DayResult, checked_at: datetime) -> None: ...


class DayPipeline:
    """Crawls single dates of one site for one run."""

    def __init__(
        self,
        site: SiteSettings,
        layout: Layout,
        fetcher: Fetcher,
        database: Database,
        *,
        run_id: int,
        tally: Tally,
        conditional: bool,
        clock: Callable[[], datetime],
        turns: Turns,
        never_crawled: set[date] | None = None,
        archive: WarcFiles | None = None,
        cross_check: CrossCheck | None = None,
    ) -> None:
        self.site = site
        self.layout = layout
        self.fetcher = fetcher
        self.database = database
        self.run_id = run_id
        self.tally = tally
        self.conditional = conditional
        self.clock = clock
        # Each page's CPU work (parsing, then storing once the day is in) waits for its turn.
        self.turns = turns
        # Dates with nothing stored when the run began (no state row): their first attempt
        # skips the read before the fetch. Taken out on use, so a retried date reads first.
        self.never_crawled = never_crawled if never_crawled is not None else set()
        self.archive = archive
        if archive is not None:  # its records are built in the same turns as the pages' parse
            archive.build_in(turns)
        # The other sources a day's listing is compared with (``other_sources``); None: off.
        self.cross_check = cross_check
        self.article_pages = site.fetch_article_pages and self.layout.fetches_article_pages

    async def crawl_day(self, day: date) -> DayResult:
        """Fetch, parse, dedupe and store one date; commit it whole or record why not."""
        site = self.site.name
        try:
            first_url = self.layout.listing_url(day)
            fresh = day in self.never_crawled
            if fresh:
                self.never_crawled.discard(day)
                before = days.ListingBefore(None, None, (), None)
            else:
                with self.database.transaction() as tx:  # one statement, the articles later
                    before = days.listing_before(tx.connection, site, day, first_url)
                if not self.conditional:
                    before = before.without_validators()
            budget = DayBudget()
            validators = conditional_headers(before.etag, before.last_modified)
            if self.archive is not None:
                # An unchanged page is then kept as a revisit that refers to the one stored.
                self.archive.expect(before.captures)
            try:
                listing = await read_day_listing(
                    self.fetcher, self.layout, day, first_url, validators, self.turns, budget
                )
            finally:
                if self.archive is not None:
                    self.archive.forget(captured.url for captured in before.captures)
            if listing is None:
                return self._day_not_modified(day, before.item_count)
            known: dict[str, articles.KnownArticle] = {}
            if not fresh:  # read once the listing changed: a 304 needs none of them
                with self.database.transaction() as tx:
                    known = articles.known_articles(tx.connection, site, day)
            deduped = dedupe_items(listing.items)
            records, article_error = await self._records(
                deduped.items, day, known, budget, listing.warcs
            )
            found = None
            if self.cross_check is not None:  # the day's listing against the other sources
                keys = {record.title_key for record in records}
                found = await self.cross_check.found_on(
                    day, self.layout, listing.items, keys, budget, refresh=not self.conditional
                )
                article_error = article_error or found.error
            crawled = articles.CrawledDay(
                site,
                day,
                records,
                article_error,
                first_url,
                listing.etag,
                listing.last_modified,
                stored_before=bool(known),
                listing_warc=listing.first_warc,
                listing_captures=listing.captures,
                found=found.records if found is not None else (),
                found_elsewhere=found.count if found is not None else None,
            )
            # The date's responses are on the disk before the rows that point at them: a crash
            # may leave records nothing points at, never a row that points at nothing.
            if self.archive is not None:
                await self.archive.sync()
            # No await from here to the commit: the date's figures are added to the run's in
            # the transaction that stores it, so the record counts the date once it is in.
            with self.database.transaction() as tx:
                outcome = articles.store_crawled_day(
                    tx.connection, crawled, run_id=self.run_id, now=self.clock()
                )
                result = DayResult(day, outcome, deduped.duplicates, article_error)
                self._commit_counted(tx, result)
        except (StorageFullError, DatabaseUnavailableError):
            raise  # the run's to handle: the date cannot be stored now
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
            found_elsewhere=found.count if found is not None else None,
            error=article_error,
        )
        if found is not None and found.count:
            log.warning("listing_incomplete", date=day.isoformat(), found_elsewhere=found.count)
        return result

    def _commit_counted(self, tx: Transaction, result: DayResult) -> None:
        """Add the date's figures to the run record in the date's own transaction, commit."""
        increment = self.tally.increment(result)
        runs.add_counts(tx.connection, self.run_id, increment)
        tx.commit()
        self.tally.settle(increment, stored=True)

    def _day_not_modified(self, day: date, item_count: int | None = None) -> DayResult:
        """The listing answered 304: the day is as stored; count its articles unchanged. With
        its stored ``item_count`` read before the fetch, its state goes in with the run's close
        (``run_record``): nothing of the day's own to commit."""
        if item_count is not None:
            result = DayResult(day, DayOutcome(unchanged=item_count), 0, None)
            self.tally.not_modified(result, self.clock())
            log.debug("date_done", date=day.isoformat(), status="not_modified",
                      unchanged=item_count)  # fmt: skip
            return result
        with self.database.transaction() as tx:
            now = self.clock()
            stored = days.record_date_state(
                tx.connection,
                site=self.site.name,
                day=day,
                status=DateStatus.COMPLETE,
                item_count=None,
                error=None,
                run_id=self.run_id,
                now=now,
            )
            result = DayResult(day, DayOutcome(unchanged=stored), 0, None)
            self._commit_counted(tx, result)
        log.debug("date_done", date=day.isoformat(), status="not_modified", unchanged=stored)
        return result

    def _day_failed(self, day: date, exc: IngestError) -> DayResult:
        reason = str(exc)
        log.error("date_failed", date=day.isoformat(), error_type=type(exc).__name__, error=reason)
        result = DayResult(day, DayOutcome(), 0, reason)
        try:
            with self.database.transaction() as tx:
                days.record_date_state(
                    tx.connection,
                    site=self.site.name,
                    day=day,
                    status=DateStatus.FAILED,
                    item_count=0,
                    error=reason[:1000],
                    run_id=self.run_id,
                    now=self.clock(),
                )
                self._commit_counted(tx, result)
        except (StorageFullError, DatabaseUnavailableError):
            raise
        except StorageError as storage_exc:
            log.error("date_state_not_saved", date=day.isoformat(), reason=str(storage_exc))
            self.tally.settle(self.tally.increment(result), stored=False)
        return result

    async def _records(
        self,
        items: tuple[KeyedItem, ...],
        day: date,
        known: dict[str, articles.KnownArticle],
        budget: DayBudget,
        warcs: dict[int, WarcLocation | None],
    ) -> tuple[list[ArticleRecord], str | None]:
        """Build the day's records, fetching the pages of new or changed articles; ParseError
        when their pages and the listing's pass the date's byte budget together."""
        listing_hashes = [
            content_hash(k.item.title, k.item.url, k.item.category, k.item.text) for k in items
        ]
        wanted = [
            self._wants_page(k, listing_hash, known.get(k.key))
            for k, listing_hash in zip(items, listing_hashes, strict=True)
        ]
        # Only the pages wanted become tasks (a task each is most of what gather costs).
        fetched = iter(
            await asyncio.gather(
                *(
                    fetch_page(self.fetcher, k.item.url, budget)
                    for k, want in zip(items, wanted, strict=True)
                    if want
                )
            )
        )
        budget.check()
        pages = [next(fetched) if want else _NOT_FETCHED for want in wanted]
        errors = [error for _, error in pages if error is not None]
        # Parsed once the day's pages are all in, one after another, in the day's turn.
        read: list[ArticlePage | ParseError | None] = [None] * len(pages)
        if any(wanted):
            read = await self.turns.run(lambda: [self._read_article(page) for page, _ in pages])
        records = [
            _record(
                self.site.name, day, k, h, self._article(k.item, a), page, warcs.get(id(k.item))
            )
            for k, h, a, (page, _) in zip(items, listing_hashes, read, pages, strict=True)
        ]
        return records, failed_pages(errors)

    def _wants_page(
        self, keyed: KeyedItem, listing_hash: str, prior: articles.KnownArticle | None
    ) -> bool:
        if not self.article_pages or keyed.item.full_text:
            return False
        if not may_fetch(self.fetcher, keyed.item.url):
            return False
        if prior is None or self.fetcher.has_archived(keyed.item.url):
            # A reparse reads every archived page again: today's layout may read it otherwise
            # (a fixed body or time selector), and the stored version is what the store then
            # compares it with.
            return True
        return prior.listing_hash != listing_hash or prior.body_source != BodySource.ARTICLE

    def _read_article(self, page: Page | None) -> ArticlePage | ParseError | None:
        """On the parse thread: the article read from its page, the error that kept it from
        being read, or None without a page."""
        if page is None:
            return None
        try:
            return parse_guarded(lambda: self.layout.parse_article(page.markup, page.url), page.url)
        except ParseError as exc:
            return exc

    def _article(
        self, item: ListingItem, read: ArticlePage | ParseError | None
    ) -> ArticlePage | None:
        """The article as read, or None; a page that did not parse is logged here, on the
        event loop, and its listing text stands in."""
        if isinstance(read, ParseError):
            log.warning("article_parse_failed", url=item.url, reason=str(read))
            return None
        return read


def _record(
    site: str,
    day: date,
    keyed: KeyedItem,
    listing_hash: str,
    page: ArticlePage | None,
    fetched: Page | None,
    listing_warc: WarcLocation | None,
) -> ArticleRecord:
    """The stored form of one item: the article page's body and time when it was read, else
    the listing's (the whole text when the listing carries it, as a REST API does); with the
    WARC location of the page the body came from."""
    item = keyed.item
    from_page = page is not None and bool(page.body)
    full = from_page or item.full_text
    return ArticleRecord(
        site=site,
        date=day,
        title=item.title,
        title_key=keyed.key,
        url=item.url,
        # A block theme's archive shows no categories: its post pages do.
        category=item.category or (page.category if page is not None else None),
        body=page.body if page is not None and from_page else item.text,
        body_source=BodySource.ARTICLE if full else BodySource.LISTING,
        listing_hash=listing_hash,
        published_at=(page.published_at if page is not None else None) or item.published_at,
        warc=fetched.warc if fetched is not None and from_page else listing_warc,
    )


_NOT_FETCHED: tuple[Page | None, str | None] = (None, None)
