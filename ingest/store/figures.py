"""Each site's health as its runs left it, one row a site (``site_figures``), kept as runs end.

``ingest health`` and the ``/metrics`` scrape judge every site from its newest runs, its failed
dates and its quiet signals (recent days' item counts, field fills). Read afresh, that is every
site's runs, dates and articles on each read: about 10 s at 10,000 sites. So ``refresh`` writes
down what they say whatever the time (``health.verdict.history`` and ``quiet_figures``, as
JSON: a reader only adds what the time changes), from the rows as the caller's transaction
sees them, in the transaction that:

* finishes a run (``runs.finish_run``), or marks it abandoned (``liveness``): the only
  writers of a site's runs, dates and articles are its runs, so the row is then what a fresh
  read gives, until the site's next run starts;
* deletes runs (``retention``): the newest runs it keeps may be fewer.

A reader takes a site's row only when no run of the site is running (its dates are being
written) and it was written by this code's ``JUDGED_VERSION``, and its quiet signals only when
they were judged with the reader's own thresholds (``QuietBasis``); anything else it reads
afresh. On PostgreSQL each writer locks the sites'
rows (in name order) before it reads: two replicas ending runs of different sites never touch
one row, and a purge and a run ending on one site write one after the other, each from what
the other committed.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, func, select

from ingest.domain import RunStatus
from ingest.health.verdict import (
    JUDGED_VERSION,
    FailingDate,
    ListingGaps,
    QuietSignals,
    history,
    quiet_figures,
)
from ingest.settings.types import HealthSettings
from ingest.store import health as health_reads
from ingest.store.tables import runs as _runs
from ingest.store.tables import site_figures as _figures

# The newest finished runs kept a site: what health reads of them.
RECENT_RUNS = 20
# Sites per statement (bound parameters of an ``IN``).
_SITES_AT_ONCE = 5000


@dataclass(frozen=True, slots=True)
class QuietBasis:
    """The thresholds a site's quiet signals are judged with (``[health]``, and the first day
    of its current layout)."""

    empty_days: int
    window_days: int
    min_per_day: float
    missing_share: float
    since: date | None = None

    @classmethod
    def of(cls, health: HealthSettings, since: date | None) -> QuietBasis:
        return cls(health.empty_days, health.field_window_days,
                   health.empty_history_min_per_day, health.field_missing_share, since)  # fmt: skip

    @property
    def key(self) -> str:
        return (
            f"v{JUDGED_VERSION}/{self.empty_days}/{self.window_days}/{self.min_per_day!r}/"
            f"{self.missing_share!r}/{self.since or ''}"
        )


def quiet_signals(
    days: health_reads.DayCounts,
    recent: health_reads.FieldFill,
    earlier: health_reads.FieldFill,
    basis: QuietBasis,
) -> QuietSignals:
    """The verdict's quiet signals from the counts read, with ``basis``' thresholds."""
    return QuietSignals(
        recent_day_items=days.recent,
        earlier_days=days.earlier_days,
        earlier_items=days.earlier_items,
        fields_earlier=_fills(earlier),
        fields_recent=_fills(recent),
        empty_days=basis.empty_days,
        empty_history_min_per_day=basis.min_per_day,
        field_missing_share=basis.missing_share,
    )


def _fills(fill: health_reads.FieldFill) -> dict[str, tuple[int, int]]:
    return {
        "published_at": (fill.published_at, fill.total),
        "article_body": (fill.article_body, fill.total),
        "category": (fill.category, fill.total),
    }


def failing_dates(states: Sequence[Row[Any]]) -> list[FailingDate]:
    """The verdict's failing dates from ``crawl_state`` rows (those with a start)."""
    return [
        FailingDate(state.date, state.failing_since, state.last_error)
        for state in states
        if state.failing_since is not None
    ]


def listing_gaps(gaps: health_reads.ListingGapRow | None) -> ListingGaps:
    """The verdict's listing gaps from a site's ``listing_gaps_by_site`` row (or none)."""
    if gaps is None:
        return ListingGaps(0, 0, None, 0)
    return ListingGaps(gaps.days, gaps.articles, gaps.latest, gaps.latest_found)


def refresh(
    conn: Connection,
    sites: Collection[str],
    quiet: Mapping[str, QuietBasis] | None = None,
    *,
    keep_quiet: bool = False,
    unchanged: Collection[str] = (),
) -> None:
    """Rewrite the rows of ``sites`` in the caller's transaction: their quiet signals judged
    with ``quiet[site]``, or left unjudged (null) for a site it does not name; or, with
    ``keep_quiet``, left as they are (their dates and articles did not change). A site in
    ``unchanged`` (its run stored no date and found every date complete as it was) keeps the
    quiet signals its row holds when they were judged with ``quiet[site]`` already: the two
    reads that judge them were a sixth of the 10,000-site daemon's CPU."""
    bases = quiet or {}
    for chunk in _chunks(sorted(set(sites))):
        _lock(conn, chunk)
        recent = _recent_finished(conn, chunk)
        failing = health_reads.failing_dates_by_site(conn, chunk)
        gaps = health_reads.listing_gaps_by_site(conn, chunk)
        kept = _judged_alike(conn, {s: bases[s] for s in chunk if s in bases and s in unchanged})
        judged = _judge_quiet(conn, {s: bases[s] for s in chunk if s in bases and s not in kept})
        rows = [
            {
                "site": site,
                "history": json.dumps(
                    history(
                        recent.get(site, []),
                        failing_dates(failing.get(site, [])),
                        listing_gaps(gaps.get(site)),
                    )
                ),
                "quiet_basis": judged[site][0] if site in judged else None,
                "quiet": judged[site][1] if site in judged else None,
            }
            for site in chunk
        ]
        _upsert(conn, [row for row in rows if row["site"] not in kept], keep_quiet=keep_quiet)
        _upsert(conn, [row for row in rows if row["site"] in kept], keep_quiet=True)


