"""The run records: opening one, its plan, its counts, closing it, and reading recent runs.

A run's counts grow by increments (``add_counts``), each in the transaction of the date it
belongs to: a date committed is counted, a date rolled back is not.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, ScalarSelect, Select, bindparam, insert, or_, select, update

from ingest.domain import RunKind, RunStatus
from ingest.store import driver, figures
from ingest.store.engine import storable_text
from ingest.store.tables import runs as _runs


@dataclass(frozen=True, slots=True)
class RunCounts:
    """A run's figures, or what one date adds to them."""

    dates_done: int = 0
    dates_failed: int = 0
    pages_fetched: int = 0
    pages_failed: int = 0
    pages_not_modified: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    duplicates: int = 0

    def __add__(self, other: RunCounts) -> RunCounts:
        return RunCounts(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))

    def __sub__(self, other: RunCounts) -> RunCounts:
        return RunCounts(*(a - b for a, b in zip(_values(self), _values(other), strict=True)))


COUNTS = tuple(field.name for field in fields(RunCounts))


def _values(counts: RunCounts) -> tuple[int, ...]:
    return tuple(getattr(counts, name) for name in COUNTS)


def start_run(
    conn: Connection,
    *,
    site: str,
    kind: RunKind,
    date_from: date | None,
    date_to: date | None,
    now: datetime,
    owner: str | None = None,
    dates_total: int = 0,
    dates_skipped: int = 0,
) -> int:
    """Open a run record, ``running`` with every count at zero, planned to cover
    ``dates_total`` dates of which it skips ``dates_skipped`` as complete; its id."""
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
            dates_total=dates_total,
            dates_skipped=dates_skipped,
        )
        .returning(_runs.c.id)
    )
    return int(conn.execute(statement).scalar_one())


# Every count added in one statement (``count = count + :count``), built once: the crawl runs
# it with every date it commits, in that date's transaction.
_ADD_COUNTS = (
    update(_runs)
    .where(_runs.c.id == bindparam("run_id"))
    .values({name: _runs.c[name] + bindparam(f"add_{name}") for name in COUNTS})
)


def add_counts(conn: Connection, run_id: int, counts: RunCounts) -> None:
    """Add ``counts`` to the run's figures, in the caller's transaction: a date's figures go in
    with its data, so they are in the record exactly when the date is."""
    added = {f"add_{name}": value for name, value in zip(COUNTS, _values(counts), strict=True)}
    driver.execute(conn, _ADD_COUNTS, {"run_id": run_id, **added})


def finish_run(
    conn: Connection,
    run_id: int,
    *,
    status: RunStatus,
    counts: RunCounts,
    error_summary: str | None,
    now: datetime,
    quiet: figures.QuietBasis | None = None,
    quiet_unchanged: bool = False,
) -> RunCounts:
    """Close the run with ``status``, adding ``counts`` (figures no date's write carried); the
    run's figures as recorded. The site's health figures are rewritten with it (``figures``),
    their quiet signals counted with ``quiet`` (uncounted without; kept as they are, when so
    counted already, with ``quiet_unchanged``: the run stored no date, changed none)."""
    values = zip(COUNTS, _values(counts), strict=True)
    added = {name: _runs.c[name] + value for name, value in values}
    recorded = conn.execute(  # the counts added in the same statement: one round trip
        update(_runs)
        .where(_runs.c.id == run_id)
        .values(
            status=status.value,
            finished_at=now,
            error_summary=storable_text(error_summary),
            **added,
        )
        .returning(_runs.c.site, *(_runs.c[name] for name in COUNTS))
    ).one()
    site = recorded[0]
    unchanged = [site] if quiet_unchanged else []
    figures.refresh(conn, [site], {site: quiet} if quiet is not None else None, unchanged=unchanged)
    return RunCounts(*recorded[1:])


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


def site_names(conn: Connection) -> list[str]:
    """Every site with a run recorded: the sites the database holds, configured or not."""
    return [name for (name,) in conn.execute(select(_runs.c.site).distinct())]


def runs_of_process(conn: Connection, owner_prefix: str, since: datetime) -> Sequence[Row[Any]]:
    """The runs this process (its owners start with ``host:pid:``) opened since ``since``."""
    query = (
        select(_runs)
        .where(_runs.c.started_at >= since, _runs.c.owner.startswith(owner_prefix, autoescape=True))
        .order_by(_runs.c.id)
    )
    return conn.execute(query).all()


def recent_runs_by_site(
    conn: Connection, *, limit: int, sites: Collection[str] | None = None
) -> dict[str, list[Row[Any]]]:
    """Each site's (or each of ``sites``') ``limit`` newest runs, as ``recent_runs`` orders
    them, in one read; only their ``id``, ``site`` and ``status`` (``runs_by_id`` reads the
    whole records of the few a caller needs).

    Each site's ``limit``-th newest start is found on the (site, started_at) index, so only the
    runs from it on are read; ties on it are cut here, in the same order."""
    sites_of = select(_runs.c.site).group_by(_runs.c.site)
    if sites is not None:
        sites_of = sites_of.where(_runs.c.site.in_(sorted(sites)))
    known = sites_of.subquery()
    nth = nth_newest_start(known.c.site, limit)
    # Materialized: a subquery would be flattened into the join, and the cutoff found again
    # for every run row instead of once a site.
    cutoffs = select(known.c.site, nth.label("cutoff")).cte("cutoffs").prefix_with("MATERIALIZED")
    query: Select[Any] = (
        select(_runs.c.id, _runs.c.site, _runs.c.status)
        .join(cutoffs, cutoffs.c.site == _runs.c.site)
        .where(or_(cutoffs.c.cutoff.is_(None), _runs.c.started_at >= cutoffs.c.cutoff))
        .order_by(_runs.c.site, _runs.c.started_at.desc(), _runs.c.id.desc())
    )
    found: dict[str, list[Row[Any]]] = {}
    for row in conn.execute(query).all():
        own = found.setdefault(row.site, [])
        if len(own) < limit:
            own.append(row)
    return found


def nth_newest_start(site: Any, n: int) -> ScalarSelect[Any]:
    """The ``n``-th newest start of ``site``'s runs (ties on the start: the higher id first,
    as ``recent_runs`` orders them), null with fewer: a scalar subquery correlated with the
    ``site`` column, found on the (site, started_at) index."""
    other = _runs.alias()
    return (
        select(other.c.started_at)
        .where(other.c.site == site)
        .order_by(other.c.started_at.desc(), other.c.id.desc())
        .limit(1)
        .offset(n - 1)
        .scalar_subquery()
    )


def runs_by_id(conn: Connection, ids: Collection[int]) -> dict[int, Row[Any]]:
    """The whole records of the runs ``ids`` names, by id."""
    wanted = sorted(ids)
    found: dict[int, Row[Any]] = {}
    for start in range(0, len(wanted), _IDS_AT_ONCE):
        query = select(_runs).where(_runs.c.id.in_(wanted[start : start + _IDS_AT_ONCE]))
        found.update((row.id, row) for row in conn.execute(query))
    return found


# Bound parameters per ``IN``: well under SQLite's 32,766 and PostgreSQL's 65,535.
_IDS_AT_ONCE = 5000
