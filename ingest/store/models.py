"""The ORM models, mapped onto the Core tables of ``ingest.store.tables`` (the schema's one
definition). Imported only by code that works with ORM objects: statements are built from the
tables. Every schema change is an Alembic migration under migrations/."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import DeclarativeBase, Mapped

from ingest.store import tables
from ingest.store.tables import NAMING_CONVENTION, UTCDateTime

__all__ = [
    "NAMING_CONVENTION",
    "AlertState",
    "Article",
    "ArticleRevision",
    "Base",
    "CrawlState",
    "HttpValidator",
    "Run",
    "SiteLock",
    "SiteSchedule",
    "UTCDateTime",
]


class Base(DeclarativeBase):
    metadata = tables.metadata


class Run(Base):
    __table__ = tables.runs

    id: Mapped[int]
    site: Mapped[str]
    kind: Mapped[str]
    status: Mapped[str]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    date_from: Mapped[date | None]
    date_to: Mapped[date | None]
    dates_total: Mapped[int]
    dates_done: Mapped[int]
    dates_failed: Mapped[int]
    dates_skipped: Mapped[int]
    pages_fetched: Mapped[int]
    pages_failed: Mapped[int]
    pages_not_modified: Mapped[int]
    articles_new: Mapped[int]
    articles_updated: Mapped[int]
    articles_unchanged: Mapped[int]
    duplicates: Mapped[int]
    error_summary: Mapped[str | None]
    heartbeat_at: Mapped[datetime | None]
    owner: Mapped[str | None]


class Article(Base):
    __table__ = tables.articles

    id: Mapped[int]
    site: Mapped[str]
    date: Mapped[date]
    title: Mapped[str]
    title_key: Mapped[str]
    url: Mapped[str]
    category: Mapped[str | None]
    body: Mapped[str]
    body_source: Mapped[str]
    listing_hash: Mapped[str]
    published_at: Mapped[datetime | None]
    content_hash: Mapped[str]
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    first_run_id: Mapped[int]
    last_run_id: Mapped[int]


class ArticleRevision(Base):
    """An article's earlier version, kept when a re-crawl finds its content changed."""

    __table__ = tables.article_revisions

    id: Mapped[int]
    article_id: Mapped[int]
    title: Mapped[str]
    url: Mapped[str]
    category: Mapped[str | None]
    body: Mapped[str]
    body_source: Mapped[str]
    published_at: Mapped[datetime | None]
    content_hash: Mapped[str]
    valid_from: Mapped[datetime]
    replaced_at: Mapped[datetime]
    replaced_by_run_id: Mapped[int]


class CrawlState(Base):
    """Per-date progress of a site, so a backfill can resume where it stopped."""

    __table__ = tables.crawl_state

    site: Mapped[str]
    date: Mapped[date]
    status: Mapped[str]
    item_count: Mapped[int]
    attempts: Mapped[int]
    last_attempt_at: Mapped[datetime]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
    failing_since: Mapped[datetime | None]
    last_run_id: Mapped[int | None]


class HttpValidator(Base):
    """The ETag / Last-Modified of a listing URL, saved with the date its body was stored for."""

    __table__ = tables.http_validators

    site: Mapped[str]
    url: Mapped[str]
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    saved_at: Mapped[datetime]


class SiteLock(Base):
    """At most one run crawls a site at a time (PostgreSQL adds an advisory lock on top)."""

    __table__ = tables.site_locks

    site: Mapped[str]
    run_id: Mapped[int | None]
    owner: Mapped[str]
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class SiteSchedule(Base):
    """When each site is next due, and which daemon replica has claimed it.

    The daemons share this table: a replica claims a due site with ``SELECT ... FOR UPDATE
    SKIP LOCKED`` (PostgreSQL), crawls it, and sets the next due time from the site's trigger;
    a claim whose heartbeat stopped is taken over by another replica.
    """

    __table__ = tables.site_schedule

    site: Mapped[str]
    next_due_at: Mapped[datetime]
    claimed_by: Mapped[str | None]
    claimed_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    last_run_id: Mapped[int | None]


class AlertState(Base):
    """The last known state of one alert of a site, and what was delivered about it, so each
    transition is sent once, across restarts, and a failed delivery is retried."""

    __table__ = tables.alert_state

    site: Mapped[str]
    kind: Mapped[str]
    state: Mapped[str]
    reason: Mapped[str | None]
    since: Mapped[datetime]
    delivered_state: Mapped[str | None]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
