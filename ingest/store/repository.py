"""Reads and writes of the storage layer, each inside a caller's unit of work.

The crawl's per-date work is two calls: ``day_before_fetch`` (its listing validators and the
articles already stored, one read) and ``store_crawled_day`` (articles, revisions, the date's
state, validators and the run's counts, one write). Both run prebuilt SQLAlchemy Core
statements on the session's connection, executed on its DB-API cursor (``driver``): no ORM
object per row, no SQLAlchemy execution context per statement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    Connection,
    Executable,
    Row,
    Select,
    bindparam,
    case,
    delete,
    func,
    select,
    update,
)

from ingest.domain import ArticleRecord, BodySource, DateStatus, DayOutcome, RunKind, RunStatus
from ingest.errors import StorageError
from ingest.store import driver
from ingest.store.tables import article_revisions as _revisions
from ingest.store.tables import articles as _articles
from ingest.store.tables import crawl_state as _states
from ingest.store.tables import http_validators as _validators
from ingest.store.tables import runs as _runs

# Reads return Core rows (attribute access by column name): ``health`` and ``runs`` never
# import the ORM. Only ``start_run`` and ``articles_between`` hand out ORM objects.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ingest.store.models import Article, Run

    Reader = Session | Connection


def _connection(session: Reader) -> Connection:
    """The connection a unit of work's statements run on: the crawl hands in a Connection
    (``Database.transaction``), other callers an ORM Session."""
    return session if isinstance(session, Connection) else session.connection()


@dataclass(frozen=True, slots=True)
class KnownArticle:
    """What the store knows of an article, enough to decide whether to fetch its page again."""

    listing_hash: str
    body_source: str


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
    session: Session,
    *,
    site: str,
    kind: RunKind,
    date_from: date | None,
    date_to: date | None,
    now: datetime,
    owner: str | None = None,
) -> Run:
    from ingest.store.models import Run

    run = Run(
        site=site,
        kind=kind.value,
        status=RunStatus.RUNNING.value,
        started_at=now,
        heartbeat_at=now,
        owner=owner,
        date_from=date_from,
        date_to=date_to,
    )
    session.add(run)
    session.flush()
    return run


def save_run_progress(
    session: Reader,
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
    driver.execute(_connection(session), _run_update(tuple(values)), {"run_id": run_id, **values})


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
    session: Session,
    run_id: int,
    *,
    status: RunStatus,
    counts: RunCounts,
    error_summary: str | None,
    now: datetime,
) -> None:
    save_run_progress(session, run_id, counts)
    session.execute(
        update(_runs)
        .where(_runs.c.id == run_id)
        .values(status=status.value, finished_at=now, error_summary=error_summary)
    )


def recent_runs(
    session: Reader, *, limit: int, site: str | None = None, sites: Sequence[str] | None = None
) -> Sequence[Row[Any]]:
    """The newest runs first, as rows with the ``runs`` columns."""
    query = select(_runs).order_by(_runs.c.started_at.desc(), _runs.c.id.desc()).limit(limit)
    if site is not None:
        query = query.where(_runs.c.site == site)
    if sites:
        query = query.where(_runs.c.site.in_(sites))
    return session.execute(query).all()


def date_statuses(session: Reader, site: str, first: date, last: date) -> dict[date, DateStatus]:
    """Every date of the range crawled before, with its status (a date never crawled has no
    state row, hence no articles and no listing validators either)."""
    query = select(_states.c.date, _states.c.status).where(
        _states.c.site == site, _states.c.date.between(first, last)
    )
    return {day: DateStatus(status) for day, status in session.execute(query)}


def record_date_state(
    session: Reader,
    *,
    site: str,
    day: date,
    status: DateStatus,
    item_count: int | None,
    error: str | None,
    run_id: int,
    now: datetime,
) -> int:
    """Record a crawl of the date (one upsert); ``item_count`` None keeps the stored count.

    Returns the date's item count after the write.
    """
    conn = _connection(session)
    complete = status is DateStatus.COMPLETE
    keep_count = item_count is None or not complete
    statement = _date_state_upsert(conn.dialect.name, complete, keep_count)
    params = {
        "site": site,
        "date": day,
        "status": status.value,
        "item_count": item_count or 0,
        "attempts": 1,
        "last_attempt_at": now,
        "last_success_at": now if complete else None,
        "last_error": error,
        "failing_since": None if complete else now,
        "last_run_id": run_id,
    }
    ((count,),) = driver.execute(conn, statement, params)
    return int(count or 0)


@cache
def _date_state_upsert(dialect: str, complete: bool, keep_count: bool) -> Executable:
    table = _states
    insert = _insert_of(dialect)(table)
    statement: Executable = insert.on_conflict_do_update(
        index_elements=["site", "date"],
        set_={
            "status": insert.excluded.status,
            "attempts": table.c.attempts + 1,
            "last_attempt_at": insert.excluded.last_attempt_at,
            "last_error": insert.excluded.last_error,
            "last_run_id": insert.excluded.last_run_id,
            "item_count": table.c.item_count if keep_count else insert.excluded.item_count,
            "last_success_at": insert.excluded.last_success_at
            if complete
            else table.c.last_success_at,
            "failing_since": None
            if complete
            else func.coalesce(table.c.failing_since, insert.excluded.failing_since),
        },
    ).returning(table.c.item_count)
    return statement


# Statements the crawl runs for every date are built once, with bound parameters.
_KNOWN_ARTICLES = select(
    _articles.c.title_key, _articles.c.listing_hash, _articles.c.body_source
).where(_articles.c.site == bindparam("site"), _articles.c.date == bindparam("day"))


def known_articles(session: Reader, site: str, day: date) -> dict[str, KnownArticle]:
    return _known_articles(_connection(session), site, day)


def _known_articles(conn: Connection, site: str, day: date) -> dict[str, KnownArticle]:
    rows = driver.execute(conn, _KNOWN_ARTICLES, {"site": site, "day": day})
    return {key: KnownArticle(listing_hash, source) for key, listing_hash, source in rows}


@dataclass(frozen=True, slots=True)
class DayBefore:
    """What the store holds for a date before it is fetched again."""

    etag: str | None
    last_modified: str | None
    known: dict[str, KnownArticle]


def day_before_fetch(
    session: Reader, site: str, day: date, listing_url: str, *, validators: bool
) -> DayBefore:
    """The listing's validators (when ``validators``) and the date's stored articles."""
    conn = _connection(session)
    etag = modified = None
    if validators:
        etag, modified = _listing_validators(conn, site, listing_url)
    return DayBefore(etag, modified, _known_articles(conn, site, day))


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


def store_crawled_day(
    session: Reader,
    crawled: CrawledDay,
    *,
    run_id: int,
    now: datetime,
    counts_after: Callable[[DayOutcome], RunCounts],
) -> tuple[DayOutcome, RunCounts]:
    """Store a crawled date in the caller's transaction: the articles (``store_day``), the
    date's state, the listing's validators (kept only for a date stored whole, so a 304 never
    hides a date that still needs work) and the run's counts, ``counts_after`` the outcome."""
    conn = _connection(session)
    site, day = crawled.site, crawled.day
    outcome = _store_day(
        conn, site, day, crawled.records, run_id=run_id, now=now, read_first=crawled.stored_before
    )
    failed = crawled.error is not None
    record_date_state(
        conn,
        site=site,
        day=day,
        status=DateStatus.FAILED if failed else DateStatus.COMPLETE,
        item_count=len(crawled.records),
        error=crawled.error,
        run_id=run_id,
        now=now,
    )
    _save_listing_validators(
        conn,
        site,
        crawled.listing_url,
        etag=None if failed else crawled.etag,
        last_modified=None if failed else crawled.last_modified,
        now=now,
    )
    counts = counts_after(outcome)
    values = _run_counts(counts)
    driver.execute(conn, _run_update(tuple(values)), {"run_id": run_id, **values})
    return outcome, counts


