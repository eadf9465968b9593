"""The schema as SQLAlchemy Core tables: what every statement is built from.

The schema's one definition: every statement is a Core construct built from these tables, run
on the connection of ``engine.Transaction`` (no ORM: it would cost a command that does not
crawl about a fifth of its start-up). Every schema change is an Alembic migration under
migrations/ (a test compares this metadata with them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

from ingest.domain import WarcLocation

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


metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _utc(name: str, *, nullable: bool = False, primary_key: bool = False) -> Column[datetime]:
    return Column(name, UTCDateTime(), nullable=nullable, primary_key=primary_key)


def _warc_location() -> tuple[Column[Any], ...]:
    """Where a page lies in the WARC archive (``archive.warc``): the file under
    ``archive.dir``, its record's offset, its WARC-Record-ID. Null with the archive off, and
    for what was stored before the archive kept pages."""
    return (
        Column("warc_file", String(200), nullable=True),
        Column("warc_offset", BigInteger(), nullable=True),
        Column("warc_record_id", String(100), nullable=True),
    )


WARC_COLUMNS = ("warc_file", "warc_offset", "warc_record_id")


def warc_columns(location: WarcLocation | None) -> dict[str, Any]:
    """A page's WARC location as the tables' three columns (null without one)."""
    if location is None:
        return dict.fromkeys(WARC_COLUMNS)
    return {
        "warc_file": location.file,
        "warc_offset": location.offset,
        "warc_record_id": location.record_id,
    }


def _count(name: str) -> Column[int]:
    return Column(name, Integer(), nullable=False, default=0)


runs = Table(
    "runs",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("site", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    _utc("started_at"),
    _utc("finished_at", nullable=True),
    Column("date_from", Date(), nullable=True),
    Column("date_to", Date(), nullable=True),
    _count("dates_total"),
    _count("dates_done"),
    _count("dates_failed"),
    _count("dates_skipped"),
    _count("pages_fetched"),
    _count("pages_failed"),
    _count("pages_not_modified"),
    _count("articles_new"),
    _count("articles_updated"),
    _count("articles_unchanged"),
    _count("duplicates"),
    Column("error_summary", Text(), nullable=True),
    # Written by the process doing the run; a stale heartbeat means that process died.
    _utc("heartbeat_at", nullable=True),
    Column("owner", String(200), nullable=True),
    Index(None, "site", "started_at"),
    Index(None, "status"),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("site", String(100), nullable=False),
    Column("date", Date(), nullable=False),
    Column("title", Text(), nullable=False),
    Column("title_key", Text(), nullable=False),
    # The unique index holds the key's SHA-256 (``text.title_digest``), not the key: a
    # PostgreSQL B-tree entry cannot exceed about 2,700 bytes, and a title can.
    Column("title_digest", String(64), nullable=False),
    Column("url", Text(), nullable=False),
    Column("category", String(200), nullable=True),
    Column("body", Text(), nullable=False),
    Column("body_source", String(10), nullable=False),
    Column("listing_hash", String(64), nullable=False),
    _utc("published_at", nullable=True),
    Column("content_hash", String(64), nullable=False),
    _utc("first_seen_at"),
    _utc("updated_at"),
    Column("first_run_id", Integer(), ForeignKey("runs.id"), nullable=False),
    Column("last_run_id", Integer(), ForeignKey("runs.id"), nullable=False),
    *_warc_location(),
    # The source that found it (``domain.FoundBy``): ``listing``, ``sitemap``, ``feed`` or
    # ``rest``; null for what was stored before 0008 recorded it.
    Column("found_by", String(10), nullable=True),
    UniqueConstraint("site", "date", "title_digest"),
    Index(None, "date"),
    # The columns naming a run are indexed: deleting a run (``retention``) looks them up.
    Index(None, "first_run_id"),
    Index(None, "last_run_id"),
)

# An article's earlier version, kept when a re-crawl finds its content changed.
article_revisions = Table(
    "article_revisions",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("article_id", Integer(), ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("title", Text(), nullable=False),
    Column("url", Text(), nullable=False),
    Column("category", String(200), nullable=True),
    Column("body", Text(), nullable=False),
    Column("body_source", String(10), nullable=False),
    _utc("published_at", nullable=True),
    Column("content_hash", String(64), nullable=False),
    _utc("valid_from"),
    _utc("replaced_at"),
    Column("replaced_by_run_id", Integer(), ForeignKey("runs.id"), nullable=False),
    Index(None, "article_id"),
    Index(None, "replaced_by_run_id"),
)

# Per-date progress of a site, so a backfill can resume where it stopped.
crawl_state = Table(
    "crawl_state",
    metadata,
    Column("site", String(100), primary_key=True),
    Column("date", Date(), primary_key=True),
    Column("status", String(20), nullable=False),
    _count("item_count"),
    _count("attempts"),
    _utc("last_attempt_at"),
    _utc("last_success_at", nullable=True),
    Column("last_error", Text(), nullable=True),
    # When the date's current run of failures began; cleared by a success.
    _utc("failing_since", nullable=True),
    Column("last_run_id", Integer(), ForeignKey("runs.id"), nullable=True),
    # Where the date's first listing page, as last stored, lies in the WARC archive.
    *_warc_location(),
    # How the archive kept each of the date's listing pages as last stored (``days``): the
    # next fetch of an unchanged one is then kept as a revisit that refers to it.
    Column("listing_captures", Text(), nullable=True),
    # Articles the cross-check found elsewhere (sitemap, feed, REST API) that the date's
    # listing lacked, at its last complete crawl: above 0, the listing is incomplete.
    # Indexed: health reads only the dates above 0, of every site.
    Column("found_elsewhere", Integer(), nullable=False, default=0, server_default="0"),
    Index(None, "last_run_id"),
    Index(None, "found_elsewhere"),
)

# The ETag / Last-Modified of a listing URL, saved with the date its body was stored for.
http_validators = Table(
    "http_validators",
    metadata,
    Column("site", String(100), primary_key=True),
    Column("url", String(1000), primary_key=True),
    Column("etag", String(500), nullable=True),
    Column("last_modified", String(100), nullable=True),
    _utc("saved_at"),
)

# At most one run crawls a site at a time (PostgreSQL adds an advisory lock on top).
site_locks = Table(
    "site_locks",
    metadata,
    Column("site", String(100), primary_key=True),
    Column("run_id", Integer(), ForeignKey("runs.id"), nullable=True),
    Column("owner", String(200), nullable=False),
    _utc("acquired_at"),
    _utc("heartbeat_at"),
)

# When each site is next due, and which daemon replica has claimed it (see ``schedule``).
site_schedule = Table(
    "site_schedule",
    metadata,
    Column("site", String(100), primary_key=True),
    _utc("next_due_at"),
    Column("claimed_by", String(200), nullable=True),
    _utc("claimed_at", nullable=True),
    _utc("heartbeat_at", nullable=True),
    Column("last_run_id", Integer(), ForeignKey("runs.id"), nullable=True),
    Index(None, "next_due_at"),
)

# The last known state of one alert of a site, and what was delivered about it.
alert_state = Table(
    "alert_state",
    metadata,
    Column("site", String(100), primary_key=True),
    Column("kind", String(20), primary_key=True),  # "health", "quiet", ...
    Column("state", String(20), nullable=False),
    Column("reason", Text(), nullable=True),
    _utc("since"),
    Column("delivered_state", String(20), nullable=True),
    _utc("delivered_at", nullable=True),
    Column("last_error", Text(), nullable=True),
)

# Each site's health as its last finished run left it (``figures``): what ``ingest health``
# and the ``/metrics`` scrape read, one row a site, instead of every site's runs, dates and
# articles. Rewritten in the transaction that ends a run (or marks it abandoned, or purges
# runs), from the rows as that transaction sees them.
site_figures = Table(
    "site_figures",
    metadata,
    Column("site", String(100), primary_key=True),
    # What the newest 20 finished runs and the failed dates say whatever the time, as JSON
    # (``health.verdict.history``).
    Column("history", Text(), nullable=False),
    # The quiet signals' figures and reasons, as JSON (``health.verdict.quiet_figures``), and
    # the thresholds they were judged with: a reader with others (or none here) judges afresh.
    Column("quiet_basis", String(200), nullable=True),
    Column("quiet", Text(), nullable=True),
)
