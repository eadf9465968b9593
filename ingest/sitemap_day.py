"""One date of a ``sitemap`` site: the sitemap entries placed on it -> article pages -> each
article stored on its own page's date, in one commit.

A run reads its sitemaps once, shared by its dates (``SitemapReader``): the sitemap the site
names (``listing_path``), and in an index only the children that can hold entries of a date
being crawled. Each entry's day is a hint: its Google News ``publication_date``, else its
``lastmod``, on the site's calendar. A child whose own ``lastmod`` in the index is before a
date cannot hold an entry of that date (an entry's hint is never later than its file's last
change), so the daemon's few recent dates read only the children changed since.

A date is complete when every entry placed on it was read: its page fetched and parsed, and
its article stored on the page's own date (JSON-LD ``datePublished``, ``<time datetime>``, or
the ``article_time`` selector), which may be another date; an entry whose page has no date is
stored on its hint's. An entry whose stored article has the same ``lastmod`` and publication
time, read from its page, is not fetched again. An entry whose page fails transiently fails
the date (the next run fetches it again); one gone (404), refused by robots.txt, off the site
or unreadable is logged and skipped. Crawl state's ``item_count`` is the number of entries
placed on the date.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy import Connection

from ingest.article_pages import failed_pages, fetch_page, may_fetch, page_record
from ingest.bounds import DayBudget, parse_guarded
from ingest.domain import ArticleRecord, BodySource, DateStatus, DayOutcome, FoundBy
from ingest.errors import (
    DatabaseUnavailableError,
    FetchError,
    ParseError,
    StorageError,
    StorageFullError,
)
from ingest.fetch import Fetcher, Page
from ingest.pipeline import DayPipeline
from ingest.sites import ArticlePage, ListingItem
from ingest.sites.sitemap import SitemapLayout
from ingest.sites.sitemap_xml import SitemapEntry, SitemapFile, as_day
from ingest.store import articles, days, urls
from ingest.tally import DayResult
from ingest.text import content_hash
from ingest.turns import Turns

log = structlog.get_logger("ingest.sitemap")

# An index nested deeper than this is refused (sitemaps.org allows one level; sites nest two).
MAX_SITEMAP_DEPTH = 4


class SitemapReader:
    """A run's sitemaps, each fetched and parsed at most once, shared by the run's dates."""

    def __init__(self, layout: SitemapLayout, fetcher: Fetcher, turns: Turns) -> None:
        self.layout = layout
        self.fetcher = fetcher
        self.turns = turns
        self._files: dict[str, asyncio.Task[SitemapFile]] = {}

    async def entries_on(self, day: date) -> list[SitemapEntry]:
        """The entries the sitemaps place on ``day``, each URL once; FetchError or ParseError
        when a sitemap that may hold some cannot be read."""
        tz = self.layout.shape.tz
        found: dict[str, SitemapEntry] = {}
        pending = [(self.layout.sitemap_url, 0)]
        seen: set[str] = set()
        while pending:
            url, depth = pending.pop(0)
            if url in seen:
                continue
            seen.add(url)
            sitemap = await self._read(url)
            if sitemap.index:
                if depth >= MAX_SITEMAP_DEPTH:
                    raise ParseError(f"{url}: sitemap indexes nested more than {depth} deep")
                pending.extend(
                    (ref.url, depth + 1)
                    for ref in sitemap.children
                    if (changed := as_day(ref.lastmod, tz)) is None or changed >= day
                )
                continue
            for entry in sitemap.entries:
                if entry.hint_day(tz) == day:
                    found.setdefault(entry.url, entry)
        return list(found.values())

    def _read(self, url: str) -> asyncio.Task[SitemapFile]:
        task = self._files.get(url)
        if task is None:
            task = self._files[url] = asyncio.ensure_future(self._fetch(url))
        return task

    async def _fetch(self, url: str) -> SitemapFile:
        page = await self.fetcher.get(url, kind="sitemap", headers={"Accept": self.layout.accept})
        body = page.body
        parsed = await self.turns.run(
            lambda: parse_guarded(lambda: self.layout.parse_sitemap(body, page.url), page.url)
        )
        log.info(
            "sitemap_read",
            url=page.url,
            index=parsed.index,
            sitemaps=len(parsed.children),
            entries=len(parsed.entries),
        )
        return parsed


def entry_hash(entry: SitemapEntry) -> str:
    """What says an entry changed: its URL, ``lastmod`` and publication time (the
    ``listing_hash`` of its stored article)."""
    return content_hash(entry.url, _iso(entry.lastmod), _iso(entry.published))


def _iso(moment: object) -> str | None:
    return None if moment is None else str(moment)


class SitemapDayPipeline(DayPipeline):
    """``DayPipeline`` for the sitemap layout: the date's entries in place of a listing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assert isinstance(self.layout, SitemapLayout)
        self.sitemap_layout = self.layout
        self.sitemaps = SitemapReader(self.layout, self.fetcher, self.turns)

    async def crawl_day(self, day: date) -> DayResult:
        site = self.site.name
        try:
            entries = await self.sitemaps.entries_on(day)
            records, unchanged, error = await self._read_entries(entries, day)
            if self.archive is not None:
                await self.archive.sync()
            with self.database.transaction() as tx:
                stored = _store(tx.connection, site, records, self.run_id, self.clock())
                outcome = DayOutcome(stored.new, stored.updated, stored.unchanged + unchanged)
                days.record_date_state(
                    tx.connection, site=site, day=day,
                    status=DateStatus.FAILED if error else DateStatus.COMPLETE,
                    item_count=len(entries), error=error, run_id=self.run_id, now=self.clock(),
                )  # fmt: skip
                duplicates = len(records) - stored.new - stored.updated - stored.unchanged
                result = DayResult(day, outcome, duplicates, error)
                self._commit_counted(tx, result)
        except (StorageFullError, DatabaseUnavailableError):
            raise
        except (FetchError, ParseError, StorageError) as exc:
            return self._day_failed(day, exc)
        log.info(
            "date_done", date=day.isoformat(), status="failed" if error else "complete",
            items=len(entries), articles=len(records), new=outcome.new,
            updated=outcome.updated, unchanged=outcome.unchanged,
            other_days=sorted({r.date.isoformat() for r in records if r.date != day}),
            error=error,
        )  # fmt: skip
        return result

    async def _read_entries(
        self, entries: list[SitemapEntry], day: date
    ) -> tuple[list[ArticleRecord], int, str | None]:
        """The records of the entries whose pages were fetched and read, how many were left
        alone as stored, and the first transient failure, if any."""
        with self.database.transaction() as tx:
            known = urls.stored_by_url(tx.connection, self.site.name, [e.url for e in entries])
        keys = [entry_hash(e) for e in entries]
        wanted = [
            e for e, key in zip(entries, keys, strict=True)
            if self._wants_entry(e, key, known.get(e.url))
        ]  # fmt: skip
        budget = DayBudget()
        got = await asyncio.gather(*(fetch_page(self.fetcher, e.url, budget) for e in wanted))
        budget.check()
        errors = [error for _, error in got if error is not None]
        read = await self.turns.run(lambda: [self._read_article(page) for page, _ in got])
        key_of = dict(zip((e.url for e in entries), keys, strict=True))
        records = [
            self._record(entry, key_of[entry.url], article, page, day)
            for entry, page_read, (page, _) in zip(wanted, read, got, strict=True)
            if page is not None and (article := self._article(_item(entry), page_read)) is not None
        ]
        unchanged = sum(1 for e in entries if e.url in known) - sum(
            1 for e in wanted if e.url in known
        )
        return records, unchanged, failed_pages(errors)

    def _wants_entry(
        self, entry: SitemapEntry, entry_key: str, prior: articles.KnownArticle | None
    ) -> bool:
        if not may_fetch(self.fetcher, entry.url):
            return False
        return (
            prior is None
            or prior.listing_hash != entry_key
            or prior.body_source != BodySource.ARTICLE
        )

    def _record(
        self, entry: SitemapEntry, entry_key: str, article: ArticlePage, page: Page, day: date
    ) -> ArticleRecord:
        """The article on its own page's date; without one, on the entry's hint day."""
        tz = self.sitemap_layout.shape.tz
        own = as_day(article.published_at, tz)
        if own is None:
            log.info("article_day_from_sitemap", url=entry.url, date=day.isoformat())
        return page_record(
            self.site.name,
            own or day,
            entry.url,
            article,
            page,
            title=entry.title,
            listing_hash=entry_key,
            found_by=FoundBy.SITEMAP,
        )


def _item(entry: SitemapEntry) -> ListingItem:
    return ListingItem(title=entry.title or entry.url, url=entry.url, category=None, text="",
                       day=None)  # fmt: skip


def _store(
    conn: Connection, site: str, records: list[ArticleRecord], run_id: int, now: datetime
) -> DayOutcome:
    """Each article on its own date, one record per title key per date: the first stored
    keeps it. A sitemap has no listing order to say which of two posts with one title a date
    keeps, so another URL under a stored title is a duplicate, never an update: otherwise
    each crawl would swap them."""
    by_day: dict[date, dict[str, ArticleRecord]] = {}
    for record in records:
        by_day.setdefault(record.date, {}).setdefault(record.title_key, record)
    new = updated = unchanged = 0
    for own_day, kept in sorted(by_day.items()):
        stored = articles.urls_by_title(conn, site, own_day)
        fresh = [r for key, r in kept.items() if stored.get(key, r.url) == r.url]
        outcome = articles.store_day(conn, site, own_day, fresh, run_id=run_id, now=now)
        new, updated = new + outcome.new, updated + outcome.updated
        unchanged += outcome.unchanged
    return DayOutcome(new, updated, unchanged)
