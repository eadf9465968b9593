"""Run records' retention: old runs go, and ``coverage`` and health say what they said before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from ingest import coverage, health
from ingest.commands.db import purge_runs as purge_command
from ingest.domain import ArticleRecord, BodySource, DateStatus, RunKind, RunStatus
from ingest.health import reads as health_module
from ingest.settings import Settings, settings_from_mapping
from ingest.store import tables
from ingest.store.articles import store_day
from ingest.store.days import record_date_state
from ingest.store.engine import Database
from ingest.store.retention import purge_runs
from ingest.store.runs import RunCounts, finish_run, start_run
from ingest.text import title_key

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()
HOURS = 6 * 24  # hourly polls over six days


def settings_for(url: str) -> Settings:
    return settings_from_mapping(
        {
            "sites": [
                {"name": n, "base_url": f"https://{n}.example", "layout": "k2"} for n in "abc"
            ],
            "schedule": {"interval": "1h"},
            "database": {"url": url, "keep_runs": 20, "keep_runs_days": 2},
        }
    )


def run(database: Database, site: str, started: datetime, status: str = "succeeded") -> int:
    with database.transaction() as tx:
        run_id = start_run(tx.connection, site=site, kind=RunKind.SCHEDULED, date_from=None,
                           date_to=None, now=started, owner="host:1:t")  # fmt: skip
        if status != "running":
            finish_run(tx.connection, run_id, status=RunStatus(status), counts=RunCounts(),
                       error_summary=None, now=started + timedelta(minutes=1))  # fmt: skip
        tx.commit()
    return run_id


def store_days(database: Database, site: str, run_id: int, days: range) -> None:
    """Days ``days`` back from today, stored by ``run_id``: two articles each."""
    with database.transaction() as tx:
        for back in days:
            day = TODAY - timedelta(days=back)
            records = [
                ArticleRecord(site, day, f"{day} {i}", title_key(f"{day} {i}"), f"https://x/{i}",
                              "news", "body", BodySource.ARTICLE, "h", NOW)
                for i in range(2)
            ]  # fmt: skip
            store_day(tx.connection, site, day, records, run_id=run_id, now=NOW)
            record_date_state(tx.connection, site=site, day=day, status=DateStatus.COMPLETE,
                              item_count=2, error=None, run_id=run_id, now=NOW)  # fmt: skip
        tx.commit()


def site_runs(database: Database, site: str) -> set[int]:
    with database.transaction() as tx:
        query = select(tables.runs.c.id).where(tables.runs.c.site == site)
        return set(tx.connection.scalars(query))


def test_purge_keeps_the_newest_the_recent_the_first_and_the_named_runs_and_coverage_and_health(
    database: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six days of hourly polls, keep 20 and 2 days: only runs over two days old, past the
    newest 20, neither the first nor named by an article or a date, nor running, are deleted;
    the coverage calendar and every health verdict and figure are unchanged."""
    settings = settings_for(database_url)
    monkeypatch.setattr(health_module, "utc_now", lambda: NOW)
    first = run(database, "a", NOW - timedelta(days=30))
    store_days(database, "a", first, range(10, 20))  # a backfill: its run stays named
    hourly = {back: run(database, "a", NOW - timedelta(hours=back)) for back in range(HOURS, 0, -1)}
    store_days(database, "a", hourly[100], range(3, 5))  # a poll four days ago stored two days
    store_days(database, "a", hourly[1], range(0, 2))
    few = [run(database, "b", NOW - timedelta(days=9 - n), "failed") for n in range(3)]
    stuck = run(database, "c", NOW - timedelta(days=6, hours=20, minutes=30), "running")
    older_c = [run(database, "c", NOW - timedelta(days=6, hours=n)) for n in range(25)]
    calendar = coverage.read_calendar(database, "a")
    reports = health.check_sites(settings, database)

    deleted = purge_runs(database, keep_last=20, keep_days=2, now=NOW)

    recent = {run_id for back, run_id in hourly.items() if back <= 48}
    assert site_runs(database, "a") == {first, hourly[100], *recent}
    assert deleted == (HOURS - len(recent) - 1) + 4  # a's old polls but the named; c's 4
    assert site_runs(database, "b") == set(few)  # fewer than 20
    # c: its newest 20, the first, and a run still running, however old.
    assert site_runs(database, "c") == {*sorted(older_c)[:20], stuck, max(older_c)}
    assert coverage.read_calendar(database, "a") == calendar
    after = health.check_sites(settings, database)
    assert [(r.line, r.figures) for r in after] == [(r.line, r.figures) for r in reports]
    assert purge_runs(database, keep_last=20, keep_days=2, now=NOW) == 0


def test_the_command_says_what_it_deleted_and_keep_runs_0_keeps_all(
    database: Database, database_url: str
) -> None:
    """``ingest db purge-runs``: one line with the count; ``keep_runs = 0`` deletes nothing."""
    for back in range(30, 0, -1):
        run(database, "a", NOW - timedelta(days=back))
    settings = settings_for(database_url)
    off = settings_from_mapping({"database": {"url": database_url, "keep_runs": 0}})
    assert purge_command(off).startswith("database.keep_runs = 0: every run record is kept")
    assert len(site_runs(database, "a")) == 30
    line = purge_command(settings)
    assert line.startswith("deleted 9 run records (kept: each site's newest 20")
    with database.transaction() as tx:
        assert tx.connection.scalar(select(func.count()).select_from(tables.runs)) == 21
