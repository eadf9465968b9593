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
from typing import Any

from ingest.errors import ParseError
from ingest.fetch import Fetcher
from ingest.listing import walk_listing
from ingest.settings import SiteSettings
from ingest.sites import ArticlePage, ListingItem, ListingPage


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "layout": self.layout,
            "pages": [
                {
                    "url": page.url,
                    "status": page.status,
                    "next_url": page.next_url,
                    "skipped_items": page.skipped_items,
                    "items": [_item_dict(item) for item in page.items],
                }
                for page in self.pages
            ],
            "count": len(self.items),
            "article": None if self.article is None else _article_dict(self.article),
        }


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
    layout = site.parser
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
                raise ParseError("--article: the listing has no item to follow")
            if not layout.fetches_article_pages or items[0].full_text:
                raise ParseError(f"--article: layout {site.layout!r} reads no article pages")
            page = await fetcher.get(items[0].url, kind="article")
            found = layout.parse_article(page.markup, page.url)
    return Inspection(site.name, site.layout, tuple(pages), found)


def _inspected(url: str, status: int, listing: ListingPage) -> InspectedPage:
    return InspectedPage(url, status, listing.items, listing.next_url, listing.skipped_items)


def _item_dict(item: ListingItem) -> dict[str, Any]:
    return {
        "title": item.title,
        "url": item.url,
        "category": item.category,
        "date": item.day.isoformat() if item.day else None,
        "published_at": item.published_at.isoformat() if item.published_at else None,
        "text": item.text,
        "full_text": item.full_text,
    }


def _article_dict(page: ArticlePage) -> dict[str, Any]:
    return {
        "url": page.url,
        "title": page.title,
        "category": page.category,
        "published_at": page.published_at.isoformat() if page.published_at else None,
        "body": page.body,
    }


def render(inspection: Inspection, width: int = 120) -> list[str]:
    """The inspection as lines for a person: a table of items, then pages, count, article."""
    lines: list[str] = []
    rows: list[tuple[str, ...]] = [("TITLE", "URL", "CATEGORY", "DATE", "EXCERPT")]
    for item in inspection.items:
        rows.append(
            (
                item.title,
                item.url,
                item.category or "-",
                item.day.isoformat() if item.day else "-",
                item.text.replace("\n\n", " ¶ ") or "-",
            )
        )
    caps = _column_caps(rows, width)
    for row in rows:
        cells = [_cut(cell, cap).ljust(cap) for cell, cap in zip(row, caps, strict=True)]
        lines.append("  ".join(cells).rstrip())
    for page in inspection.pages:
        status = "404: no posts that day" if page.status == 404 else f"{len(page.items)} items"
        skipped = f", {page.skipped_items} skipped" if page.skipped_items else ""
        lines.append(f"page {page.url}: {status}{skipped}; next: {page.next_url or '-'}")
    lines.append(f"{len(inspection.items)} items on {len(inspection.pages)} page(s)")
    if inspection.article is not None:
        found = inspection.article
        when = found.published_at.isoformat() if found.published_at else "-"
        lines += [
            f"article {found.url}",
            f"  title:        {found.title or '-'}",
            f"  category:     {found.category or '-'}",
            f"  published_at: {when}",
            f"  body:         {_cut(found.body.replace(chr(10) * 2, ' ¶ '), width - 16)}",
        ]
    return lines


def _column_caps(rows: list[tuple[str, ...]], width: int) -> list[int]:
    """Column widths that fit ``width``: short columns whole, the rest share what is left."""
    natural = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    fixed = {2: 16, 3: 10}
    caps = [min(natural[i], fixed.get(i, natural[i])) for i in range(len(natural))]
    room = max(width - sum(caps[2:4]) - 2 * (len(caps) - 1), 30)
    shares = (0.35, 0.35, 0.3)
    for index, share in zip((0, 1, 4), shares, strict=True):
        caps[index] = max(min(natural[index], int(room * share)), 5)
    return caps


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
