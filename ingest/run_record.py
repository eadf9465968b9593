"""A run's record and its site's lock: the transactions that are the run's own, not a date's.

Each runs on a thread (``asyncio.to_thread``), never on the event loop: in the daemon every
site's run shares one loop, and a round trip to the database (or a lock another process holds)
would stall every other site's requests meanwhile. The dates' transactions stay on the loop,
between its CPU turns (``pipeline``).

A run costs two of them, whatever its dates: ``open_run`` (the lock, the record and its plan)
and ``close_run`` (the record's status and counts, the site's health figures, the lock freed,
and the state of each date whose listing answered 304). A 304 date stores nothing: its state
("checked, as stored, by this run") goes in with the close, not in a transaction of its own.
A crash before the close loses that check, never a stored day; the date stays as its last
stored crawl left it, and the run is marked abandoned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection

from ingest.domain import DateStatus, RunKind, RunStatus, utc_now
from ingest.planning import dates_between
from ingest.store import figures, liveness, runs
from ingest.store.days import date_statuses, record_date_state
from ingest.store.engine import Database
from ingest.tally import Unchanged


@dataclass(frozen=True, slots=True)
class OpenedRun:
    """A run record as opened: its id, the dates to crawl, how many were skipped as
    complete, and the planned dates without a state row (nothing stored to read first)."""

    run_id: int
    planned: list[date]
    skipped: int
    never_crawled: set[date] = field(default_factory=set)
    complete: set[date] = field(default_factory=set)  # planned dates complete as it opened


def mark_abandoned(database: Database) -> list[int]:
    """Close the records of runs whose process died (``liveness.mark_abandoned_runs``)."""
    with database.transaction() as tx:
        abandoned = liveness.mark_abandoned_runs(tx.connection, utc_now(), database.witness)
        tx.commit()
    return abandoned


def open_run(
    database: Database,
    site: str,
    owner: str,
    kind: RunKind,
    first: date,
    last: date,
    *,
    skip_complete: bool,
) -> OpenedRun:
    """Take the site's lock (SiteBusyError when another live run holds it), read what its
    dates hold, open the run record with its plan: one transaction."""
    wanted = dates_between(first, last)
    with database.transaction() as tx:
        conn, now = tx.connection, utc_now()
        liveness.acquire_site_lock(conn, site, owner, now, database.witness)
        statuses = date_statuses(conn, site, first, last)
        planned = wanted
        if skip_complete:
            planned = [d for d in wanted if statuses.get(d) is not DateStatus.COMPLETE]
        skipped = len(wanted) - len(planned)
        run_id = runs.start_run(conn, site=site, kind=kind, date_from=first, date_to=last,
                                now=now, owner=owner, dates_total=len(wanted),
                                dates_skipped=skipped)  # fmt: skip
        liveness.attach_run_to_lock(conn, site, owner, run_id)
        tx.commit()
    never_crawled = {day for day in planned if day not in statuses}
    complete = {day for day in planned if statuses.get(day) is DateStatus.COMPLETE}
    return OpenedRun(run_id, planned, skipped, never_crawled, complete)


def close_run(
    database: Database,
    run_id: int,
    site: str,
    owner: str,
    *,
    status: RunStatus,
    counts: runs.RunCounts,
    error_summary: str | None,
    now: datetime,
    quiet: figures.QuietBasis,
    unchanged: Sequence[Unchanged] = (),
    also: Callable[[Connection], None] | None = None,
    changed_nothing: bool = False,
) -> runs.RunCounts:
    """Write the 304 dates' state, close the record with ``status`` adding ``counts``, free
    the lock, and write ``also`` (the daemon's claim released): one transaction. The run's
    figures as recorded. ``changed_nothing``: the run stored no date and left every date
    complete as it was (only 304s): the site's quiet signals need no judging again."""
    with database.transaction() as tx:
        conn = tx.connection
        for checked in unchanged:
            record_date_state(conn, site=site, day=checked.day, status=DateStatus.COMPLETE,
                              item_count=None, error=None, run_id=run_id,
                              now=checked.checked_at)  # fmt: skip
        recorded = runs.finish_run(conn, run_id, status=status, counts=counts,
                                   error_summary=error_summary, now=now, quiet=quiet,
                                   quiet_unchanged=changed_nothing)  # fmt: skip
        liveness.release_site_lock(conn, site, owner)
        if also is not None:
            also(conn)
        tx.commit()
    return recorded


def beat(database: Database, run_id: int, site: str, owner: str) -> None:
    """The run's and its lock's heartbeat."""
    with database.transaction() as tx:
        liveness.heartbeat(tx.connection, run_id, site, owner, utc_now())
        tx.commit()
