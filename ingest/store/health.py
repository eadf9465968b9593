"""The reads behind ``ingest health``: failing dates, recent days' item counts, field fill."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, and_, case, func, literal_column, or_, select, true

from ingest.domain import BodySource, DateStatus
from ingest.store.tables import articles as _articles
from ingest.store.tables import crawl_state as _states


def failing_dates(conn: Connection, site: str) -> Sequence[Row[Any]]:
    """The site's failed dates in order, as rows with the ``crawl_state`` columns."""
    query = select(_states).where(
        _states.c.site == site, _states.c.status == DateStatus.FAILED.value
    )
    return conn.execute(query.order_by(_states.c.date)).all()


@dataclass(frozen=True, slots=True)
class DayCounts:
    """Item counts of a site's most recent complete days, and of the complete days before."""

    recent: tuple[int, ...]  # newest first
    earlier_days: int
    earlier_items: int


def recent_day_counts(conn: Connection, site: str, days: int) -> DayCounts:
    complete = (_states.c.site == site) & (_states.c.status == DateStatus.COMPLETE.value)
    rows = conn.execute(
        select(_states.c.date, _states.c.item_count)
        .where(complete)
        .order_by(_states.c.date.desc())
        .limit(days)
    ).all()
    if not rows:
        return DayCounts((), 0, 0)
    oldest = rows[-1].date
    earlier = conn.execute(
        select(func.count(), func.coalesce(func.sum(_states.c.item_count), 0)).where(
            complete, _states.c.date < oldest
        )
    ).one()
    return DayCounts(tuple(r.item_count for r in rows), int(earlier[0]), int(earlier[1]))


@dataclass(frozen=True, slots=True)
class FieldFill:
    """How many articles had each field filled: ``total``, then per field."""

    total: int
    published_at: int
    article_body: int
    category: int


def field_fill(
    conn: Connection, site: str, *, since: date | None, before: date | None
) -> FieldFill:
    """Counts over the site's articles dated ``since`` onwards and/or before ``before``."""
    a = _articles.c
    query = select(
        func.count(),
        func.count(a.published_at),
        func.coalesce(func.sum(case((a.body_source == BodySource.ARTICLE.value, 1), else_=0)), 0),
        func.count(a.category),
    ).where(a.site == site)
    if since is not None:
        query = query.where(a.date >= since)
    if before is not None:
        query = query.where(a.date < before)
    total, published, bodies, categories = conn.execute(query).one()
    return FieldFill(int(total), int(published), int(bodies), int(categories))


def latest_complete_date(conn: Connection, site: str) -> date | None:
    latest: date | None = conn.scalar(
        select(func.max(_states.c.date)).where(
            _states.c.site == site, _states.c.status == DateStatus.COMPLETE.value
        )
    )
    return latest


# -- every site at once (``ingest health``, ``/metrics``): a few set-based reads, not six per site


def _sites_filter(column: Any, sites: Collection[str] | None) -> Any:
    return true() if sites is None else column.in_(sorted(sites))


def _since_filter(site: Any, day: Any, since: Mapping[str, date]) -> Any:
    """Only the days from ``since[site]`` on, for the sites it names (those whose current
    layout began on a date: each is judged by its own layout); every day of the others."""
    return and_(true(), *(or_(site != name, day >= first) for name, first in since.items()))


def failing_dates_by_site(
    conn: Connection, sites: Collection[str] | None = None
) -> dict[str, list[Row[Any]]]:
    """``failing_dates`` of every site (or of ``sites``), by site."""
    query = select(_states).where(
        _states.c.status == DateStatus.FAILED.value, _sites_filter(_states.c.site, sites)
    )
    found: dict[str, list[Row[Any]]] = defaultdict(list)
    for row in conn.execute(query.order_by(_states.c.site, _states.c.date)):
        found[row.site].append(row)
    return found


@dataclass(frozen=True, slots=True)
class DaySignals:
    """A site's ``recent_day_counts`` and ``latest_complete_date`` together."""

    counts: DayCounts
    latest: date | None


def day_signals_by_site(
    conn: Connection,
    days: int,
    sites: Collection[str] | None = None,
    since: Mapping[str, date] | None = None,
) -> dict[str, DaySignals]:
    """``recent_day_counts`` and ``latest_complete_date`` of every site (or of ``sites``) that
    has a complete day, in two reads: each site's totals, and its newest ``days`` days (a
    site's own ``days``-th newest complete day found by its primary key, so only those rows
    are read). A site in ``since`` counts only its days from that date on."""
    within = _since_filter(_states.c.site, _states.c.date, since or {})
    complete = and_(_states.c.status == DateStatus.COMPLETE.value, within)
    totals = (
        select(
            _states.c.site,
            func.count().label("days"),
            func.coalesce(func.sum(_states.c.item_count), 0).label("items"),
            func.max(_states.c.date).label("latest"),
        )
        .where(complete, _sites_filter(_states.c.site, sites))
        .group_by(_states.c.site)
        .subquery()
    )
    known = select(_states.c.site).group_by(_states.c.site)
    if sites is not None:
        known = known.where(_states.c.site.in_(sorted(sites)))
    known_sites = known.subquery()
    other = _states.alias()
    nth = (
        select(other.c.date)
        .where(
            other.c.site == known_sites.c.site,
            other.c.status == DateStatus.COMPLETE.value,
            _since_filter(other.c.site, other.c.date, since or {}),
        )
        .order_by(other.c.date.desc())
        .limit(1)
        .offset(days - 1)
        .scalar_subquery()
    )
    # Materialized: a subquery would be flattened into the join, and the cutoff found again
    # for every row instead of once a site.
    cutoffs = (
        select(known_sites.c.site, nth.label("cutoff")).cte("cutoffs").prefix_with("MATERIALIZED")
    )
    recent = (
        select(_states.c.site, _states.c.item_count)
        .join(cutoffs, cutoffs.c.site == _states.c.site)
        .where(complete, or_(cutoffs.c.cutoff.is_(None), _states.c.date >= cutoffs.c.cutoff))
        .order_by(_states.c.site, _states.c.date.desc())
    )
    items: dict[str, list[int]] = defaultdict(list)
    for site, count in conn.execute(recent):
        items[site].append(count)
    found: dict[str, DaySignals] = {}
    for row in conn.execute(select(totals)):
        own = items.get(row.site, [])
        counts = DayCounts(tuple(own), int(row.days) - len(own), int(row.items) - sum(own))
        found[row.site] = DaySignals(counts, row.latest)
    return found


