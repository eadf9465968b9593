"""A site's feed (RSS 0.9x/1.0/2.0 or Atom), read purely: bytes in, frozen items out.

Parsed by fastfeedparser, a feedparser-compatible parser: on a 50-item RSS 2.0 feed with full
content it took 0.62 ms of CPU against feedparser's 31 ms (Atom: 0.63 against 16;
tests/benchmarks/feeds.py). It never fetches anything when handed bytes, and reads XML with
entities left unresolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from ingest.errors import ParseError
from ingest.sites.base import parse_timestamp
from ingest.text import clean_whitespace

MAX_FEED_ITEMS = 1000


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One article as the feed shows it: its link, title and publication time (aware)."""

    url: str
    title: str
    published: datetime | None

    def day(self, tz: tzinfo) -> date | None:
        """The item's day on the site's calendar; None without a publication time."""
        return self.published.astimezone(tz).date() if self.published is not None else None


def parse_feed(body: bytes, url: str, tz: tzinfo) -> tuple[FeedItem, ...]:
    """The feed's items, newest as the feed orders them; ParseError for a page that is no
    feed (an HTML page, a broken file) or holds more than ``MAX_FEED_ITEMS`` items."""
    import fastfeedparser  # imported by the runs of sites with a feed only

    try:
        parsed = fastfeedparser.parse(
            body, include_content=False, include_tags=False, include_media=False,
            include_enclosures=False,
        )  # fmt: skip
    except (ValueError, TypeError) as exc:
        raise ParseError(f"{url}: not a feed: {exc}") from exc
    entries = parsed.get("entries") or []
    if len(entries) > MAX_FEED_ITEMS:
        raise ParseError(f"{url}: more than {MAX_FEED_ITEMS} items in the feed")
    items = []
    for entry in entries:
        link = (entry.get("link") or "").strip()
        if not link.startswith(("http://", "https://")):
            continue
        stamp = entry.get("published") or entry.get("updated") or ""
        published = parse_timestamp(stamp, tz) if isinstance(stamp, str) and stamp else None
        items.append(FeedItem(link, clean_whitespace(entry.get("title") or ""), published))
    return tuple(items)
