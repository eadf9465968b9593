"""The run records: opening one, its plan and counts, closing it, and reading recent runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Executable, Row, bindparam, insert, select, update

from ingest.domain import RunKind, RunStatus
from ingest.store import driver
from ingest.store.tables import runs as _runs


@dataclass(frozen=True, slots=True)
class RunCounts:
    dates_done: int = 0
    dates_failed: int = 0
    pages_fetched: int = 0
    pages_failed: int = 0
    pages_not_modified: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    duplicates: int = 0


def start_run(
    conn: Connection,
    *,
    site: str,
    kind: RunKind,
    date_from: date | None,
    date_to: date | None,
    now: datetime,
    owner: str | None = None,
) -> int:
    """Open a run record, ``running`` with every count at zero; its id."""
    statement = (
        insert(_runs)
        .values(
            site=site,
            kind=kind.value,
            status=RunStatus.RUNNING.value,
            started_at=now,
            heartbeat_at=now,
            owner=owner,
            date_from=date_from,
            date_to=date_to,
        )
        .returning(_runs.c.id)
    )
    return int(conn.execute(statement).scalar_one())


def save_run_progress(
    conn: Connection,
    run_id: int,
    counts: RunCounts,
    *,
    dates_total: int | None = None,
    dates_skipped: int | None = None,
) -> None:
    values = _run_counts(counts)
    if dates_total is not None:
        values["dates_total"] = dates_total
    if dates_skipped is not None:
        values["dates_skipped"] = dates_skipped
    driver.execute(conn, _run_update(tuple(values)), {"run_id": run_id, **values})


def _run_counts(counts: RunCounts) -> dict[str, object]:
    return {
        "dates_done": counts.dates_done,
        "dates_failed": counts.dates_failed,
        "pages_fetched": counts.pages_fetched,
        "pages_failed": counts.pages_failed,
        "pages_not_modified": counts.pages_not_modified,
        "articles_new": counts.articles_new,
        "articles_updated": counts.articles_updated,
        "articles_unchanged": counts.articles_unchanged,
        "duplicates": counts.duplicates,
    }


@cache
def _run_update(columns: tuple[str, ...]) -> Executable:
    # Built once per column set: the crawl saves its counts with every date it commits.
    return (
        update(_runs)
        .where(_runs.c.id == bindparam("run_id"))
        .values({name: bindparam(name) for name in columns})
    )


def finish_run(
    conn: Connection,
    run_id: int,
    *,
    status: RunStatus,
    counts: RunCounts,
    error_summary: str | None,
    now: datetime,
) -> None:
    save_run_progress(conn, run_id, counts)
    conn.execute(
        update(_runs)
        .where(_runs.c.id == run_id)
        .values(status=status.value, finished_at=now, error_summary=error_summary)
    )


def recent_runs(
    conn: Connection, *, limit: int, site: str | None = None, sites: Sequence[str] | None = None
) -> Sequence[Row[Any]]:
    """The newest runs first, as rows with the ``runs`` columns."""
    query = select(_runs).order_by(_runs.c.started_at.desc(), _runs.c.id.desc()).limit(limit)
    if site is not None:
        query = query.where(_runs.c.site == site)
    if sites:
        query = query.where(_runs.c.site.in_(sites))
    return conn.execute(query).all()
