"""``ingest export``: stored articles as JSON lines or CSV, streamed so memory stays flat.

JSON lines are the data exactly. CSV is what a spreadsheet opens, so a cell that a spreadsheet
would take for a formula gets a leading ``'`` (``spreadsheet_cell``).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator, Mapping
from datetime import date, tzinfo
from pathlib import Path
from typing import Any, Literal, TextIO

from ingest.commands._common import (
    EXIT_OK,
    database_sites,
    iso_date,
    open_database,
    require_range,
    site_option,
    start_logging,
)
from ingest.commands._output import replacing
from ingest.errors import OutputError
from ingest.settings import Settings
from ingest.store.engine import Database
from ingest.store.exports import exported

NAME = "export"

ExportFormat = Literal["jsonl", "csv"]
FIELDS = (
    "site",
    "date",
    "title",
    "url",
    "category",
    "body",
    "published_at",
    "first_seen_at",
    "updated_at",
    "found_by",
)
# With --warc: where the page the article's body came from lies in the WARC archive.
WARC_FIELDS = ("warc_file", "warc_offset", "warc_record_id")
# OWASP's "CSV Injection" advice: a cell starting with one of these is a formula (or becomes one
# when a spreadsheet trims it) to Excel, LibreOffice and Google Sheets; a leading ' keeps it text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: str | None) -> str | None:
    """``value`` as a CSV cell that no spreadsheet runs: ``'`` before a formula's first
    character, as OWASP advises; anything else as it is."""
    if value is not None and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _rows(
    database: Database,
    sites: Mapping[str, tzinfo],
    first: date | None,
    last: date | None,
    warc: bool,
) -> Iterator[dict[str, Any]]:
    with database.transaction() as tx:
        for article in exported(tx.connection, list(sites), first, last):
            published = article.published_at
            row = {
                "site": article.site,
                "date": article.date.isoformat(),
                "title": article.title,
                "url": article.url,
                "category": article.category,
                "body": article.body,
                # Publication times are shown in the site's own calendar, with its offset.
                "published_at": published.astimezone(sites[article.site]).isoformat()
                if published
                else None,
                "first_seen_at": article.first_seen_at.isoformat(),
                "updated_at": article.updated_at.isoformat(),
                # The source that found it: listing, sitemap, feed, rest (null: before 0008).
                "found_by": article.found_by,
            }
            if warc:
                row.update((name, getattr(article, name)) for name in WARC_FIELDS)
            yield row


def export_articles(
    database: Database,
    out: TextIO,
    *,
    sites: Mapping[str, tzinfo],
    fmt: ExportFormat,
    first: date | None = None,
    last: date | None = None,
    warc: bool = False,
) -> int:
    """Write one record per article of ``sites`` (name -> the calendar its publication times
    are shown in) to ``out``, with ``warc`` its WARC location too; return how many were
    written."""
    count = 0
    rows = _rows(database, sites, first, last, warc)
    if fmt == "csv":
        fields = (*FIELDS, *WARC_FIELDS) if warc else FIELDS
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    field: spreadsheet_cell(value) if isinstance(value, str) else value
                    for field, value in row.items()
                }
            )
            count += 1
    else:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", dest="fmt", choices=("jsonl", "csv"), default="jsonl")
    parser.add_argument("--from", dest="first", type=iso_date, metavar="DATE")
    parser.add_argument("--to", dest="last", type=iso_date, metavar="DATE")
    parser.add_argument(
        "--output", metavar="FILE", help="write here instead of stdout (replaced when complete)"
    )
    parser.add_argument(
        "--warc",
        action="store_true",
        help="add where each article's page lies in the WARC archive (file, offset, record id)",
    )
    site_option(parser, also="one stored in the database, such as the demo's")


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Every record, or nothing: with ``--output`` the file is replaced only by a whole export
    (``_output.replacing``), never truncated by one that fails."""
    require_range(args.first, args.last)
    start_logging(settings, NAME, stream_level="CRITICAL", reads_only=True)
    database = open_database(settings, access="read")
    try:
        # A site stored but not configured (the demo's) is read in the default site calendar.
        sites = {site.name: site.timezone for site in database_sites(args, settings, database)}

        def write(out: TextIO) -> int:
            return export_articles(database, out, sites=sites, fmt=args.fmt, first=args.first,
                                   last=args.last, warc=args.warc)  # fmt: skip

        if args.output:
            path = Path(args.output)
            try:
                with replacing(path) as out:
                    count = write(out)
            except OSError as exc:
                raise OutputError(f"cannot write {path}: {exc.strerror}") from None
            print(f"wrote {count} articles to {path}", file=sys.stderr)
        else:
            write(sys.stdout)
    finally:
        database.dispose()
    return EXIT_OK
