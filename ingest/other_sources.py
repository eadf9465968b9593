"""The cross-check's requests: the other sources a site has, read through the run's one
fetcher, and the pages of the articles they place on a day that its listing lacks.

A site with ``cross_check = true`` has, in this order: its sitemaps (``sitemap_path``; each
file read at most once a run, and in an index only the children changed since the day, as
the ``sitemap`` layout reads them), its feed (``feed = true``: read once a run, the same read
the feed-first check makes), and, for a day its ``wordpress`` layout reads, the REST API's
posts of the day (one request a day, or none once the API refused in the run). A source that
cannot be read is logged once a run (``cross_check_source_unreadable``) and passed over: the
listing stays the day's source, and the cross-check never fails a date on its own.

What is missing is ``cross_check``'s to say (pure); here each missing URL is looked up in
the store: stored on the day already, it is counted and left as stored; stored on another
day, it is that day's article, not this listing's omission. The rest are fetched (robots.txt
and the site's origin obeyed) and read with the day's layout, and an article whose own page
is of the day (``cross_check.belongs_to``) is stored with the day, marked with its source.
A found page that fails transiently fails the date, as a listed one does, so the next run
tries it again; one gone, refused or unreadable is logged and passed over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import structlog

from ingest import cross_check
from ingest.article_pages import failed_pages, fetch_page, may_fetch, page_record
from ingest.bounds import DayBudget, parse_guarded
from ingest.cross_check import Placed
from ingest.domain import ArticleRecord, FoundBy
from ingest.errors import FetchError, ParseError, PermanentFetchError
from ingest.fetch import Fetcher, Page
from ingest.listing import walk_listing
from ingest.settings import SiteSettings
from ingest.sites import ArticlePage, Layout, ListingItem, build_layout
from ingest.sites.sitemap_xml import as_day
from ingest.store import urls
from ingest.store.engine import Database
from ingest.text import content_hash
from ingest.turns import Turns

if TYPE_CHECKING:
    from ingest.feed_first import FeedReader
    from ingest.sitemap_day import SitemapReader

log = structlog.get_logger("ingest.cross_check")


@dataclass(frozen=True, slots=True)
class Found:
    """What the cross-check found for a day: the records to store with the listing's, how
    many articles of the day the listing lacked (stored now or before), and the first
    transient failure of a found page."""

    records: tuple[ArticleRecord, ...] = ()
    count: int = 0
    error: str | None = None


class OtherSources:
    """A run's other sources of one site; each file read once a run, shared by its dates."""

    def __init__(
        self,
        site: SiteSettings,
        fetcher: Fetcher,
        turns: Turns,
        *,
        sitemaps: SitemapReader | None,
        feed: FeedReader | None,
        rest: Layout | None,
    ) -> None:
        self.site = site
        self.fetcher = fetcher
        self.turns = turns
        self.sitemaps = sitemaps
        self.feed = feed
        self.rest = rest
        self._unreadable: set[FoundBy] = set()

    async def placed_on(self, day: date, *, rest: bool) -> list[Placed]:
        """Every URL a readable source places on ``day``, in the sources' order."""
        read = await asyncio.gather(
            self._sitemap(day), self._feed(day), self._rest(day) if rest else _nothing()
        )
        return [placed for found in read for placed in found]

    async def _sitemap(self, day: date) -> list[Placed]:
        if self.sitemaps is None or FoundBy.SITEMAP in self._unreadable:
            return []
        try:
            entries = await self.sitemaps.entries_on(day)
        except (FetchError, ParseError) as exc:
            self._unreadable_now(FoundBy.SITEMAP, exc)
            return []
        return [
            Placed(e.url, FoundBy.SITEMAP, published=e.published is not None, title=e.title)
            for e in entries
        ]

    async def _feed(self, day: date) -> list[Placed]:
        if self.feed is None:
            return []
        items = await self.feed.items()  # None when unreadable, logged once by the reader
        tz = self.site.timezone
        return [
            Placed(item.url, FoundBy.FEED, published=True, title=item.title)
            for item in items or ()
            if item.day(tz) == day
        ]

    async def _rest(self, day: date) -> list[Placed]:
        layout = self.rest
        if layout is None or FoundBy.REST in self._unreadable:
            return []
        items: list[ListingItem] = []
        try:
            async for step in walk_listing(self.fetcher, layout, layout.listing_url(day)):
                if step.listing is not None:
                    items.extend(step.listing.items)
        except (FetchError, ParseError) as exc:
            if isinstance(exc, PermanentFetchError):
                self._unreadable_now(FoundBy.REST, exc)  # refused: not asked again this run
            else:
                log.info("cross_check_source_unreadable", source="rest", reason=str(exc),
                         date=day.isoformat())  # fmt: skip
            return []
        return [
            Placed(item.url, FoundBy.REST, published=True, title=item.title)
            for item in items
            if item.day in (None, day)
        ]

    def _unreadable_now(self, source: FoundBy, exc: Exception) -> None:
        if source not in self._unreadable:
            self._unreadable.add(source)
            log.warning("cross_check_source_unreadable", source=source.value, reason=str(exc))


async def _nothing() -> list[Placed]:
    return []


