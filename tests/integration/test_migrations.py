"""Migrations on every engine: up, down, up again, and no drift from the Core tables."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, date, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from ingest.domain import ArticleRecord, BodySource, DayOutcome, RunKind
from ingest.store import articles, runs
from ingest.store.engine import Database
from ingest.store.migrate import downgrade_to, upgrade_to_head
from ingest.store.tables import articles as article_rows
from ingest.store.tables import metadata
from ingest.text import title_key


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    """From empty to head, back to base (nothing left), and to head again."""
    db = Database.from_url(database_url)
    try:
        upgrade_to_head(db.engine)
        tables = set(inspect(db.engine).get_table_names())
        assert {"articles", "runs", "crawl_state", "article_revisions", "site_locks"} <= tables
        downgrade_to(db.engine, "base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade_to_head(db.engine)
        assert "http_validators" in inspect(db.engine).get_table_names()
    finally:
        db.dispose()


def test_tables_and_migrations_do_not_drift(database_url: str) -> None:
    """Autogenerate finds nothing to do after upgrading: every table change has a migration."""
    db = Database.from_url(database_url)
    try:
        upgrade_to_head(db.engine)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        db.dispose()


def _records(day: date, n: int) -> list[ArticleRecord]:
    return [
        ArticleRecord(
            site="race",
            date=day,
            title=f"Story {i}",
            title_key=title_key(f"Story {i}"),
            url=f"https://x/{i}",
            category="News",
            body=f"Body {i}",
            body_source=BodySource.LISTING,
            listing_hash=str(i),
            published_at=None,
        )
        for i in range(n)
    ]


def test_concurrent_writers_of_one_day_never_double_or_fail(database: Database) -> None:
    """Writers storing the same new articles at once: no duplicate-key error, no doubles."""
    day = date(2020, 2, 1)
    with database.transaction() as tx:
        run_id = runs.start_run(tx.connection, site="race", kind=RunKind.BACKFILL,
                                date_from=day, date_to=day, now=datetime.now(UTC))  # fmt: skip
        tx.commit()
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def write() -> None:
        try:
            barrier.wait()
            with database.transaction() as tx:
                articles.store_day(tx.connection, "race", day, _records(day, 30),
                                   run_id=run_id, now=datetime.now(UTC))  # fmt: skip
                tx.commit()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with database.transaction() as tx:
        assert tx.connection.scalar(select(func.count(article_rows.c.id))) == 30


def test_a_day_stored_without_reading_first_still_compares_what_was_stored(
    database: Database,
) -> None:
    """The crawl inserts a date it found empty without reading its rows first; rows stored
    meanwhile (another writer, or an out-of-date hint) are read and compared all the same."""
    day = date(2020, 2, 2)
    with database.transaction() as tx:
        run_id = runs.start_run(tx.connection, site="race", kind=RunKind.BACKFILL,
                                date_from=day, date_to=day, now=datetime.now(UTC))  # fmt: skip
        tx.commit()

    def store(records: list[ArticleRecord]) -> DayOutcome:
        crawled = articles.CrawledDay("race", day, records, None, "https://x/day", None, None,
                                  stored_before=False)  # fmt: skip
        with database.transaction() as tx:
            outcome = articles.store_crawled_day(
                tx.connection, crawled, run_id=run_id, now=datetime.now(UTC)
            )
            tx.commit()
        return outcome

    assert store(_records(day, 5)) == DayOutcome(new=5)
    changed = [dataclasses.replace(r, body=r.body + " (corrected)") for r in _records(day, 3)]
    assert store(_records(day, 6)[3:] + changed) == DayOutcome(new=1, updated=3, unchanged=2)
    with database.transaction() as tx:
        assert (
            tx.connection.scalar(
                select(func.count()).where(
                    article_rows.c.site == "race", article_rows.c.date == day
                )
            )
            == 6
        )


def test_schema_version_is_the_migrations_head() -> None:
    """The version reading commands check without Alembic is Alembic's head, and every
    revision is known."""
    from alembic.script import ScriptDirectory

    from ingest.store.migrate import head_revision, migrations_dir
    from ingest.store.schema import KNOWN_VERSIONS, SCHEMA_VERSION

    assert head_revision() == SCHEMA_VERSION
    scripts = ScriptDirectory(str(migrations_dir())).walk_revisions()
    assert {script.revision for script in scripts} == KNOWN_VERSIONS