def upsert_insert(session: Session) -> Any:
    """The dialect's own INSERT, which knows ON CONFLICT (PostgreSQL and SQLite)."""
    return _insert_of(session.get_bind().dialect.name)


def _insert_of(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql  # not at import: health never writes

        return postgresql.insert
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert
    raise StorageError(f"the {dialect} database is not supported: use SQLite or PostgreSQL")


def store_day(
    session: Reader,
    site: str,
    day: date,
    records: Iterable[ArticleRecord],
    *,
    run_id: int,
    now: datetime,
) -> DayOutcome:
    """Insert new articles, update changed ones (keeping a revision), leave the rest alone.

    New articles go in with one INSERT ... ON CONFLICT DO NOTHING: a concurrent writer that
    stored the same article first never causes a duplicate-key error; its row is then
    compared and updated like any stored one.
    """
    return _store_day(_connection(session), site, day, records, run_id=run_id, now=now)


def _store_day(
    conn: Connection,
    site: str,
    day: date,
    records: Iterable[ArticleRecord],
    *,
    run_id: int,
    now: datetime,
    read_first: bool = True,
) -> DayOutcome:
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
    for record in records:
        if record.title_key in inserted:
            continue
        article = existing[record.title_key]
        if _keeps_stored_version(article, record):
            seen_ids.append(article.id)
            unchanged += 1
        else:
            revisions.append(_revision_row(article, run_id=run_id, now=now))
            changes.append(_change_row(article.id, record, run_id=run_id, now=now))
            updated += 1
    if revisions:
        driver.execute_many(conn, _REVISION_INSERT, revisions)
        driver.execute_many(conn, _ARTICLE_UPDATE, changes)
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
        .on_conflict_do_nothing(index_elements=["site", "date", "title_key"])
        .returning(_articles.c.title_key)
    )
    return statement


