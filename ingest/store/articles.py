"""Articles: the crawl's write path and the reads of what is stored.

The crawl's per-date work is two calls once its listing has changed: ``known_articles`` (the
articles already stored, one read) and ``store_crawled_day`` (articles, revisions, the date's
state and validators, one write; the run's counts go in beside it, in the same transaction).
Both run prebuilt SQLAlchemy Core statements on the transaction's connection, executed on its
DB-API cursor (``driver``): no object per row, no SQLAlchemy execution context per statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, Executable, Select, bindparam, func, select, update

from ingest.domain import ArticleRecord, BodySource, Captured, DateStatus, DayOutcome, WarcLocation
from ingest.store import days, driver
from ingest.store.engine import dialect_insert
from ingest.store.tables import WARC_COLUMNS, warc_columns
from ingest.store.tables import article_revisions as _revisions
from ingest.store.tables import articles as _articles
from ingest.text import title_digest

# What names one article: the unique index's columns (the title key's digest, see tables).
UNIQUE_ARTICLE = ["site", "date", "title_digest"]


@dataclass(frozen=True, slots=True)
class KnownArticle:
    """What the store knows of an article, enough to decide whether to fetch its page again."""

    listing_hash: str
    body_source: str


# Statements the crawl runs for every date are built once, with bound parameters.
_KNOWN_ARTICLES = select(
    _articles.c.title_key, _articles.c.listing_hash, _articles.c.body_source
).where(_articles.c.site == bindparam("site"), _articles.c.date == bindparam("day"))


def known_articles(conn: Connection, site: str, day: date) -> dict[str, KnownArticle]:
    """The date's stored articles by title key: what decides whether to fetch a page again."""
    rows = driver.execute(conn, _KNOWN_ARTICLES, {"site": site, "day": day})
    return {key: KnownArticle(listing_hash, source) for key, listing_hash, source in rows}


@dataclass(frozen=True, slots=True)
class CrawledDay:
    """A date as crawled, to be stored whole: its records, its state and its validators."""

    site: str
    day: date
    records: Sequence[ArticleRecord]
    error: str | None
    listing_url: str
    etag: str | None
    last_modified: str | None
    # False when the date had no articles stored as it was read before the fetch: its
    # articles are then inserted without reading the date's rows first (read only when some
    # were stored meanwhile, as for any concurrent writer).
    stored_before: bool = True
    # Where the date's first listing page lies in the WARC archive (None with it off), and
    # how the archive kept each of its listing pages.
    listing_warc: WarcLocation | None = None
    listing_captures: Sequence[Captured] = ()
    # The cross-check: the records of the articles other sources found and the listing
    # lacked, stored with the listing's, and how many such articles the date holds (None:
    # not cross-checked, the count stored is kept).
    found: Sequence[ArticleRecord] = ()
    found_elsewhere: int | None = None


def store_crawled_day(
    conn: Connection, crawled: CrawledDay, *, run_id: int, now: datetime
) -> DayOutcome:
    """Store a crawled date in the caller's transaction: the articles (``store_day``), the
    date's state and the listing's validators (kept only for a date stored whole, so a 304
    never hides a date that still needs work). The caller adds the run's counts in the same
    transaction (``runs.add_counts``)."""
    site, day = crawled.site, crawled.day
    records = [*crawled.records, *crawled.found] if crawled.found else crawled.records
    outcome = store_day(
        conn, site, day, records, run_id=run_id, now=now, read_first=crawled.stored_before
    )
    failed = crawled.error is not None
    days.record_date_state(
        conn,
        site=site,
        day=day,
        status=DateStatus.FAILED if failed else DateStatus.COMPLETE,
        item_count=len(crawled.records),
        error=crawled.error,
        run_id=run_id,
        now=now,
        warc=None if failed else crawled.listing_warc,
        captures=() if failed else crawled.listing_captures,
        found_elsewhere=crawled.found_elsewhere,
    )
    days.save_validators(
        conn,
        site,
        crawled.listing_url,
        etag=None if failed else crawled.etag,
        last_modified=None if failed else crawled.last_modified,
        now=now,
    )
    return outcome


