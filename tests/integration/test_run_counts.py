"""The run record's counts grow by SQL increments, each in the transaction of the date it
belongs to: a date that commits is counted, a date rolled back is not, on every engine."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, text

from ingest.crawl import CrawlDeps, run_crawl
from ingest.domain import RunKind, RunStatus
from ingest.settings import Settings
from ingest.store import tables
from ingest.store.engine import Database
from ingest.store.runs import COUNTS, RunCounts
from tests.support.sample_site import SampleSite, SampleSiteServer

FIRST, TRIPPED, LAST = date(2020, 2, 1), date(2020, 2, 3), date(2020, 2, 5)

# A commit-time failure: the articles of TRIPPED are inserted, the run's counts are added,
# and the COMMIT itself fails, so the whole date, counts included, must roll back. SQLite
# checks a deferred foreign key at COMMIT; PostgreSQL runs a deferred constraint trigger.
SQLITE_TRIPWIRE = (
    "CREATE TABLE tripwire_parent (id INTEGER PRIMARY KEY)",
    "CREATE TABLE tripwire (parent INTEGER REFERENCES tripwire_parent (id)"
    " DEFERRABLE INITIALLY DEFERRED)",
    f"CREATE TRIGGER tripwire_day AFTER INSERT ON articles WHEN NEW.date = '{TRIPPED}'"
    " BEGIN INSERT INTO tripwire (parent) VALUES (1); END",
)
POSTGRES_TRIPWIRE = (
    "CREATE FUNCTION tripwire() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN RAISE EXCEPTION 'tripwire: % is refused at commit', NEW.date; END $$",
    "CREATE CONSTRAINT TRIGGER tripwire AFTER INSERT ON articles"
    " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
    f" WHEN (NEW.date = DATE '{TRIPPED}') EXECUTE FUNCTION tripwire()",
)


def recorded(database: Database, run_id: int) -> RunCounts:
    runs = tables.runs.c
    with database.transaction() as tx:
        row = tx.connection.execute(
            select(*(runs[name] for name in COUNTS)).where(runs.id == run_id)
        ).one()
    return RunCounts(*row)


def stored_articles(database: Database, day: date | None = None) -> int:
    articles = tables.articles.c
    query = select(func.count()).select_from(tables.articles)
    if day is not None:
        query = query.where(articles.date == day)
    with database.transaction() as tx:
        return int(tx.connection.scalar(query) or 0)


def test_a_date_whose_commit_fails_leaves_the_run_counts_as_they_were(
    site: SampleSite, server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """The tripped date's articles are neither stored nor counted; it counts as failed once;
    the pages it fetched are counted all the same; the record matches the data."""
    postgres = database.engine.dialect.name == "postgresql"
    with database.transaction() as tx:
        for statement in POSTGRES_TRIPWIRE if postgres else SQLITE_TRIPWIRE:
            tx.connection.execute(text(statement))
        tx.commit()

    summary = run_crawl(settings.site, FIRST, LAST, CrawlDeps(database))

    assert summary.status is RunStatus.PARTIAL
    assert summary.failed_dates == (TRIPPED,)
    assert stored_articles(database, TRIPPED) == 0
    record = recorded(database, summary.run_id)
    assert record == summary.counts
    assert record.dates_done == 4 and record.dates_failed == 1
    assert record.articles_new == stored_articles(database) > 0
    assert record.articles_updated == record.articles_unchanged == 0
    # Every page answered, robots.txt included: the run counts what it fetched, stored or not.
    assert record.pages_fetched == sum(1 for r in server.requests if r.status == 200)
    with database.transaction() as tx:
        states = tables.crawl_state.c
        state = tx.connection.execute(
            select(states.status, states.last_error).where(states.date == TRIPPED)
        ).one()
    assert state.status == "failed" and "commit failed" in (state.last_error or "")


def test_the_record_counts_what_every_date_stored(
    site: SampleSite, server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """A run and a rerun (every date unchanged, listings answering 304): each record holds
    exactly its own run's figures, added date by date."""
    first = run_crawl(settings.site, FIRST, LAST, CrawlDeps(database))
    assert first.status is RunStatus.SUCCEEDED
    assert recorded(database, first.run_id) == first.counts
    assert first.counts.articles_new == stored_articles(database) > 0
    assert first.counts.dates_done == 5

    server.reset_counters()
    again = run_crawl(settings.site, FIRST, LAST, CrawlDeps(database), kind=RunKind.MANUAL)
    assert again.run_id != first.run_id
    record = recorded(database, again.run_id)
    assert record == again.counts
    assert record.dates_done == 5 and record.articles_new == 0
    assert record.articles_unchanged == first.counts.articles_new
    assert record.pages_not_modified == server.not_modified_count == 5
