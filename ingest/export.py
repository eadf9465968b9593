"""Export stored articles as JSON lines or CSV, streamed so memory stays flat."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from datetime import date, tzinfo
from typing import Any, Literal, TextIO

from ingest.store.articles import exported
from ingest.store.engine import Database

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
)


def _rows(
    database: Database, sites: Mapping[str, tzinfo], first: date | None, last: date | None
) -> Iterator[dict[str, Any]]:
    with database.transaction() as tx:
        for article in exported(tx.connection, list(sites), first, last):
            published = article.published_at
            yield {
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
            }


def export_articles(
    database: Database,
    out: TextIO,
    *,
    sites: Mapping[str, tzinfo],
    fmt: ExportFormat,
    first: date | None = None,
    last: date | None = None,
) -> int:
    """Write one record per article of ``sites`` (name -> the calendar its publication times
    are shown in) to ``out``; return how many were written."""
    count = 0
    rows = _rows(database, sites, first, last)
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    else:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count
