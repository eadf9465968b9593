"""The health figures kept as runs end (``store.figures``, one row a site): read from the rows,
``ingest health`` says what reading every run, date and article afresh says, after a run
ends, after a poll whose 304s turn a failed date complete, after a run killed -9 is closed (by
recovery, then by the next run), and after a purge of run records."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from ingest import health
from ingest.crawl import RunSummary, backfill
from ingest.daemon import crawl_once
from ingest.domain import ArticleRecord, BodySource, DateStatus, RunKind, RunStatus
from ingest.health import reads
from ingest.settings import Settings
from ingest.store import figures, liveness, retention, runs, tables
from ingest.store.articles import store_day
from ingest.store.days import record_date_state
from ingest.store.engine import Database
from ingest.text import title_key
from tests.support.sample_site import SampleSiteServer, Status

FIRST, LAST = date(2020, 2, 1), date(2020, 2, 6)
# What health takes for "now": after every run the tests make.
NOW = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)


def comparable(settings: Settings, database: Database) -> list[dict[str, Any]]:
    return [
        {"line": r.line, "healthy": r.healthy, **r.figures}
        for r in health.check_sites(settings, database)
    ]


def afresh(settings: Settings, database: Database) -> list[dict[str, Any]]:
    """Every figure read from the runs, dates and articles, none from the kept rows."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(figures, "read", lambda _conn, _sites=None: {})
        return comparable(settings, database)


def kept(settings: Settings, database: Database, *, counted: bool = True) -> dict[str, Any]:
    """The site's row, after checking that health reads it (no run under way), its quiet
    signals too when ``counted``."""
    with database.transaction() as tx:
        assert figures.running_sites(tx.connection) == set()
        row = figures.read(tx.connection)["test"]
    basis = reads._basis(settings, settings.site).key
    assert (row.quiet_basis == basis) is counted
    said: dict[str, Any] = json.loads(row.history)
    return said


def crawl(settings: Settings, database: Database) -> None:
    backfill(settings, database, FIRST, LAST, force=True)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reads, "utc_now", lambda: NOW)