def field_fills_by_site(
    conn: Connection,
    window_days: int,
    sites: Collection[str] | None = None,
    since: Mapping[str, date] | None = None,
) -> dict[str, tuple[FieldFill, FieldFill]]:
    """Each site's ``field_fill`` of its articles dated from ``window_days - 1`` days before
    its latest complete day on, and of those before, in two grouped reads: every article's
    counts, and the window's (found on the (site, date) index); the earlier ones are the
    difference. A site without a complete day is left out (both counts are zero); a site in
    ``since`` counts only its articles from that date on."""
    latest = (
        select(_states.c.site, func.max(_states.c.date).label("latest"))
        .where(_states.c.status == DateStatus.COMPLETE.value, _sites_filter(_states.c.site, sites))
        .group_by(_states.c.site)
        .cte("latest")
        .prefix_with("MATERIALIZED")
    )
    a = _articles.c
    within = _since_filter(a.site, a.date, since or {})
    counts = (
        func.count(),
        func.count(a.published_at),
        func.coalesce(func.sum(case((a.body_source == BodySource.ARTICLE.value, 1), else_=0)), 0),
        func.count(a.category),
    )
    every = {
        site: [int(n) for n in figures]
        for site, *figures in conn.execute(
            select(a.site, *counts).where(_sites_filter(a.site, sites), within).group_by(a.site)
        )
    }
    window = (
        select(latest.c.site, *counts)
        .select_from(latest)
        .join(
            _articles,
            (a.site == latest.c.site)
            & (a.date >= _days_before(conn, latest.c.latest, window_days - 1)),
        )
        .where(within)
        .group_by(latest.c.site)
    )
    recent = {site: [int(n) for n in figures] for site, *figures in conn.execute(window)}
    found: dict[str, tuple[FieldFill, FieldFill]] = {}
    for site in conn.execute(select(latest.c.site)).scalars():
        own = recent.get(site, [0, 0, 0, 0])
        total = every.get(site, [0, 0, 0, 0])
        earlier = FieldFill(*(t - r for t, r in zip(total, own, strict=True)))
        found[site] = (FieldFill(*own), earlier)
    return found


def _days_before(conn: Connection, day: Any, days: int) -> Any:
    """The date ``days`` days before the date column ``day``, in SQL."""
    if conn.dialect.name == "sqlite":
        return func.date(day, f"-{int(days)} days")
    return day - literal_column(str(int(days)))  # PostgreSQL: date - integer is a date


@dataclass(frozen=True, slots=True)
class ListingGapRow:
    """A site's complete days whose listing lacked articles the cross-check found elsewhere:
    how many days, how many articles, and the newest such day with its count."""

    days: int
    articles: int
    latest: date
    latest_found: int


def listing_gaps(conn: Connection, site: str) -> ListingGapRow | None:
    """``ListingGapRow`` of one site; None when no complete day of it lacked an article."""
    return listing_gaps_by_site(conn, [site]).get(site)


def listing_gaps_by_site(
    conn: Connection, sites: Collection[str] | None = None
) -> dict[str, ListingGapRow]:
    """``ListingGapRow`` of every site that has such a day (or of ``sites``): one grouped read
    and one for the newest days, both over the ``found_elsewhere`` index's positive rows only."""
    gap = and_(
        _states.c.found_elsewhere > 0,
        _states.c.status == DateStatus.COMPLETE.value,
        _sites_filter(_states.c.site, sites),
    )
    totals = (
        select(
            _states.c.site,
            func.count().label("days"),
            func.sum(_states.c.found_elsewhere).label("articles"),
            func.max(_states.c.date).label("latest"),
        )
        .where(gap)
        .group_by(_states.c.site)
        .subquery()
    )
    rows = conn.execute(
        select(totals, _states.c.found_elsewhere).join(
            _states, (_states.c.site == totals.c.site) & (_states.c.date == totals.c.latest)
        )
    )
    return {
        row.site: ListingGapRow(
            int(row.days), int(row.articles), row.latest, int(row.found_elsewhere)
        )
        for row in rows
    }
