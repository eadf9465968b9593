"""The feed first: a site with ``feed = true`` has its feed read before the listings of the
dates it already holds complete, so a fresh poll of an unchanged site costs one request.

Listings stay the source of a date's completeness; the feed only says when reading a complete
date's listing again would find nothing new. It vouches for a date when it reaches back past
it (its oldest item is from an earlier day: a feed shows only the newest items), and none of
its items of that date is new: each item's title is stored on that date (at its link or
another: a story posted twice is one record). Then the date
is left as stored (counted as not modified, as a 304 would be). Otherwise, and for every date
not complete, never crawled, or crawled with ``--force``, the listing is read as without a
feed. A feed that cannot be read or parsed vouches for nothing (``feed_unreadable``, once a
run). The feed is read once a run, and only when some date could be vouched for: a backfill,
which plans only dates not complete, never reads it.
"""

from __future__ import annotations

import asyncio
from datetime import date, tzinfo

import structlog

from ingest.bounds import parse_guarded
from ingest.domain import DateStatus
from ingest.errors import (
    DatabaseUnavailableError,
    FetchError,
    ParseError,
    StorageError,
    StorageFullError,
)
from ingest.fetch import Fetcher
from ingest.pipeline import DayPipeline
from ingest.sites.feed import FeedItem, parse_feed
from ingest.store import articles, days
from ingest.tally import DayResult
from ingest.text import title_key
from ingest.turns import Turns

log = structlog.get_logger("ingest.feed")
FEED_ACCEPT = "application/rss+xml,application/atom+xml,application/xml;q=0.9,*/*;q=0.5"


class FeedReader:
    """A run's read of the site's feed: fetched and parsed once, when first asked."""

    def __init__(self, url: str, fetcher: Fetcher, turns: Turns, tz: tzinfo) -> None:
        self.url = url
        self.fetcher = fetcher
        self.turns = turns
        self.tz = tz
        self._read: asyncio.Task[tuple[FeedItem, ...] | None] | None = None

    async def items(self) -> tuple[FeedItem, ...] | None:
        """The feed's items, or None when it cannot be read."""
        if self._read is None:
            self._read = asyncio.ensure_future(self._fetch())
        return await self._read

    async def _fetch(self) -> tuple[FeedItem, ...] | None:
        try:
            page = await self.fetcher.get(self.url, kind="feed", headers={"Accept": FEED_ACCEPT})
            body, url = page.body, page.url
            items = await self.turns.run(
                lambda: parse_guarded(lambda: parse_feed(body, url, self.tz), url)
            )
        except (FetchError, ParseError) as exc:
            log.warning("feed_unreadable", url=self.url, reason=str(exc))
            return None
        log.info("feed_read", url=self.url, items=len(items))
        return items


class FeedFirstPipeline(DayPipeline):
    """``DayPipeline`` that asks the feed before reading a complete date's listing again."""

    feed: FeedReader

    async def crawl_day(self, day: date) -> DayResult:
        if self.conditional and day not in self.never_crawled:
            try:
                if await self._feed_vouches_for(day):
                    log.info("date_unchanged_in_feed", date=day.isoformat())
                    return self._day_not_modified(day)
            except (StorageFullError, DatabaseUnavailableError):
                raise
            except StorageError as exc:  # the feed is a shortcut: the listing decides
                log.warning("feed_check_failed", date=day.isoformat(), reason=str(exc))
        return await super().crawl_day(day)

    async def _feed_vouches_for(self, day: date) -> bool:
        site = self.site.name
        with self.database.transaction() as tx:
            status = days.date_statuses(tx.connection, site, day, day).get(day)
        if status is not DateStatus.COMPLETE:
            return False
        items = await self.feed.items()
        if not items:
            return False
        tz = self.site.timezone
        item_days = [item.day(tz) for item in items]
        if any(d is None for d in item_days) or min(d for d in item_days if d) >= day:
            return False  # an undated item, or the feed does not reach back past the day
        on_day = [item for item, d in zip(items, item_days, strict=True) if d == day]
        with self.database.transaction() as tx:
            titles = articles.urls_by_title(tx.connection, site, day)
        return all(title_key(i.title) in titles for i in on_day if self.could_store(i.url))

    def could_store(self, url: str) -> bool:
        """Whether the crawl would store an article at ``url``: a listing's item is stored
        even when robots.txt keeps the crawl off its page (from the listing's text)."""
        return True