def _judged_alike(conn: Connection, bases: Mapping[str, QuietBasis]) -> set[str]:
    """The sites whose row holds quiet signals judged with the basis ``bases`` gives them."""
    if not bases:
        return set()
    query = select(_figures.c.site, _figures.c.quiet_basis).where(
        _figures.c.site.in_(sorted(bases)), _figures.c.quiet.is_not(None)
    )
    return {site for site, key in conn.execute(query) if key == bases[site].key}


def read(conn: Connection, sites: Collection[str] | None = None) -> dict[str, Row[Any]]:
    """Every site's figures row (or those of ``sites``), by site."""
    query = select(_figures)
    if sites is None:
        return {row.site: row for row in conn.execute(query)}
    found: dict[str, Row[Any]] = {}
    for chunk in _chunks(sorted(sites)):
        rows = conn.execute(query.where(_figures.c.site.in_(chunk)))
        found.update((row.site, row) for row in rows)
    return found


def running_sites(conn: Connection) -> set[str]:
    """The sites with a run still ``running`` (found on the status index)."""
    query = select(_runs.c.site).where(_runs.c.status == RunStatus.RUNNING.value).distinct()
    return set(conn.execute(query).scalars())


def _chunks(names: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(names), _SITES_AT_ONCE):
        yield names[start : start + _SITES_AT_ONCE]


def _lock(conn: Connection, sites: list[str]) -> None:
    """PostgreSQL: hold the sites' rows (created if missing) to the end of the transaction,
    so what is read next includes whatever another writer of them committed."""
    if conn.dialect.name != "postgresql":
        return  # SQLite: one writer at a time already
    from sqlalchemy.dialects.postgresql import insert

    blank = [{"site": s, "history": "{}"} for s in sites]
    conn.execute(insert(_figures).on_conflict_do_nothing(index_elements=["site"]), blank)
    conn.execute(
        select(_figures.c.site)
        .where(_figures.c.site.in_(sites))
        .order_by(_figures.c.site)
        .with_for_update()
    ).all()


def _recent_finished(conn: Connection, sites: list[str]) -> dict[str, list[Row[Any]]]:
    """Each site's ``RECENT_RUNS`` newest finished runs, newest first (ties on the start: the
    higher id first, as ``runs.recent_runs`` orders them)."""
    order = (_runs.c.started_at.desc(), _runs.c.id.desc())
    ranked = (
        select(
            _runs.c.id,
            _runs.c.site,
            _runs.c.status,
            _runs.c.started_at,
            _runs.c.finished_at,
            _runs.c.owner,
            _runs.c.error_summary,
            func.row_number().over(partition_by=_runs.c.site, order_by=order).label("rank"),
        )
        .where(_runs.c.status != RunStatus.RUNNING.value, _runs.c.site.in_(sites))
        .subquery()
    )
    query = (
        select(ranked).where(ranked.c.rank <= RECENT_RUNS).order_by(ranked.c.site, ranked.c.rank)
    )
    found: dict[str, list[Row[Any]]] = {}
    for row in conn.execute(query):
        found.setdefault(row.site, []).append(row)
    return found


def _judge_quiet(conn: Connection, quiet: Mapping[str, QuietBasis]) -> dict[str, tuple[str, str]]:
    """The quiet signals of the sites ``quiet`` names, each judged with its own thresholds
    (the same set-based reads as a fresh health check, once for each set of them): each
    site's basis key and ``quiet_figures`` as JSON."""
    found: dict[str, tuple[str, str]] = {}
    by_thresholds: dict[tuple[int, int], dict[str, QuietBasis]] = {}
    for site, basis in quiet.items():
        by_thresholds.setdefault((basis.empty_days, basis.window_days), {})[site] = basis
    no_days = health_reads.DaySignals(health_reads.DayCounts((), 0, 0), None)
    empty = health_reads.FieldFill(0, 0, 0, 0)
    for (empty_days, window), bases in by_thresholds.items():
        since = {site: basis.since for site, basis in bases.items() if basis.since}
        days = health_reads.day_signals_by_site(conn, empty_days, bases, since)
        fills = health_reads.field_fills_by_site(conn, window, bases, since)
        for site, basis in bases.items():
            recent, earlier = fills.get(site, (empty, empty))
            signals = quiet_signals(days.get(site, no_days).counts, recent, earlier, basis)
            found[site] = (basis.key, json.dumps(quiet_figures(signals)))
    return found


def _upsert(conn: Connection, rows: list[dict[str, Any]], *, keep_quiet: bool) -> None:
    if not rows:
        return
    from ingest.store.engine import dialect_insert  # engine imports liveness, which uses this

    insert = dialect_insert(conn.dialect.name)(_figures)
    kept = ("site", *(("quiet_basis", "quiet") if keep_quiet else ()))
    columns = {c.name: insert.excluded[c.name] for c in _figures.columns if c.name not in kept}
    conn.execute(insert.on_conflict_do_update(index_elements=["site"], set_=columns), rows)
