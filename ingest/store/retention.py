"""Run records' retention: every poll of every site adds a run row (10,000 sites polled every
30 minutes add 480,000 a day), so the old ones are deleted (``[database]`` ``keep_runs``,
``keep_runs_days``; docs/operations.md, "Run records").

A run is deleted only when all of these hold: it is finished; it started more than
``keep_days`` days ago; at least ``keep_last`` runs of its site started after it; it is not its
site's first run (the "nothing new" alert counts from it when no article was ever stored); and
no article, article revision, date state, schedule row or lock names it (those keep the run
that wrote them, so nothing the archive holds loses its provenance). Nothing else reads runs:
``coverage`` reads the date states and articles, health the newest 20 runs of each site.

Deleted in chunks, each its own transaction, so a first purge of a long history holds no lock
for long; a chunk that fails ends the purge, and what is left waits for the next one. Every
column naming a run is indexed (migration 0007): the database's foreign-key check of each
deleted run is a lookup, not a scan of the articles.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import CompoundSelect, Connection, delete, func, select, union

from ingest.domain import RunStatus, utc_now
from ingest.errors import IngestError
from ingest.store import figures, runs
from ingest.store.engine import Database
from ingest.store.tables import article_revisions, articles, crawl_state, site_locks, site_schedule
from ingest.store.tables import runs as _runs

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from ingest.settings.types import DatabaseSettings

log = structlog.get_logger("ingest.daemon")

# Run ids per DELETE (and per transaction).
CHUNK = 1000
# The daemon purges this often, the first time a minute after it starts.
PURGE_SECONDS = 3600.0


def purgeable_runs(conn: Connection, *, keep_last: int, keep_days: int, now: datetime) -> list[int]:
    """The ids of the runs the rules above delete, oldest first."""
    known = (
        select(_runs.c.site, func.min(_runs.c.started_at).label("first"))
        .group_by(_runs.c.site)
        .subquery()
    )
    nth = runs.nth_newest_start(known.c.site, keep_last)
    # Materialized: the cutoff is found once a site, not once a run row.
    cutoffs = (
        select(known.c.site, known.c.first, nth.label("cutoff"))
        .cte("cutoffs")
        .prefix_with("MATERIALIZED")
    )
    old = (
        select(_runs.c.id)
        .join(cutoffs, cutoffs.c.site == _runs.c.site)
        .where(
            _runs.c.status != RunStatus.RUNNING.value,
            _runs.c.started_at < now - timedelta(days=keep_days),
            _runs.c.started_at < cutoffs.c.cutoff,  # null (fewer than keep_last): none
            _runs.c.started_at > cutoffs.c.first,
        )
        .order_by(_runs.c.id)
    )
    candidates = [run_id for (run_id,) in conn.execute(old)]
    if not candidates:
        return []
    named = {row[0] for row in conn.execute(_named_runs()) if row[0] is not None}
    return [run_id for run_id in candidates if run_id not in named]


def _named_runs() -> CompoundSelect[tuple[int | None]]:
    """Every run id a row of another table names (their foreign keys to ``runs``)."""
    return union(
        select(articles.c.first_run_id),
        select(articles.c.last_run_id),
        select(article_revisions.c.replaced_by_run_id),
        select(crawl_state.c.last_run_id),
        select(site_schedule.c.last_run_id),
        select(site_locks.c.run_id),
    )


def purge_runs(database: Database, *, keep_last: int, keep_days: int, now: datetime) -> int:
    """Delete the runs ``purgeable_runs`` finds; how many were deleted. ``keep_last`` 0: none."""
    if keep_last <= 0:
        return 0
    with database.transaction() as tx:
        doomed = purgeable_runs(tx.connection, keep_last=keep_last, keep_days=keep_days, now=now)
    deleted = 0
    for chunk in _chunks(doomed):
        with database.transaction() as tx:
            result = tx.connection.execute(
                delete(_runs)
                .where(_runs.c.id.in_(chunk), _runs.c.status != RunStatus.RUNNING.value)
                .returning(_runs.c.site)
            )
            gone = list(result.scalars())
            # The newest runs health reads may now be fewer (``keep_last`` under 20).
            figures.refresh(tx.connection, set(gone), keep_quiet=True)
            tx.commit()
        deleted += len(gone)
    return deleted


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def schedule_purge(
    scheduler: BaseScheduler, database: Database, settings: DatabaseSettings
) -> None:
    """The daemon's purge, with ``[database]``'s retention: a job of its scheduler (each
    replica's: a second purge at once finds nothing left to delete)."""
    if settings.keep_runs <= 0:
        return
    first = datetime.now().astimezone() + timedelta(minutes=1)
    kept = {"keep_last": settings.keep_runs, "keep_days": settings.keep_runs_days}
    scheduler.add_job(purge_logged, "interval", args=(database,), kwargs=kept, id="purge-runs",
                      seconds=PURGE_SECONDS, max_instances=1, coalesce=True,
                      next_run_time=first)  # fmt: skip


def purge_logged(database: Database, *, keep_last: int, keep_days: int) -> None:
    """``purge_runs``, logged (``runs_purged``); a failure is logged, never raised."""
    started = time.monotonic()
    try:
        deleted = purge_runs(database, keep_last=keep_last, keep_days=keep_days, now=utc_now())
    except IngestError as exc:
        log.warning("runs_purge_failed", error=str(exc))
        return
    seconds = round(time.monotonic() - started, 3)
    log.info("runs_purged", deleted=deleted, keep_runs=keep_last, keep_runs_days=keep_days,
             seconds=seconds)  # fmt: skip