def store_day(
    conn: Connection,
    site: str,
    day: date,
    records: Iterable[ArticleRecord],
    *,
    run_id: int,
    now: datetime,
    read_first: bool = True,
) -> DayOutcome:
    """Insert new articles, update changed ones (keeping a revision), leave the rest alone.

    New articles go in with one INSERT ... ON CONFLICT DO NOTHING: a concurrent writer that
    stored the same article first never causes a duplicate-key error; its row is then
    compared and updated like any stored one. ``read_first`` False: the date had nothing
    stored when the crawl read it, so the date's rows are read only if the insert met some.
    """
    records = list(records)
    existing = _articles_of_day(conn, site, day) if records and read_first else {}
    fresh = [r for r in records if r.title_key not in existing]
    inserted: set[str] = set()
    if fresh:
        rows = [_article_row(r, run_id=run_id, now=now) for r in fresh]
        inserted = _insert_new_articles(conn, rows)
        if len(inserted) < len(fresh):
            existing = _articles_of_day(conn, site, day)
    updated = unchanged = 0
    seen_ids: list[int] = []
    revisions: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    for record in records:
        if record.title_key in inserted:
            continue
        article = existing[record.title_key]
        if _keeps_stored_version(article, record):
            seen_ids.append(article.id)
            unchanged += 1
        elif _only_moved(article, record):
            moves.append(_change_row(article.id, record, run_id=run_id, now=article.updated_at))
            unchanged += 1
        else:
            revisions.append(_revision_row(article, run_id=run_id, now=now))
            changes.append(_change_row(article.id, record, run_id=run_id, now=now))
            updated += 1
    if revisions:
        driver.execute_many(conn, _REVISION_INSERT, revisions)
        driver.execute_many(conn, _ARTICLE_UPDATE, changes)
    if moves:
        driver.execute_many(conn, _ARTICLE_UPDATE, moves)
    driver.execute_many(conn, _SEEN_UPDATE, [{"run_id": run_id, "article_id": i} for i in seen_ids])
    return DayOutcome(new=len(inserted), updated=updated, unchanged=unchanged)


