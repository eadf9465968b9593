"""``ingest add``'s cross-check of the day it checked: what the site's sitemaps and feed place
on that day that the listing lacks, compared as the crawl's cross-check compares them
(``ingest.cross_check``), whatever the site's ``cross_check`` will say; nothing found is
fetched. The requests come from ``add``'s budget: a page it read before is not asked for
again, and a source it has no request left for is said to be unread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol
from zoneinfo import ZoneInfo

from ingest.bounds import parse_guarded
from ingest.cross_check import Placed, missing_from_listing
from ingest.discovery import Findings
from ingest.domain import FoundBy
from ingest.errors import ParseError
from ingest.fetch import Page
from ingest.sites.feed import parse_feed
from ingest.sites.sitemap_xml import SitemapFile, as_day, parse_sitemap


class Asking(Protocol):
    """``add``'s counted fetcher."""

    @property
    def left(self) -> int: ...

    async def get(self, url: str, accept: str = ...) -> Page | None: ...


@dataclass(frozen=True, slots=True)
class CrossChecked:
    """The checked day's listing against the site's other sources, as the crawl's
    cross-check compares them (``ingest.cross_check``), without fetching what it finds."""

    day: date
    # (source, URLs it places on the day, what of it was left unread), of the sources read
    placed: tuple[tuple[str, int, str | None], ...]
    unread: tuple[tuple[str, str], ...]  # (source, why not)
    # Placed on the day and not in its listing: by a publication date (a news sitemap, the
    # feed), and by a ``lastmod`` only, which an edit of an older post also gives (the
    # crawl reads such a page's own date; ``add`` fetches none).
    missing: tuple[Placed, ...]
    changed: tuple[Placed, ...]
    sitemap_path: str | None  # the sitemap read, as ``sitemap_path`` would name it


async def cross_check_day(
    budget: Asking, found: Findings, day: date, listed: Sequence[str], zone: str
) -> CrossChecked:
    """The checked day's listing against the sitemap found (and, of an index, its children
    changed on the day or later, as many as the requests left) and the first feed."""
    tz = ZoneInfo(zone)
    placed: list[tuple[str, int, str | None]] = []
    unread: list[tuple[str, str]] = []
    every: list[Placed] = []
    sitemap_path = None
    # The feed first: one request, and its dates are publications; the sitemaps get the rest.
    feed: tuple[list[Placed], str | None] = ([], None)
    if found.home.feeds:
        feed = await _feed_items(budget, found.home.feeds[0].url, day, tz)
    if found.sitemaps:
        url = found.sitemaps[0][0]
        entries, why, partly = await _sitemap_entries(budget, url, day, tz)
        if why is None:
            every += entries
            placed.append(("sitemaps", len(entries), partly))
            sitemap_path = url[len(found.base_url) :] if url.startswith(found.base_url) else None
        else:
            unread.append(("sitemaps", why))
    if found.home.feeds:
        items, why = feed
        if why is None:
            every += items
            placed.append(("feed", len(items), None))
        else:
            unread.append(("feed", why))
    lacked = missing_from_listing(listed, every)
    missing = tuple(m for m in lacked if m.published)
    changed = tuple(m for m in lacked if not m.published)
    return CrossChecked(day, tuple(placed), tuple(unread), missing, changed, sitemap_path)


async def _sitemap_entries(
    budget: Asking, url: str, day: date, tz: ZoneInfo
) -> tuple[list[Placed], str | None, str | None]:
    """The URLs the sitemap at ``url`` places on ``day``, or why they cannot be told; and,
    of an index, how many of the children that may hold some were left unread."""
    accept = "application/xml, text/xml, */*;q=0.5"
    files: list[SitemapFile] = []
    pending, left_out = [url], 0
    while pending:
        page = await budget.get(pending.pop(0), accept)
        if page is None:
            return [], "the requests ran out" if budget.left <= 0 else "not read", None
        if page.status != 200:
            return [], f"HTTP {page.status}", None
        try:
            sitemap = parse_guarded(_sitemap_of(page), page.url)
        except ParseError as exc:
            return [], str(exc), None
        if sitemap.index and not files:  # one level, as sitemaps.org allows
            children = [r for r in sitemap.children if (as_day(r.lastmod, tz) or day) >= day]
            # Changed nearest the day first: the likeliest to hold it, the fewest entries.
            children.sort(key=lambda r: as_day(r.lastmod, tz) or date.max)
            pending = [r.url for r in children[: max(budget.left, 0)]]
            left_out = len(children) - len(pending)
        files.append(sitemap)
    partly = f"{left_out} of them not read: the requests ran out" if left_out else None
    found: list[Placed] = []
    for sitemap in files:
        found += (
            Placed(e.url, FoundBy.SITEMAP, published=e.published is not None, title=e.title)
            for e in sitemap.entries
            if e.hint_day(tz) == day
        )
    return found, None, partly


async def _feed_items(
    budget: Asking, url: str, day: date, tz: ZoneInfo
) -> tuple[list[Placed], str | None]:
    """The URLs the feed at ``url`` dates on ``day``, or why they cannot be told."""
    page = await budget.get(url, "application/rss+xml, application/atom+xml, */*;q=0.5")
    if page is None:
        return [], "the requests ran out" if budget.left <= 0 else "not read"
    if page.status != 200:
        return [], f"HTTP {page.status}"
    try:
        items = parse_guarded(lambda: parse_feed(page.body, page.url, tz), page.url)
    except ParseError as exc:
        return [], str(exc)
    return [Placed(i.url, FoundBy.FEED, published=True, title=i.title) for i in items
            if i.day(tz) == day], None  # fmt: skip


def _sitemap_of(page: Page) -> Callable[[], SitemapFile]:
    return lambda: parse_sitemap(page.body, page.url)
