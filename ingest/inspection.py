"""``ingest inspect``: what a site's layout extracts from live pages, without storing anything.

The pages come through the same polite fetcher a crawl uses (robots.txt, user agent, rate
limit, retries), and are parsed by the same layout. This is how a person writes a ``selectors``
config: edit, inspect, repeat.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date

from ingest.bounds import parse_guarded
from ingest.errors import UsageError
from ingest.fetch import Fetcher
from ingest.listing import walk_listing
from ingest.settings import SiteSettings
from ingest.sites import ArticlePage, ListingItem, ListingPage, build_layout


@dataclass(frozen=True, slots=True)
class InspectedPage:
    url: str
    status: int
    items: tuple[ListingItem, ...]
    next_url: str | None
    skipped_items: int


@dataclass(frozen=True, slots=True)
class Inspection:
    site: str
    layout: str
    pages: tuple[InspectedPage, ...]
    article: ArticlePage | None

    @property
    def items(self) -> list[ListingItem]:
        return [item for page in self.pages for item in page.items]


def inspect_site(
    site: SiteSettings,
    *,
    day: date | None = None,
    url: str | None = None,
    article: bool = False,
) -> Inspection:
    """Fetch and parse ``day``'s listing (every page) or the one page at ``url``.

    ``article`` also parses the first item's article page. Raises FetchError or ParseError
    (the layout does not match the page).
    """
    if (day is None) == (url is None):
        raise ValueError("give a day or a URL")
    return asyncio.run(_inspect(site, day, url, article))


async def _inspect(
    site: SiteSettings,
    day: date | None,
    url: str | None,
    article: bool,
) -> Inspection:
    # The layout that reads the day asked for (a site's layouts over time), else the current.
    name, shape = site.layout_on(day) if day is not None else (site.layout, site.shape)
    layout = build_layout(name, shape)
    async with Fetcher(site, site.http) as fetcher:
        await fetcher.load_robots()
        pages: list[InspectedPage] = []
        if url is not None:  # one page, its "Next" link shown but not followed
            page = await fetcher.get(url, kind="listing", headers={"Accept": layout.accept})
            listing = layout.parse_listing(page.markup, page.url, page.headers)
            pages.append(_inspected(page.url, page.status, listing))
        else:
            first_url = layout.listing_url(day or date.min)
            async with aclosing(walk_listing(fetcher, layout, first_url)) as steps:
                async for step in steps:
                    assert step.listing is not None  # no validators were sent: no 304
                    pages.append(_inspected(step.page.url, step.page.status, step.listing))
        found = None
        items = [item for p in pages for item in p.items]
        if article:
            if not items:
                raise UsageError("--article: the listing has no item to follow")
            if not layout.fetches_article_pages or items[0].full_text:
                raise UsageError(
                    f"--article: the {name} layout reads no article pages (its listing "
                    "holds the whole text)"
                )
            page = await fetcher.get(items[0].url, kind="article")
            found = parse_guarded(lambda: layout.parse_article(page.markup, page.url), page.url)
    return Inspection(site.name, name, tuple(pages), found)


def _inspected(url: str, status: int, listing: ListingPage) -> InspectedPage:
    return InspectedPage(url, status, listing.items, listing.next_url, listing.skipped_items)
