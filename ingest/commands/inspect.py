"""``ingest inspect``: what a site's layout extracts from live pages, stored nowhere; shown as a
table for a person or as JSON."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from typing import TYPE_CHECKING, Any

from ingest.commands._common import (
    EXIT_FAILED,
    EXIT_OK,
    configured_sites,
    iso_date,
    start_logging,
)
from ingest.errors import FetchError, ParseError, UsageError
from ingest.settings import Settings
from ingest.sites import ArticlePage, ListingItem
from ingest.terminal import printable

if TYPE_CHECKING:
    from ingest.inspection import Inspection

NAME = "inspect"
HELP = "show what a site's layout extracts from live pages (stores nothing)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", nargs="?", metavar="URL", help="one page to parse as a listing")
    parser.add_argument("--site", metavar="NAME", help="the configured site (default: the only)")
    parser.add_argument("--date", dest="day", type=iso_date, metavar="DATE",
                        help="that day's listing, every page")  # fmt: skip
    parser.add_argument("--article", action="store_true", help="also parse the first article")
    parser.add_argument("--json", action="store_true", help="print JSON")


def handle(args: argparse.Namespace, settings: Settings) -> int:
    start_logging(settings, NAME, stream_level="CRITICAL", reads_only=True)
    from ingest.inspection import inspect_site

    if (args.day is None) == (args.url is None):
        raise UsageError("inspect takes --date DATE or a URL")
    if args.site is None and len(settings.sites) > 1:
        raise UsageError(f"name the site with --site ({', '.join(settings.site_names)})")
    (site,) = configured_sites(
        argparse.Namespace(sites=[args.site or settings.site.name]), settings
    )
    try:
        found = inspect_site(site, day=args.day, url=args.url, article=args.article)
    except (FetchError, ParseError) as exc:
        print(printable(f"ingest: {site.name}: {type(exc).__name__}: {exc}"), file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(as_dict(found), ensure_ascii=False, indent=2))
    else:
        width = shutil.get_terminal_size((120, 24)).columns
        for line in render(found, width=width):
            print(line)
    return EXIT_OK


def as_dict(inspection: Inspection) -> dict[str, Any]:
    return {
        "site": inspection.site,
        "layout": inspection.layout,
        "pages": [
            {
                "url": page.url,
                "status": page.status,
                "next_url": page.next_url,
                "skipped_items": page.skipped_items,
                "items": [_item_dict(item) for item in page.items],
            }
            for page in inspection.pages
        ],
        "count": len(inspection.items),
        "article": None if inspection.article is None else _article_dict(inspection.article),
    }


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
    """The inspection as lines for a person: a table of items, then pages, count, article;
    the site's text made printable."""
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
    rows = [tuple(map(printable, row)) for row in rows]
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
    return [printable(line) for line in lines]


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