class CrossCheck:
    """Completes a day's listing from the other sources: ``found_on`` for each crawled day."""

    def __init__(
        self,
        site: SiteSettings,
        sources: OtherSources,
        fetcher: Fetcher,
        turns: Turns,
        database: Database,
    ) -> None:
        self.site = site
        self.sources = sources
        self.fetcher = fetcher
        self.turns = turns
        self.database = database
        # Every page the run's listings showed, on any of its days (``url_key``): a page
        # another source places on a day that another day's listing shows is that day's
        # (a post edited later, placed on its edit's day by its ``lastmod``), not fetched.
        self._listed: set[str] = set()

    async def found_on(
        self,
        day: date,
        layout: Layout,
        listed: Sequence[ListingItem],
        listed_keys: set[str],
        budget: DayBudget,
        *,
        refresh: bool = False,
    ) -> Found:
        """The articles other sources place on ``day`` that the listing (``listed``, every
        item before dedupe) lacks; ``listed_keys`` are the title keys the listing's records
        take: a found article under one of them is that story again, not an omission.
        ``refresh`` (a forced crawl, a reparse): one stored on the day already is read again."""
        self._listed.update(cross_check.url_key(item.url) for item in listed)
        placed = await self.sources.placed_on(day, rest=_is_wordpress_html(layout))
        missing = cross_check.missing_from_listing(self._listed, placed)
        if not missing:
            return Found()
        with self.database.transaction() as tx:
            stored = urls.dates_by_url(tx.connection, self.site.name, [m.url for m in missing])
        again = {m.url for m in missing if refresh and stored.get(m.url) == day}
        before = sum(1 for m in missing if stored.get(m.url) == day and m.url not in again)
        wanted = [
            m
            for m in missing
            if (m.url not in stored or m.url in again) and may_fetch(self.fetcher, m.url)
        ]
        got = await asyncio.gather(*(fetch_page(self.fetcher, m.url, budget) for m in wanted))
        budget.check()
        read = await self.turns.run(lambda: [_read(layout, page) for page, _ in got])
        records: dict[str, ArticleRecord] = {}
        for found, (page, _), article in zip(wanted, got, read, strict=True):
            if page is None or article is None:
                continue
            record = self._record(day, found, page, article)
            if record is not None and record.title_key not in listed_keys:
                records.setdefault(record.title_key, record)
        for record in records.values():
            log.info("article_found_elsewhere", date=day.isoformat(), url=record.url,
                     source=record.found_by.value)  # fmt: skip
        errors = [error for _, error in got if error is not None]
        return Found(tuple(records.values()), before + len(records), failed_pages(errors))

    def _record(
        self, day: date, found: Placed, page: Page, article: ArticlePage
    ) -> ArticleRecord | None:
        """The found article as the day's record, or None when it is another day's or has
        no text."""
        own = as_day(article.published_at, self.site.timezone)
        if not cross_check.belongs_to(day, own, found):
            page_date = own.isoformat() if own else None
            log.info("found_elsewhere_other_day", date=day.isoformat(), url=found.url,
                     source=found.source.value, page_date=page_date)  # fmt: skip
            return None
        if not article.body:
            log.info("found_elsewhere_unreadable", url=found.url, reason="no text")
            return None
        # What a later listing of it is compared with: none was, so only its URL.
        return page_record(
            self.site.name,
            day,
            found.url,
            article,
            page,
            title=found.title,
            listing_hash=content_hash(found.url),
            found_by=found.source,
        )


def _read(layout: Layout, page: Page | None) -> ArticlePage | None:
    """On the parse thread: the found page read with the day's layout, or None."""
    if page is None:
        return None
    try:
        return parse_guarded(lambda: layout.parse_article(page.markup, page.url), page.url)
    except ParseError as exc:
        log.info("found_elsewhere_unreadable", url=page.url, reason=str(exc))
        return None


def _is_wordpress_html(layout: Layout) -> bool:
    from ingest.sites.wordpress import WordPressLayout

    return isinstance(layout, WordPressLayout)


def cross_check_for(
    site: SiteSettings,
    fetcher: Fetcher,
    turns: Turns,
    database: Database,
    feed: FeedReader | None,
) -> CrossCheck | None:
    """The run's cross-check of ``site``, or None when its ``cross_check`` is off. ``feed``:
    the run's read of the site's feed, shared with the feed-first check."""
    if not site.cross_check:
        return None
    from ingest.sitemap_day import SitemapReader
    from ingest.sites.sitemap import SitemapLayout

    sitemaps = None
    if site.sitemap_path is not None:
        shape = site.shape_of("sitemap", site.sitemap_path, {})
        layout = build_layout("sitemap", shape)
        assert isinstance(layout, SitemapLayout)
        sitemaps = SitemapReader(layout, fetcher, turns)
    rest = None
    if "wordpress" in {layout for _, layout, _ in site.periods()}:
        rest = build_layout("wordpress-api", site.shape_of("wordpress-api", None, {}))
    sources = OtherSources(site, fetcher, turns, sitemaps=sitemaps, feed=feed, rest=rest)
    return CrossCheck(site, sources, fetcher, turns, database)
