"""Each date's crawl state, and the HTTP validators of its listing.

``crawl_state`` says per site and date whether the date is complete or failing (a backfill
skips complete dates); ``http_validators`` keeps the ETag / Last-Modified of a date's first
listing page, saved only with a date stored whole, so a 304 never hides a date that still
needs work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Executable, bindparam, delete, func, select

from ingest.domain import Captured, DateStatus, WarcLocation, decode_captures, encode_captures
from ingest.store import driver
from ingest.store.engine import dialect_insert, storable_text
from ingest.store.tables import WARC_COLUMNS, warc_columns
from ingest.store.tables import crawl_state as _states
from ingest.store.tables import http_validators as _validators


def date_statuses(conn: Connection, site: str, first: date, last: date) -> dict[date, DateStatus]:
    """Every date of the range crawled before, with its status (a date never crawled has no
    state row, hence no articles and no listing validators either)."""
    query = select(_states.c.date, _states.c.status).where(
        _states.c.site == site, _states.c.date.between(first, last)
    )
    return {day: DateStatus(status) for day, status in conn.execute(query)}


def record_date_state(
    conn: Connection,
    *,
    site: str,
    day: date,
    status: DateStatus,
    item_count: int | None,
    error: str | None,
    run_id: int,
    now: datetime,
    warc: WarcLocation | None = None,
    captures: Sequence[Captured] = (),
    found_elsewhere: int | None = None,
) -> int:
    """Record a crawl of the date (one upsert); ``item_count`` None keeps the stored count.
    ``warc``: where the date's first listing page lies in the archive, and ``captures`` how
    the archive kept each of its listing pages; None and none keep the ones stored (a 304, a
    failed date). ``found_elsewhere``: the articles the cross-check found and the listing
    lacked, written with a complete date; None keeps the stored count.

    Returns the date's item count after the write.
    """
    complete = status is DateStatus.COMPLETE
    keep_count = item_count is None or not complete
    keep_found = found_elsewhere is None or not complete
    statement = _date_state_upsert(conn.dialect.name, complete, keep_count, keep_found)
    params = {
        "site": site,
        "date": day,
        "status": status.value,
        "item_count": item_count or 0,
        "attempts": 1,
        "last_attempt_at": now,
        "last_success_at": now if complete else None,
        "last_error": storable_text(error),
        "failing_since": None if complete else now,
        "last_run_id": run_id,
        **warc_columns(warc),
        "listing_captures": encode_captures(captures) if captures else None,
        "found_elsewhere": found_elsewhere or 0,
    }
    ((count,),) = driver.execute(conn, statement, params)
    return int(count or 0)


@cache
def _date_state_upsert(
    dialect: str, complete: bool, keep_count: bool, keep_found: bool
) -> Executable:
    table = _states
    insert = dialect_insert(dialect)(table)
    statement: Executable = insert.on_conflict_do_update(
        index_elements=["site", "date"],
        set_={
            "status": insert.excluded.status,
            "attempts": table.c.attempts + 1,
            "last_attempt_at": insert.excluded.last_attempt_at,
            "last_error": insert.excluded.last_error,
            "last_run_id": insert.excluded.last_run_id,
            "item_count": table.c.item_count if keep_count else insert.excluded.item_count,
            "found_elsewhere": table.c.found_elsewhere
            if keep_found
            else insert.excluded.found_elsewhere,
            "last_success_at": insert.excluded.last_success_at
            if complete
            else table.c.last_success_at,
            "failing_since": None
            if complete
            else func.coalesce(table.c.failing_since, insert.excluded.failing_since),
            **{
                name: func.coalesce(insert.excluded[name], table.c[name])
                for name in (*WARC_COLUMNS, "listing_captures")
            },
        },
    ).returning(table.c.item_count)
    return statement


def _one(column: Any, *where: Any) -> Any:
    return select(column).where(*where).scalar_subquery()


_VALIDATORS_OF = (_validators.c.site == bindparam("site"), _validators.c.url == bindparam("url"))
_STATE_OF = (_states.c.site == bindparam("site"), _states.c.date == bindparam("day"))
# What a date's fetch needs first, in one round trip: each value a lookup on a unique index.
_LISTING_BEFORE = select(
    _one(_validators.c.etag, *_VALIDATORS_OF),
    _one(_validators.c.last_modified, *_VALIDATORS_OF),
    _one(_states.c.listing_captures, *_STATE_OF),
    _one(_states.c.item_count, *_STATE_OF),
)


@dataclass(frozen=True, slots=True)
class ListingBefore:
    """What the store holds of a date's listing before it is fetched again: its first page's
    validators, how the archive kept its pages, and its item count (None: no state row)."""

    etag: str | None
    last_modified: str | None
    captures: tuple[Captured, ...]
    item_count: int | None

    def without_validators(self) -> ListingBefore:
        return ListingBefore(None, None, self.captures, self.item_count)


def listing_before(conn: Connection, site: str, day: date, url: str) -> ListingBefore:
    """The validators kept for the listing ``url`` (none: None), how the archive kept the
    date's listing pages (none before), and the date's item count: one statement."""
    ((etag, modified, captures, count),) = driver.execute(
        conn, _LISTING_BEFORE, {"site": site, "url": url, "day": day}
    )
    return ListingBefore(etag, modified, decode_captures(captures) if captures else (), count)


_LISTING_VALIDATORS = select(_validators.c.etag, _validators.c.last_modified).where(
    _validators.c.site == bindparam("site"), _validators.c.url == bindparam("url")
)


def read_validators(conn: Connection, site: str, url: str) -> tuple[str | None, str | None]:
    """The ETag and Last-Modified kept for the listing ``url``, (None, None) without."""
    rows = driver.execute(conn, _LISTING_VALIDATORS, {"site": site, "url": url})
    return (rows[0][0], rows[0][1]) if rows else (None, None)


def save_validators(
    conn: Connection,
    site: str,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    now: datetime,
) -> None:
    """Keep the listing's validators; neither given: forget them. A value its column cannot
    hold (a site's header: longer than the column, or with a NUL) is not kept: the next
    request is then a plain GET, never a failed date."""
    etag = _fitting(etag, _ETAG_LENGTH)
    last_modified = _fitting(last_modified, _LAST_MODIFIED_LENGTH)
    if etag is None and last_modified is None:
        driver.execute(conn, _FORGET_VALIDATORS, {"site": site, "url": url})
        return
    driver.execute(
        conn,
        _validators_upsert(conn.dialect.name),
        {"site": site, "url": url, "etag": etag, "last_modified": last_modified, "saved_at": now},
    )


# The columns' lengths (tables.http_validators).
_ETAG_LENGTH, _LAST_MODIFIED_LENGTH = 500, 100


def _fitting(value: str | None, length: int) -> str | None:
    if value is None or "\x00" in value or len(value) > length:
        return None
    return value


_FORGET_VALIDATORS = delete(_validators).where(
    _validators.c.site == bindparam("site"), _validators.c.url == bindparam("url")
)


@cache
def _validators_upsert(dialect: str) -> Executable:
    insert = dialect_insert(dialect)(_validators)
    statement: Executable = insert.on_conflict_do_update(
        index_elements=["site", "url"],
        set_={
            "etag": insert.excluded.etag,
            "last_modified": insert.excluded.last_modified,
            "saved_at": insert.excluded.saved_at,
        },
    )
    return statement
