"""SQLAlchemy 2.0 typed models. Every schema change is an Alembic migration under migrations/."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        date: Date(),
        str: Text(),
    }


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    date_from: Mapped[date | None]
    date_to: Mapped[date | None]
    dates_total: Mapped[int] = mapped_column(default=0)
    dates_done: Mapped[int] = mapped_column(default=0)
    dates_failed: Mapped[int] = mapped_column(default=0)
    dates_skipped: Mapped[int] = mapped_column(default=0)
    pages_fetched: Mapped[int] = mapped_column(default=0)
    pages_failed: Mapped[int] = mapped_column(default=0)
    pages_not_modified: Mapped[int] = mapped_column(default=0)
    articles_new: Mapped[int] = mapped_column(default=0)
    articles_updated: Mapped[int] = mapped_column(default=0)
    articles_unchanged: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    error_summary: Mapped[str | None]
    # Written by the process doing the run; a stale heartbeat means that process died.
    heartbeat_at: Mapped[datetime | None]
    owner: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index(None, "site", "started_at"), Index(None, "status"))


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(100))
    date: Mapped[date]
    title: Mapped[str]
    title_key: Mapped[str]
    url: Mapped[str]
    category: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str]
    body_source: Mapped[str] = mapped_column(String(10))
    listing_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime | None]
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    first_run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    last_run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))

    __table_args__ = (
        UniqueConstraint("site", "date", "title_key"),
        Index(None, "date"),
    )


class ArticleRevision(Base):
    """An article's earlier version, kept when a re-crawl finds its content changed."""

    __tablename__ = "article_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    title: Mapped[str]
    url: Mapped[str]
    category: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str]
    body_source: Mapped[str] = mapped_column(String(10))
    published_at: Mapped[datetime | None]
    content_hash: Mapped[str] = mapped_column(String(64))
    valid_from: Mapped[datetime]
    replaced_at: Mapped[datetime]
    replaced_by_run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))

    __table_args__ = (Index(None, "article_id"),)


class CrawlState(Base):
    """Per-date progress of a site, so a backfill can resume where it stopped."""

    __tablename__ = "crawl_state"

    site: Mapped[str] = mapped_column(String(100), primary_key=True)
    date: Mapped[date] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    item_count: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
    # When the date's current run of failures began; cleared by a success.
    failing_since: Mapped[datetime | None]
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))


class HttpValidator(Base):
    """The ETag / Last-Modified of a listing URL, saved with the date its body was stored for."""

    __tablename__ = "http_validators"

    site: Mapped[str] = mapped_column(String(100), primary_key=True)
    url: Mapped[str] = mapped_column(String(1000), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    saved_at: Mapped[datetime]


class SiteLock(Base):
    """At most one run crawls a site at a time (PostgreSQL adds an advisory lock on top)."""

    __tablename__ = "site_locks"

    site: Mapped[str] = mapped_column(String(100), primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    owner: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class SiteSchedule(Base):
    """When each site is next due, and which daemon replica has claimed it.

    The daemons share this table: a replica claims a due site with ``SELECT ... FOR UPDATE
    SKIP LOCKED`` (PostgreSQL), crawls it, and sets the next due time from the site's trigger;
    a claim whose heartbeat stopped is taken over by another replica.
    """

    __tablename__ = "site_schedule"

    site: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_due_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))

    __table_args__ = (Index(None, "next_due_at"),)


class AlertState(Base):
    """The last known state of one alert of a site, and what was delivered about it, so each
    transition is sent once, across restarts, and a failed delivery is retried."""

    __tablename__ = "alert_state"

    site: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # "health", "quiet", ...
    state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None]
    since: Mapped[datetime]
    delivered_state: Mapped[str | None] = mapped_column(String(20))
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