@cache
def _new_articles_insert(dialect: str) -> Executable:
    statement: Executable = (
        _insert_of(dialect)(_articles)
        .on_conflict_do_nothing(index_elements=["site", "date", "title_key"])
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
            **{name: bindparam(name) for name in (*_CHANGED, "content_hash", "updated_at")},
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


def _article_row(record: ArticleRecord, *, run_id: int, now: datetime) -> dict[str, Any]:
    return {
        "site": record.site,
        "date": record.date,
        "title": record.title,
        "title_key": record.title_key,
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
    }


def count_articles(session: Reader, site: str, first: date, last: date) -> int:
    query = select(func.count(_articles.c.id)).where(
        _articles.c.site == site, _articles.c.date.between(first, last)
    )
    return int(session.scalar(query) or 0)


def articles_between(
    session: Session, site: str, first: date, last: date, *, limit: int
) -> Sequence[Article]:
    from ingest.store.models import Article

    query = (
        select(Article)
        .where(Article.site == site, Article.date.between(first, last))
        .order_by(Article.date, Article.id)
        .limit(limit)
    )
    return session.scalars(query).all()


_LISTING_VALIDATORS = select(_validators.c.etag, _validators.c.last_modified).where(
    _validators.c.site == bindparam("site"), _validators.c.url == bindparam("url")
)


def listing_validators(session: Reader, site: str, url: str) -> tuple[str | None, str | None]:
    return _listing_validators(_connection(session), site, url)


def _listing_validators(conn: Connection, site: str, url: str) -> tuple[str | None, str | None]:
    rows = driver.execute(conn, _LISTING_VALIDATORS, {"site": site, "url": url})
    return (rows[0][0], rows[0][1]) if rows else (None, None)


def save_listing_validators(
    session: Reader,
    site: str,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    now: datetime,
) -> None:
    _save_listing_validators(
        _connection(session), site, url, etag=etag, last_modified=last_modified, now=now
    )


def _save_listing_validators(
    conn: Connection,
    site: str,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    now: datetime,
) -> None:
    if etag is None and last_modified is None:
        driver.execute(conn, _FORGET_VALIDATORS, {"site": site, "url": url})
        return
    driver.execute(
        conn,
        _validators_upsert(conn.dialect.name),
        {"site": site, "url": url, "etag": etag, "last_modified": last_modified, "saved_at": now},
    )


_FORGET_VALIDATORS = delete(_validators).where(
    _validators.c.site == bindparam("site"), _validators.c.url == bindparam("url")
)


@cache
def _validators_upsert(dialect: str) -> Executable:
    insert = _insert_of(dialect)(_validators)
    statement: Executable = insert.on_conflict_do_update(
        index_elements=["site", "url"],
        set_={
            "etag": insert.excluded.etag,
            "last_modified": insert.excluded.last_modified,
            "saved_at": insert.excluded.saved_at,
        },
    )
    return statement


def failing_dates(session: Reader, site: str) -> Sequence[Row[Any]]:
    """The site's failed dates in order, as rows with the ``crawl_state`` columns."""
    query = select(_states).where(
        _states.c.site == site, _states.c.status == DateStatus.FAILED.value
    )
    return session.execute(query.order_by(_states.c.date)).all()


@dataclass(frozen=True, slots=True)
class DayCounts:
    """Item counts of a site's most recent complete days, and of the complete days before."""

    recent: tuple[int, ...]  # newest first
    earlier_days: int
    earlier_items: int


def recent_day_counts(session: Reader, site: str, days: int) -> DayCounts:
    complete = (_states.c.site == site) & (_states.c.status == DateStatus.COMPLETE.value)
    rows = session.execute(
        select(_states.c.date, _states.c.item_count)
        .where(complete)
        .order_by(_states.c.date.desc())
        .limit(days)
    ).all()
    if not rows:
        return DayCounts((), 0, 0)
    oldest = rows[-1].date
    earlier = session.execute(
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


def field_fill(session: Reader, site: str, *, since: date | None, before: date | None) -> FieldFill:
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
    total, published, bodies, categories = session.execute(query).one()
    return FieldFill(int(total), int(published), int(bodies), int(categories))


def latest_complete_date(session: Reader, site: str) -> date | None:
    latest: date | None = session.scalar(
        select(func.max(_states.c.date)).where(
            _states.c.site == site, _states.c.status == DateStatus.COMPLETE.value
        )
    )
    return latest
