"""The stored articles as the commands read them back: a range's count and first titles (the
demo's summary), and the export, streamed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import Connection, func, select

from ingest.store.tables import articles as _articles


def count_articles(conn: Connection, site: str, first: date, last: date) -> int:
    query = select(func.count(_articles.c.id)).where(
        _articles.c.site == site, _articles.c.date.between(first, last)
    )
    return int(conn.scalar(query) or 0)


def articles_between(
    conn: Connection, site: str, first: date, last: date, *, limit: int
) -> Sequence[tuple[date, str | None, str]]:
    """The first ``limit`` articles of the range in date order: date, category and title."""
    a = _articles.c
    query = (
        select(a.date, a.category, a.title)
        .where(a.site == site, a.date.between(first, last))
        .order_by(a.date, a.id)
        .limit(limit)
    )
    return conn.execute(query).tuples().all()


class ExportedArticle(NamedTuple):
    """An article as ``ingest export`` writes it (times aware, in UTC)."""

    site: str
    date: date
    title: str
    url: str
    category: str | None
    body: str
    published_at: datetime | None
    first_seen_at: datetime
    updated_at: datetime
    found_by: str | None
    warc_file: str | None
    warc_offset: int | None
    warc_record_id: str | None


def exported(
    conn: Connection, sites: Sequence[str], first: date | None, last: date | None
) -> Iterator[ExportedArticle]:
    """The articles of ``sites`` (open ends: every date), by site, date and id, fetched 500
    rows at a time so an export's memory stays flat."""
    a = _articles.c
    query = select(*(a[name] for name in ExportedArticle._fields)).where(a.site.in_(sites))
    if first is not None:
        query = query.where(a.date >= first)
    if last is not None:
        query = query.where(a.date <= last)
    query = query.order_by(a.site, a.date, a.id).execution_options(yield_per=500)
    for row in conn.execute(query):
        yield ExportedArticle._make(row)