def test_a_run_that_ends_writes_what_a_fresh_read_says(
    server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """A run with a failing date, then one without: each time the row is the fresh read."""
    server.faults.add(lambda path: path.startswith("/date/2020/2/3"), Status(503), times=None)
    crawl(settings, database)
    row = kept(settings, database)
    assert row["last_run"]["status"] == "partial" and row["last_success"] is None
    assert [f["date"] for f in row["failing_dates"]] == ["2020-02-03"]
    assert comparable(settings, database) == afresh(settings, database)
    server.faults.clear()
    crawl(settings, database)
    row = kept(settings, database)
    assert row["recent_statuses"] == ["succeeded", "partial"] and row["failing_dates"] == []
    assert comparable(settings, database) == afresh(settings, database)


def test_a_failed_date_a_304_finds_unchanged_is_complete_and_judged_again(
    server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """Polls of the window with conditional GET: all stored, then one date's listing fails
    (its validators stay, as stored with the date whole), then every listing answers 304. The
    304 run's close writes the failed date complete, and judges the site again: its failing
    date gone, its items counted in the quiet signals, as a fresh read says."""
    failed_day = LAST - timedelta(days=2)  # five items

    def poll() -> RunSummary:
        at = datetime(LAST.year, LAST.month, LAST.day, 12, tzinfo=UTC)
        (outcome,) = crawl_once(settings, database, kind=RunKind.MANUAL, clock=lambda: at)
        assert isinstance(outcome, RunSummary)
        return outcome

    def states() -> dict[date, str]:
        s = tables.crawl_state.c
        with database.transaction() as tx:
            return {day: status for day, status in tx.connection.execute(select(s.date, s.status))}

    assert poll().status is RunStatus.SUCCEEDED
    listing = f"/date/{failed_day.year}/{failed_day.month}/{failed_day.day}"
    server.faults.add(lambda path: path.startswith(listing), Status(503), times=None)
    assert poll().status is RunStatus.PARTIAL
    assert states()[failed_day] == DateStatus.FAILED.value
    row = kept(settings, database)
    assert [f["date"] for f in row["failing_dates"]] == [failed_day.isoformat()]
    failing_items = comparable(settings, database)[0]["recent_day_items"]
    server.faults.clear()
    server.reset_counters()

    again = poll()
    assert again.status is RunStatus.SUCCEEDED
    assert again.counts.pages_not_modified == server.not_modified_count == len(states())
    assert set(states().values()) == {DateStatus.COMPLETE.value}
    row = kept(settings, database)
    assert row["failing_dates"] == []
    reports = comparable(settings, database)
    assert reports == afresh(settings, database)
    assert reports[0]["failing_dates"] == []
    # Newest day first: the failed day's five items were out of the quiet signals, now in.
    assert (failing_items, reports[0]["recent_day_items"]) == ([5, 0, 1], [5, 0, 5, 1])


def test_a_run_killed_mid_way_is_read_afresh_until_closed_then_kept_again(
    server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """kill -9 after a failed date and a stored day committed: while the run is open the site
    is read afresh; recovery closes it abandoned (the row rewritten, its quiet signals left to
    be counted afresh); the next run that ends counts them again."""
    crawl(settings, database)
    host = liveness.this_owner().split(":")[0]
    dead = f"{host}:999999999:dead"  # a process of this host that no longer exists
    with database.transaction() as tx:
        conn = tx.connection
        liveness.acquire_site_lock(conn, "test", dead, datetime.now(UTC), database.witness)
        started = datetime.now(UTC)
        run_id = runs.start_run(conn, site="test", kind=RunKind.SCHEDULED, date_from=FIRST,
                                date_to=LAST, now=started, owner=dead)  # fmt: skip
        day = LAST + timedelta(days=1)
        record = ArticleRecord("test", day, "late", title_key("late"), "https://x/late", None,
                               "body", BodySource.LISTING, "h", None)  # fmt: skip
        store_day(conn, "test", day, [record], run_id=run_id, now=started)
        record_date_state(conn, site="test", day=day, status=DateStatus.COMPLETE,
                          item_count=1, error=None, run_id=run_id, now=started)  # fmt: skip
        record_date_state(conn, site="test", day=FIRST, status=DateStatus.FAILED, item_count=0,
                          error="HTTP 500", run_id=run_id, now=started - timedelta(days=2),
                          )  # fmt: skip
        tx.commit()
    assert comparable(settings, database) == afresh(settings, database)

    with database.transaction() as tx:
        closed = liveness.mark_abandoned_runs(tx.connection, started, database.witness)
        assert closed == [run_id]
        tx.commit()
    row = kept(settings, database, counted=False)
    assert (row["last_run"]["id"], row["last_run"]["status"]) == (run_id, "abandoned")
    assert [f["date"] for f in row["failing_dates"]] == [FIRST.isoformat()]
    reports = comparable(settings, database)
    assert reports == afresh(settings, database)
    assert reports[0]["line"] == f"test: unhealthy: the last run ({run_id}) abandoned: " + (
        "abandoned: the process running it stopped without closing it"
    )
    assert reports[0]["recent_day_items"][0] == 1, "the dead run's day is counted"

    crawl(settings, database)
    kept(settings, database)
    assert comparable(settings, database) == afresh(settings, database)


def test_a_purge_rewrites_the_newest_runs_health_reads(
    server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """25 runs a month old, then a purge that keeps a site's newest 3: the row holds only
    the runs left, as a fresh read does."""
    crawl(settings, database)
    with database.transaction() as tx:
        for n in range(25):
            started = NOW - timedelta(days=30, hours=25 - n)
            status = RunStatus.SUCCEEDED if n == 5 else RunStatus.PARTIAL
            run_id = runs.start_run(tx.connection, site="test", kind=RunKind.SCHEDULED,
                                    date_from=None, date_to=None, now=started)  # fmt: skip
            runs.finish_run(tx.connection, run_id, status=status, counts=runs.RunCounts(),
                            error_summary=None, now=started + timedelta(minutes=1))  # fmt: skip
        tx.commit()
    assert comparable(settings, database) == afresh(settings, database)
    deleted = retention.purge_runs(database, keep_last=3, keep_days=0, now=NOW)
    assert deleted > 0
    row = kept(settings, database, counted=False)
    assert len(row["recent_statuses"]) < 10
    assert comparable(settings, database) == afresh(settings, database)


def test_the_migration_fills_each_row_as_a_run_that_ends_writes_it(
    server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """Migration 0009 fills the rows of a database that had none: what it writes of each
    site's runs, failed dates and listing gaps is what the end of a run writes."""
    server.faults.add(lambda path: path.startswith("/date/2020/2/3"), Status(503), times=None)
    crawl(settings, database)
    server.faults.clear()
    crawl(settings, database)
    with database.transaction() as tx:
        tx.connection.execute(
            update(tables.crawl_state)
            .where(tables.crawl_state.c.date == LAST)
            .values(found_elsewhere=2)
        )
        figures.refresh(tx.connection, ["test"])
        written = figures.read(tx.connection)["test"].history
        tx.connection.execute(delete(tables.site_figures))
        migration = _migration("0009_site_figures.py")
        migration._backfill(tx.connection, tables.site_figures)
        filled = figures.read(tx.connection)["test"]
    assert json.loads(written)["listing_incomplete"]["days"] == 1
    assert json.loads(filled.history) == json.loads(written)
    assert filled.quiet_basis is None and filled.quiet is None


def _migration(name: str) -> Any:
    path = Path(__file__).parents[2] / "migrations" / "versions" / name
    spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
