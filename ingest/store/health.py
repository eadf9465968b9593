"""The reads behind ``ingest health``: failing dates, recent days' item counts, field fill."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, case, func, select

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
