"""``ingest runs``: recent runs, newest first, as a table or a JSON array."""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from ingest.commands._common import (
    EXIT_OK,
    database_sites,
    open_database,
    positive_int,
    site_option,
    start_logging,
)
from ingest.settings import Settings
from ingest.store import runs
from ingest.store.engine import Database
from ingest.terminal import printable

NAME = "runs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--limit", type=positive_int, default=20, help="how many runs (default: 20)"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    site_option(parser, also="one stored in the database, such as the demo's")


@dataclass(frozen=True, slots=True)
class RunView:
    """A run as people read it."""

    id: int
    site: str
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    date_from: date | None
    date_to: date | None
    dates_total: int
    dates_done: int
    dates_failed: int
    dates_skipped: int
    pages_fetched: int
    pages_failed: int
    pages_not_modified: int
    articles_new: int
    articles_updated: int
    articles_unchanged: int
    duplicates: int
    error_summary: str | None
    owner: str | None

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = dataclasses.asdict(self)
        for key, value in data.items():
            if isinstance(value, date | datetime):
                data[key] = value.isoformat()
        data["duration_seconds"] = self.duration_seconds
        return data


def recent_runs(
    database: Database, *, limit: int, sites: Sequence[str] | None = None
) -> list[RunView]:
    names = [f.name for f in dataclasses.fields(RunView)]
    with database.transaction() as tx:
        return [
            RunView(**{name: getattr(run, name) for name in names})
            for run in runs.recent_runs(tx.connection, limit=limit, sites=sites)
        ]


def handle(args: argparse.Namespace, settings: Settings) -> int:
    start_logging(settings, NAME, stream_level="CRITICAL", reads_only=True)
    database = open_database(settings, access="read")
    try:
        names = [site.name for site in database_sites(args, settings, database)]
        found = recent_runs(database, limit=args.limit, sites=names if args.sites else None)
    finally:
        database.dispose()
    if args.json:
        print(json.dumps([run.as_dict() for run in found], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not found:
        print("no runs yet")
        return EXIT_OK
    for line in render_table(found):
        print(line)
    return EXIT_OK


_HEADER = (
    "ID", "SITE", "KIND", "STATUS", "STARTED (UTC)", "TOOK", "DATES", "OK/FAIL/SKIP",
    "PAGES got/304/fail", "ARTICLES new/upd/same", "DUPS", "OWNER", "FIRST ERROR",
)  # fmt: skip


def render_table(found: Sequence[RunView]) -> list[str]:
    """The runs as aligned columns under a header."""
    rows: list[tuple[str, ...]] = [_HEADER]
    for run in found:
        took = run.duration_seconds
        rows.append(
            (
                str(run.id),
                run.site,
                run.kind,
                run.status,
                run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                "-" if took is None else f"{took:.1f}s",
                _dates(run),
                f"{run.dates_done}/{run.dates_failed}/{run.dates_skipped}",
                f"{run.pages_fetched}/{run.pages_not_modified}/{run.pages_failed}",
                f"{run.articles_new}/{run.articles_updated}/{run.articles_unchanged}",
                str(run.duplicates),
                # host:pid of the process (daemon replica) that ran it; the token is per run.
                (run.owner or "-").rsplit(":", 1)[0],
                (run.error_summary or "").split("; ")[0][:60],
            )
        )
    rows = [tuple(map(printable, row)) for row in rows]  # site text in the error, say
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _dates(run: RunView) -> str:
    if run.date_from is None or run.date_to is None:
        return "-"
    if run.date_from == run.date_to:
        return run.date_from.isoformat()
    return f"{run.date_from.isoformat()}..{run.date_to.isoformat()}"
