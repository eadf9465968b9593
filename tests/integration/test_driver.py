"""The store's driver path: Core statements compiled once, run on the DB-API cursor, inside
the caller's transaction, with SQLAlchemy's own type conversions and error classification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, insert, select

from ingest.errors import StorageError
from ingest.store import driver
from ingest.store.engine import Database
from ingest.store.tables import articles, http_validators

SAVED = datetime(2020, 2, 1, 23, 30, tzinfo=timezone(timedelta(hours=3)))
INSERT = insert(http_validators)
READ = select(http_validators.c.etag, http_validators.c.saved_at).where(
    http_validators.c.url == bindparam("url")
)


def _row(url: str, **changes: object) -> dict[str, object]:
    return {
        "site": "s",
        "url": url,
        "etag": '"v1"',
        "last_modified": None,
        "saved_at": SAVED,
        **changes,
    }


def test_writes_join_the_transaction_commit_or_not(database: Database) -> None:
    with database.transaction() as tx:
        driver.execute(tx.connection, INSERT, _row("https://news.example/kept"))
        tx.commit()
    with database.transaction() as tx:
        driver.execute(tx.connection, INSERT, _row("https://news.example/dropped"))
        # no commit: the transaction rolls it back
    with database.transaction() as tx:
        urls = set(tx.connection.scalars(select(http_validators.c.url)))
    assert urls == {"https://news.example/kept"}


def test_values_convert_as_sqlalchemy_converts_them(database: Database) -> None:
    """An aware datetime goes in as SQLAlchemy stores it and comes back aware, in UTC, read
    through the driver or through SQLAlchemy alike."""
    url = "https://news.example/date/2020/2/1"
    with database.transaction() as tx:
        driver.execute(tx.connection, INSERT, _row(url))
        tx.commit()
    with database.transaction() as tx:
        ((etag, saved),) = driver.execute(tx.connection, READ, {"url": url})
    with database.transaction() as tx:
        by_sqlalchemy = tx.connection.execute(READ, {"url": url}).one()
    assert (etag, saved) == tuple(by_sqlalchemy) == ('"v1"', SAVED)
    assert saved.tzinfo is UTC


def test_execute_many_and_each(database: Database) -> None:
    rows = [_row(f"https://news.example/{n}") for n in range(3)]
    with database.transaction() as tx:
        assert driver.execute_many(tx.connection, INSERT, rows) == 3
        returned = driver.execute_each(
            tx.connection,
            INSERT.returning(http_validators.c.url),
            [_row("https://news.example/a"), _row("https://news.example/b")],
        )
        tx.commit()
    assert returned == [("https://news.example/a",), ("https://news.example/b",)]


def test_a_database_error_leaves_as_a_one_line_storage_error(database: Database) -> None:
    with pytest.raises(StorageError) as caught, database.transaction() as tx:
        driver.execute(tx.connection, INSERT, _row("https://news.example/x", site=None))
    assert "\n" not in str(caught.value) and "null" in str(caught.value).lower()


def test_statements_only_sqlalchemy_can_run_are_refused(database: Database) -> None:
    """An IN list expanded per call is compiled per call: not a statement for this path."""
    expanding = select(articles.c.id).where(articles.c.id.in_(bindparam("ids", expanding=True)))
    with database.transaction() as tx, pytest.raises(TypeError, match="driver path"):
        driver.execute(tx.connection, expanding, {"ids": [1, 2]})


def test_rows_that_share_a_value_and_rows_that_do_not_each_store_their_own(
    database: Database,
) -> None:
    """A statement's rows convert a value they share once (one "now" for a date's rows): each
    row still stores its own value, whichever object holds it."""
    shared = SAVED + timedelta(hours=1)
    saved = [shared, SAVED, shared, SAVED + timedelta(minutes=5), datetime.fromisoformat(
        shared.isoformat()
    )]  # fmt: skip
    many = [_row(f"https://news.example/m{n}", saved_at=at) for n, at in enumerate(saved)]
    each = [_row(f"https://news.example/e{n}", saved_at=at) for n, at in enumerate(saved)]
    with database.transaction() as tx:
        driver.execute_many(tx.connection, INSERT, many)
        driver.execute_each(tx.connection, INSERT.returning(http_validators.c.url), each)
        tx.commit()
    with database.transaction() as tx:
        stored = dict(
            tx.connection.execute(select(http_validators.c.url, http_validators.c.saved_at)).all()
        )
    for prefix in "me":
        assert [stored[f"https://news.example/{prefix}{n}"] for n in range(5)] == saved
