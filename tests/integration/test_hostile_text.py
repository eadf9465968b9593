"""Site text that a database would refuse: a NUL, a title longer than an index entry, a category
longer than its column. Each stores, on SQLite and PostgreSQL alike, and the upgrade that brought
the title digest keeps every stored row as it was."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from sqlalchemy import func, select

from ingest.crawl import RunSummary, backfill
from ingest.domain import (
    CATEGORY_MAX_LENGTH,
    ArticleRecord,
    BodySource,
    DayOutcome,
    RunKind,
    RunStatus,
)
from ingest.settings import Settings
from ingest.store import articles, runs, tables
from ingest.store.days import read_validators
from ingest.store.engine import Database
from ingest.store.migrate import alembic_config, upgrade_to_head
from ingest.text import title_digest, title_key
from tests.support.sample_site import SampleSiteServer
from tests.support.settings import loopback_settings

DAY = date(2020, 2, 3)
LONG_TITLE = " ".join(f"word{n}" for n in range(1400))  # about 11,000 characters


def _settings(server: SampleSiteServer, tmp_path: Path, database_url: str) -> Settings:
    table = {"name": "api", "base_url": server.base_url, "layout": "wordpress-api",
             "listing_path": server.api_path}  # fmt: skip
    return loopback_settings(tmp_path, database_url, table)


def test_a_nul_and_a_title_longer_than_an_index_entry_store_their_date(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """A REST title and body holding NUL, and a title of 11,000 characters (PostgreSQL's
    B-tree holds about 2,700 bytes an entry): the date succeeds, the NUL is gone, the long
    title is stored whole, and crawling the date again finds both unchanged."""
    site = server.site
    site.add_article(DAY, title_html="Nul\x00in the title", intro_paragraphs=("Bo\x00dy.",))
    site.add_article(DAY, title_html=LONG_TITLE, intro_paragraphs=("Long.",))
    site.add_article(DAY, title_html=LONG_TITLE + " more", intro_paragraphs=("Longer.",))
    settings = _settings(server, tmp_path, database_url)
    for force in (False, True):
        (run,) = backfill(settings, database, DAY, DAY, force=force)
        assert isinstance(run, RunSummary) and run.status is RunStatus.SUCCEEDED, run
    assert run.counts.articles_new == 0 and run.counts.articles_updated == 0
    with database.transaction() as tx:
        rows = tx.connection.execute(
            select(tables.articles.c.title, tables.articles.c.body).where(
                tables.articles.c.date == DAY
            )
        ).all()
    titles = [title for title, _ in rows]
    assert "Nulin the title" in titles
    assert LONG_TITLE in titles and LONG_TITLE + " more" in titles
    assert not any("\x00" in title or "\x00" in body for title, body in rows)
    assert len(titles) == len(set(titles)) == len(site.expected_records(DAY, base_url="x"))


def _record(title: str, *, category: str | None = "News", body: str = "Body") -> ArticleRecord:
    return ArticleRecord(
        site="s",
        date=DAY,
        title=title,
        title_key=title_key(title),
        url=f"https://x/{len(title)}\x00",
        category=category,
        body=body,
        body_source=BodySource.LISTING,
        listing_hash="h",
        published_at=None,
    )


def _store(database: Database, records: list[ArticleRecord], run_id: int) -> DayOutcome:
    with database.transaction() as tx:
        outcome = articles.store_day(
            tx.connection, "s", DAY, records, run_id=run_id, now=datetime.now(UTC)
        )
        tx.commit()
    return outcome


def _run(database: Database) -> int:
    with database.transaction() as tx:
        run_id = runs.start_run(tx.connection, site="s", kind=RunKind.BACKFILL,
                                date_from=DAY, date_to=DAY, now=datetime.now(UTC))  # fmt: skip
        tx.commit()
    return run_id


def test_a_category_longer_than_its_column_is_cut_and_nul_never_stored(
    database: Database,
) -> None:
    run_id = _run(database)
    record = _record("Cat", category="c" * 300 + "\x00", body="a\x00b")
    assert record.category == "c" * CATEGORY_MAX_LENGTH and record.body == "ab"
    assert "\x00" not in record.url
    assert _store(database, [record], run_id) == DayOutcome(new=1)
    assert _store(database, [record], run_id) == DayOutcome(unchanged=1)


def test_the_category_limit_is_the_columns() -> None:
    assert tables.articles.c.category.type.length == CATEGORY_MAX_LENGTH  # type: ignore[attr-defined]


_ARTICLES_0003 = sa.table(
    "articles",
    *(sa.column(name) for name in ("site", "date", "title", "title_key", "url", "category",
                                   "body", "body_source", "listing_hash", "published_at",
                                   "content_hash", "first_seen_at", "updated_at",
                                   "first_run_id", "last_run_id")),
)  # fmt: skip


def test_the_upgrade_gives_every_stored_row_its_digest(database_url: str) -> None:
    """At 0003, articles (one with a revision) are stored; after the upgrade each row has its
    key's digest, the revision is still there (SQLite rebuilds the table: its foreign keys are
    off meanwhile, or the revision would go with the old table), storing the same articles
    again changes nothing, and foreign keys are on again."""
    database = Database.from_url(database_url)
    try:
        command.upgrade(alembic_config(database.engine), "0003")
        run_id = _run(database)
        stored = [_record(f"Story {n}") for n in range(5)]
        now = datetime.now(UTC)
        with database.engine.begin() as connection:
            for record in stored:
                row = {name: getattr(record, name) for name in
                       ("site", "date", "title", "title_key", "url", "category", "body",
                        "listing_hash", "published_at", "content_hash")}  # fmt: skip
                connection.execute(
                    _ARTICLES_0003.insert().values(
                        **row, body_source="listing", first_seen_at=now, updated_at=now,
                        first_run_id=run_id, last_run_id=run_id,
                    )
                )  # fmt: skip
        changed = dataclasses.replace(stored[0], body="Corrected")
        assert _store_at_0003(database, [changed], run_id)
        upgrade_to_head(database.engine)
        with database.transaction() as tx:
            keys = tx.connection.execute(
                select(tables.articles.c.title_key, tables.articles.c.title_digest)
            ).all()
            revisions = tx.connection.scalar(select(func.count(tables.article_revisions.c.id)))
        assert sorted(keys) == sorted((r.title_key, title_digest(r.title_key)) for r in stored)
        assert revisions == 1
        again = [changed, *stored[1:]]
        assert _store(database, again, run_id) == DayOutcome(unchanged=5)
        if database.engine.dialect.name == "sqlite":
            with database.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        database.dispose()


def _store_at_0003(database: Database, records: list[ArticleRecord], run_id: int) -> bool:
    """A revision as the 0003 code kept one: the old row copied, the article updated."""
    now = datetime.now(UTC)
    with database.engine.begin() as connection:
        (article_id,) = connection.execute(
            sa.text("SELECT id FROM articles WHERE title_key = :key"),
            {"key": records[0].title_key},
        ).one()
        connection.execute(
            sa.text(
                "INSERT INTO article_revisions (article_id, title, url, category, body, "
                "body_source, content_hash, valid_from, replaced_at, replaced_by_run_id) "
                "SELECT id, title, url, category, body, body_source, content_hash, updated_at, "
                ":now, :run FROM articles WHERE id = :id"
            ),
            {"now": now, "run": run_id, "id": article_id},
        )
        connection.execute(
            sa.text("UPDATE articles SET body = :body, content_hash = :hash WHERE id = :id"),
            {"body": records[0].body, "hash": records[0].content_hash, "id": article_id},
        )
    return True


def test_the_upgrade_frees_sqlite_keys_of_nul_unless_that_makes_a_double(tmp_path: Path) -> None:
    """SQLite could store a key holding NUL: the upgrade drops the NUL, as new keys do, unless
    another article of the date has the key without it; then both stay, two articles."""
    database = Database.from_url(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        command.upgrade(alembic_config(database.engine), "0003")
        run_id = _run(database)
        now = datetime.now(UTC)
        with database.engine.begin() as connection:
            for key in ("a\x00b", "ab", "c\x00d", "c\x00\x00d"):
                connection.execute(
                    _ARTICLES_0003.insert().values(
                        site="s", date=DAY, title=key, title_key=key, url="u", category=None,
                        body="b", body_source="listing", listing_hash="h", published_at=None,
                        content_hash="x", first_seen_at=now, updated_at=now,
                        first_run_id=run_id, last_run_id=run_id,
                    )
                )  # fmt: skip
        upgrade_to_head(database.engine)
        with database.transaction() as tx:
            keys = tx.connection.execute(
                select(tables.articles.c.title_key, tables.articles.c.title_digest)
            ).all()
        assert sorted(key for key, _ in keys) == sorted(["a\x00b", "ab", "cd", "c\x00\x00d"])
        assert all(digest == title_digest(key) for key, digest in keys)
    finally:
        database.dispose()


def test_validators_a_column_cannot_hold_are_not_kept(database: Database) -> None:
    """An ETag longer than its column (500), or a Last-Modified with a NUL: that one is not
    kept, and the date is stored all the same."""
    run_id = _run(database)
    crawled = articles.CrawledDay(
        "s", DAY, [_record("One")], None, "https://x/day", "e" * 501, "Mon\x00day"
    )
    with database.transaction() as tx:
        articles.store_crawled_day(tx.connection, crawled, run_id=run_id, now=datetime.now(UTC))
        tx.commit()
    with database.transaction() as tx:
        assert read_validators(tx.connection, "s", "https://x/day") == (None, None)
    fitting = dataclasses.replace(crawled, etag='"e1"', last_modified="Mon, 03 Feb 2020")
    with database.transaction() as tx:
        articles.store_crawled_day(tx.connection, fitting, run_id=run_id, now=datetime.now(UTC))
        tx.commit()
    with database.transaction() as tx:
        found = read_validators(tx.connection, "s", "https://x/day")
    assert found == ('"e1"', "Mon, 03 Feb 2020")
    assert tables.http_validators.c.etag.type.length == 500  # type: ignore[attr-defined]
    assert tables.http_validators.c.last_modified.type.length == 100  # type: ignore[attr-defined]