def _insert_new_articles(conn: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """INSERT ... ON CONFLICT DO NOTHING, one statement for all the rows; the title keys of
    the rows actually inserted."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        # One array per column: the statement text stays the same whatever the row count, so
        # psycopg reuses its parsed form (a multi-row VALUES is re-parsed on every call).
        names = tuple(rows[0])
        arrays = {name: [row[name] for row in rows] for name in names}
        return {key for (key,) in driver.execute(conn, _postgres_unnest_insert(names), arrays)}
    # One prepared INSERT per row: SQLite's own statement cache makes that as cheap as a
    # multi-row VALUES, and each RETURNING says whether its row went in.
    return {key for (key,) in driver.execute_each(conn, _new_articles_insert(dialect), rows)}


@cache
def _postgres_unnest_insert(names: tuple[str, ...]) -> Executable:
    from sqlalchemy.dialects import postgresql

    arrays = [
        func.unnest(bindparam(name, type_=postgresql.ARRAY(_articles.c[name].type)))
        for name in names
    ]
    statement: Executable = (
        postgresql.insert(_articles)
        .from_select(list(names), select(*arrays))
        .on_conflict_do_nothing(index_elements=UNIQUE_ARTICLE)
        .returning(_articles.c.title_key)
    )
    return statement


@cache
def _new_articles_insert(dialect: str) -> Executable:
    statement: Executable = (
        dialect_insert(dialect)(_articles)
        .on_conflict_do_nothing(index_elements=UNIQUE_ARTICLE)
        .returning(_articles.c.title_key)
    )
    return statement


# What a re-crawl compares, and what a revision keeps, of each stored article of the day.
_STORED = _articles.c
_ARTICLES_OF_DAY: Select[Any] = select(
    _STORED.id,
    _STORED.title_key,
    _STORED.title,
    _STORED.url,
    _STORED.category,
    _STORED.body,
    _STORED.body_source,
    _STORED.listing_hash,
    _STORED.published_at,
    _STORED.content_hash,
    _STORED.updated_at,
).where(_STORED.site == bindparam("site"), _STORED.date == bindparam("day"))
# Locks the day's rows against a concurrent writer until the commit (SQLite locks the file).
_ARTICLES_OF_DAY_FOR_UPDATE = _ARTICLES_OF_DAY.with_for_update()
_REVISION_INSERT = _revisions.insert()
_CHANGED = ("url", "category", "body", "body_source", "listing_hash", "published_at")
_ARTICLE_UPDATE = (
    update(_articles)
    .where(_STORED.id == bindparam("article_id"))
    .values(
        {
            **{
                name: bindparam(name)
                for name in (*_CHANGED, "content_hash", "updated_at", *WARC_COLUMNS)
            },
            "last_run_id": bindparam("run_id"),
        }
    )
)
# One id per execution (executemany): an IN list would be a new statement per length.
_SEEN_UPDATE = (
    update(_articles)
    .where(_STORED.id == bindparam("article_id"))
    .values(last_run_id=bindparam("run_id"))
)


class _StoredArticle(NamedTuple):
    """A row of ``_ARTICLES_OF_DAY``, its columns in order."""

    id: int
    title_key: str
    title: str
    url: str
    category: str | None
    body: str
    body_source: str
    listing_hash: str
    published_at: datetime | None
    content_hash: str
    updated_at: datetime


def _articles_of_day(conn: Connection, site: str, day: date) -> dict[str, _StoredArticle]:
    postgres = conn.dialect.name == "postgresql"
    query = _ARTICLES_OF_DAY_FOR_UPDATE if postgres else _ARTICLES_OF_DAY
    rows = driver.execute(conn, query, {"site": site, "day": day})
    return {row[1]: _StoredArticle(*row) for row in rows}


def urls_by_title(conn: Connection, site: str, day: date) -> dict[str, str]:
    """The URL stored for each title key of the date (locked for the transaction, as
    ``store_day``'s own read)."""
    return {key: article.url for key, article in _articles_of_day(conn, site, day).items()}


def _keeps_stored_version(article: _StoredArticle, record: ArticleRecord) -> bool:
    if record.content_hash == article.content_hash:
        return True
    # The listing is as it was and only the excerpt is at hand this time (the article page was
    # not fetched, or could not be): the stored full body is still the better version.
    return bool(
        record.body_source is BodySource.LISTING
        and article.body_source == BodySource.ARTICLE.value
        and record.listing_hash == article.listing_hash
    )


def _only_moved(article: _StoredArticle, record: ArticleRecord) -> bool:
    """The same article at another URL (a site moved to https, to another host name, the demo
    to another port): the URL is updated in place; no revision, no edit, ``updated_at`` kept."""
    return (
        record.url != article.url
        and record.category == article.category
        and record.body == article.body
        and record.body_source.value == article.body_source
        and record.published_at == article.published_at
    )


def _article_row(record: ArticleRecord, *, run_id: int, now: datetime) -> dict[str, Any]:
    return {
        "site": record.site,
        "date": record.date,
        "title": record.title,
        "title_key": record.title_key,
        "title_digest": title_digest(record.title_key),
        "url": record.url,
        "category": record.category,
        "body": record.body,
        "body_source": record.body_source.value,
        "listing_hash": record.listing_hash,
        "published_at": record.published_at,
        "content_hash": record.content_hash,
        "first_seen_at": now,
        "updated_at": now,
        "first_run_id": run_id,
        "last_run_id": run_id,
        **warc_columns(record.warc),
        "found_by": record.found_by.value,
    }


def _revision_row(article: _StoredArticle, *, run_id: int, now: datetime) -> dict[str, Any]:
    return {
        "article_id": article.id,
        "title": article.title,
        "url": article.url,
        "category": article.category,
        "body": article.body,
        "body_source": article.body_source,
        "published_at": article.published_at,
        "content_hash": article.content_hash,
        "valid_from": article.updated_at,
        "replaced_at": now,
        "replaced_by_run_id": run_id,
    }


def _change_row(
    article_id: int, record: ArticleRecord, *, run_id: int, now: datetime
) -> dict[str, Any]:
    # The title stays as first seen: the key is the same, only its spelling may differ.
    return {
        "article_id": article_id,
        "url": record.url,
        "category": record.category,
        "body": record.body,
        "body_source": record.body_source.value,
        "listing_hash": record.listing_hash,
        "published_at": record.published_at,
        "content_hash": record.content_hash,
        "updated_at": now,
        "run_id": run_id,
        **warc_columns(record.warc),
    }
