"""``ingest inspect``: what a site's layout extracts from live pages, stored nowhere; shown as a
table for a person or as JSON."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import datetime, tzinfo
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", nargs="?", metavar="URL", help="one page to parse as a listing")
    parser.add_argument(
        "--site",
        metavar="NAME",
        help="the configured site to fetch (default: the only one configured)",
    )
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
    named = argparse.Namespace(sites=[args.site or settings.site.name])
    (site,) = configured_sites(named, settings)
    try:
        found = inspect_site(site, day=args.day, url=args.url, article=args.article)
    except FetchError as exc:
        print(printable(f"ingest: {site.name}: cannot fetch {exc.url}: {exc}"), file=sys.stderr)
        return EXIT_FAILED
    except ParseError as exc:
        print(
            printable(f"ingest: {site.name}: not the {site.layout} layout: {exc}"), file=sys.stderr
        )
        return EXIT_FAILED
    if args.json:
        print(json.dumps(as_dict(found, site.timezone), ensure_ascii=False, indent=2))
    else:
        width = shutil.get_terminal_size((120, 24)).columns
        for line in render(found, site.timezone, width=width):
            print(line)
    return EXIT_OK


def _when(moment: datetime | None, zone: tzinfo) -> str | None:
    """A publication time in the site's own calendar, whatever offset its layout read it in
    (WordPress's REST API gives UTC, K2 pages the site's offset): as ``export`` shows it."""
    return None if moment is None else moment.astimezone(zone).isoformat()


def as_dict(inspection: Inspection, zone: tzinfo) -> dict[str, Any]:
    return {
        "site": inspection.site,
        "layout": inspection.layout,
        "pages": [
            {
                "url": page.url,
                "status": page.status,
                "next_url": page.next_url,
                "skipped_items": page.skipped_items,
                "items": [_item_dict(item, zone) for item in page.items],
            }
            for page in inspection.pages
        ],
        "count": len(inspection.items),
        "article": None if inspection.article is None else _article_dict(inspection.article, zone),
    }


def _item_dict(item: ListingItem, zone: tzinfo) -> dict[str, Any]:
    return {
        "title": item.title,
        "url": item.url,
        "category": item.category,
        "date": item.day.isoformat() if item.day else None,
        "published_at": _when(item.published_at, zone),
        "text": item.text,
        "full_text": item.full_text,
    }


def _article_dict(page: ArticlePage, zone: tzinfo) -> dict[str, Any]:
    return {
        "url": page.url,
        "title": page.title,
        "category": page.category,
        "published_at": _when(page.published_at, zone),
        "body": page.body,
    }


def render(inspection: Inspection, zone: tzinfo, width: int = 120) -> list[str]:
    """The inspection as lines for a person: a row per item with its whole URL under it (a
    URL cut short cannot be opened), then pages, count, article; the site's text made
    printable."""
    lines: list[str] = []
    rows: list[tuple[str, ...]] = [("TITLE", "CATEGORY", "DATE", "PUBLISHED", "EXCERPT")]
    for item in inspection.items:
        rows.append(
            (
                item.title,
                item.category or "-",
                item.day.isoformat() if item.day else "-",
                _when(item.published_at, zone) or "-",
                item.text.replace("\n\n", " ¶ ") or "-",
            )
        )
    rows = [tuple(map(printable, row)) for row in rows]
    caps = _column_caps(rows, width)
    for number, row in enumerate(rows):
        cells = [_cut(cell, cap).ljust(cap) for cell, cap in zip(row, caps, strict=True)]
        lines.append("  ".join(cells).rstrip())
        if number:
            lines.append(f"  {inspection.items[number - 1].url}")
    for page in inspection.pages:
        status = "404: no posts that day" if page.status == 404 else f"{len(page.items)} items"
        skipped = f", {page.skipped_items} skipped" if page.skipped_items else ""
        lines.append(f"page {page.url}: {status}{skipped}; next: {page.next_url or '-'}")
    lines.append(f"{len(inspection.items)} items on {len(inspection.pages)} page(s)")
    if inspection.article is not None:
        found = inspection.article
        lines += [
            f"article {found.url}",
            f"  title:        {found.title or '-'}",
            f"  category:     {found.category or '-'}",
            f"  published_at: {_when(found.published_at, zone) or '-'}",
            f"  body:         {_cut(found.body.replace(chr(10) * 2, ' ¶ '), width - 16)}",
        ]
    return [printable(line) for line in lines]


def _column_caps(rows: list[tuple[str, ...]], width: int) -> list[int]:
    """Column widths that fit ``width``: category, date and time whole (up to a cap), title
    and excerpt share what is left."""
    natural = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    fixed = {1: 16, 2: 10, 3: 25}
    caps = [min(natural[i], fixed.get(i, natural[i])) for i in range(len(natural))]
    room = max(width - sum(caps[1:4]) - 2 * (len(caps) - 1), 30)
    for index, share in ((0, 0.5), (4, 0.5)):
        caps[index] = max(min(natural[index], int(room * share)), 5)
    return caps


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
