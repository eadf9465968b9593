"""The coverage calendar's reads: two aggregate queries over a site's range, never one a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, case, func, select

from ingest.domain import BodySource
from ingest.store.tables import articles, crawl_state

_states = crawl_state.c
_articles = articles.c


@dataclass(frozen=True, slots=True)
class DayState:
    """A date's crawl state: ``complete`` or ``failed``, the listing's item count, the error,
    and the articles the cross-check found elsewhere that the listing lacked."""

    day: date
    status: str
    items: int
    error: str | None
    found_elsewhere: int = 0


@dataclass(frozen=True, slots=True)
class DayArticles:
    """A date's stored articles, and how many of them have only the listing's text as body."""

    day: date
    articles: int
    listing_only: int


def day_states(
    conn: Connection, site: str, first: date | None, last: date | None
) -> list[DayState]:
    """Every crawl state of the site between ``first`` and ``last`` (open ends: all), by date."""
    columns = (_states.date, _states.status, _states.item_count, _states.last_error)
    query = select(*columns, _states.found_elsewhere).where(_states.site == site)
    if first is not None:
        query = query.where(_states.date >= first)
    if last is not None:
        query = query.where(_states.date <= last)
    rows = conn.execute(query.order_by(_states.date))
    return [
        DayState(day, status, int(items), error, int(found or 0))
        for day, status, items, error, found in rows
    ]


def day_articles(conn: Connection, site: str, first: date, last: date) -> list[DayArticles]:
    """Stored articles per date of the site between ``first`` and ``last``, one grouped query."""
    listing = func.sum(case((_articles.body_source == BodySource.LISTING.value, 1), else_=0))
    query = (
        select(_articles.date, func.count(), func.coalesce(listing, 0))
        .where(_articles.site == site, _articles.date.between(first, last))
        .group_by(_articles.date)
        .order_by(_articles.date)
    )
    return [DayArticles(day, int(count), int(only)) for day, count, only in conn.execute(query)]
