"""Incremental crawls: conditional GET, changed listings, the site lock, abandoned runs."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest
from sqlalchemy import event, insert, select

from ingest.crawl import CrawlDeps, RunSummary, incremental_window, run_crawl
from ingest.daemon import crawl_once
from ingest.domain import RunKind, RunStatus
from ingest.errors import SiteBusyError
from ingest.settings import Settings
from ingest.store import liveness, tables
from ingest.store.engine import Database
from tests.support.archive import expected, stored
from tests.support.sample_site import Delay, SampleSite, SampleSiteServer

DAY = date(2020, 2, 10)


def fixed_clock(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def crawl(settings: Settings, database: Database, today: date = DAY) -> RunSummary:
    (outcome,) = crawl_once(
        settings, database, kind=RunKind.MANUAL, clock=lambda: fixed_clock(today)
    )
    assert isinstance(outcome, RunSummary)
    return outcome


def test_window_is_lookback_days_up_to_today_in_site_time(settings: Settings) -> None:
    """23:30 UTC is already tomorrow in Damascus: the window ends on the site's today."""
    late = datetime(2020, 2, 10, 23, 30, tzinfo=UTC)
    assert incremental_window(settings.site, late) == (date(2020, 2, 8), date(2020, 2, 11))
    assert incremental_window(settings.site, late, days=0) == (date(2020, 2, 11), date(2020, 2, 11))


def test_unchanged_days_cost_one_conditional_request_each(
    site: SampleSite, server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """The second crawl of an unchanged window gets 304s and fetches no article page."""
    first = crawl(settings, database)
    assert first.status is RunStatus.SUCCEEDED and first.counts.articles_new > 0
    server.reset_counters()
    again = crawl(settings, database)
    assert again.status is RunStatus.SUCCEEDED
    listing_requests = [p for p in server.paths_requested() if p.startswith("/date/")]
    assert len(listing_requests) == 4, "one request per day of the 4-day window"
    assert server.not_modified_count == 4
    assert not any("/item/" in p for p in server.paths_requested())
    assert again.counts.pages_not_modified == 4
    assert again.counts.articles_unchanged == first.counts.articles_new


def test_an_unchanged_window_commits_with_the_run_not_a_date_at_a_time(
    site: SampleSite, server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """A poll of an unchanged window commits three times whatever its dates: the look for
    abandoned runs, the open (lock, record, plan) and the close, which writes each 304 date's
    state; the dates then name the run that checked them, and the record counts them."""
    first = crawl(settings, database)
    commits: list[object] = []

    def committed(connection: object) -> None:
        commits.append(connection)

    event.listen(database.engine, "commit", committed)
    try:
        again = crawl(settings, database)
    finally:
        event.remove(database.engine, "commit", committed)
    assert again.counts.pages_not_modified == 4
    assert len(commits) == 3, "each 304 date committed on its own"
    with database.transaction() as tx:
        state = tx.connection.execute(
            select(tables.crawl_state.c.last_run_id, tables.crawl_state.c.status)
        ).all()
        (run,) = tx.connection.execute(
            select(tables.runs).where(tables.runs.c.id == again.run_id)
        ).all()
    assert state == [(again.run_id, "complete")] * 4
    assert (run.dates_done, run.articles_unchanged) == (4, first.counts.articles_new)
    assert run.pages_not_modified == 4


def test_an_unchanged_poll_keeps_the_quiet_signals_only_when_judged_alike(
    site: SampleSite, server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """A run of 304s leaves the site's quiet signals as its row holds them, unless they were
    judged with other thresholds than the run's (``[health]`` changed): then it judges them."""
    crawl(settings, database)

    def quiet_row() -> tuple[str | None, str | None]:
        with database.transaction() as tx:
            f = tables.site_figures.c
            (row,) = tx.connection.execute(select(f.quiet_basis, f.quiet)).all()
        return row.quiet_basis, row.quiet

    before = quiet_row()
    assert before[1] is not None
    assert crawl(settings, database).counts.pages_not_modified == 4
    assert quiet_row() == before
    stricter = msgspec.structs.replace(settings.health, empty_days=3)
    again = crawl(msgspec.structs.replace(settings, health=stricter), database)
    assert again.counts.pages_not_modified == 4
    basis, quiet = quiet_row()
    assert basis != before[0] and basis is not None and "/3/" in basis and quiet is not None


def test_changed_listing_fetches_only_new_or_changed_articles(
    site: SampleSite, server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """A new article on the day: one listing, one article page, nothing else."""
    crawl(settings, database)
    added = site.add_article(DAY, title_html="Fresh news &amp; more", intro_paragraphs=("New.",),
                             full_paragraphs=("Full.",))  # fmt: skip
    server.reset_counters()
    summary = crawl(settings, database)
    items = [p for p in server.paths_requested() if "/item/" in p]
    assert items == [added.url_path]
    assert summary.counts.articles_new == 1
    assert stored(database) == expected(site, server.base_url, DAY - timedelta(days=3), DAY)


def test_second_crawl_of_a_busy_site_is_refused_and_a_backfill_waits(
    server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """Two runs on one database never crawl the same site at the same time."""
    server.faults.add(lambda path: path.startswith("/date/"), Delay(1.0), times=None)
    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(crawl(settings, database)))
    worker.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=5)
        while datetime.now(UTC) < deadline:
            with database.transaction() as tx:
                if tx.connection.scalar(
                    select(tables.runs.c.id).where(tables.runs.c.status == "running")
                ):
                    break
        with pytest.raises(SiteBusyError, match="is being crawled by run"):
            run_crawl(settings.site, DAY, DAY, CrawlDeps(database), kind=RunKind.MANUAL)
        # A backfill waits for the site instead, and starts once the first run is done.
        waited = run_crawl(settings.site, DAY, DAY, CrawlDeps(database), force=True)
        assert results, "the backfill started only after the first run ended"
        assert waited.status is RunStatus.SUCCEEDED
    finally:
        worker.join(30)
    assert results[0].status is RunStatus.SUCCEEDED  # type: ignore[attr-defined]


def test_run_of_a_dead_process_is_marked_abandoned(settings: Settings, database: Database) -> None:
    """A running record whose owner process is gone is closed as abandoned, its lock freed."""
    now = datetime.now(UTC)
    with database.transaction() as tx:
        host = liveness.this_owner().split(":")[0]
        dead_owner = f"{host}:999999999:dead"
        liveness.acquire_site_lock(tx.connection, "test", dead_owner, now, database.witness)
        tx.connection.execute(insert(tables.runs).values(
            site="test", kind="backfill", status="running", started_at=now, heartbeat_at=now,
            owner=dead_owner))  # fmt: skip
        tx.commit()
    summary = run_crawl(settings.site, DAY, DAY, CrawlDeps(database))
    assert summary.status is RunStatus.SUCCEEDED
    with database.transaction() as tx:
        statuses = {r.owner: r.status for r in tx.connection.execute(select(tables.runs))}
    assert statuses[dead_owner] == "abandoned"


def test_stop_event_interrupts_and_keeps_finished_dates(
    server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """Setting stop mid-run: the run ends interrupted; every stored date is whole."""
    server.faults.add(lambda path: path.startswith("/date/2020/3/"), Delay(0.5), times=None)
    stop = threading.Event()
    timer = threading.Timer(1.0, stop.set)
    timer.start()
    summary = run_crawl(
        settings.site, date(2020, 2, 1), date(2020, 3, 31), CrawlDeps(database, stop=stop)
    )
    timer.cancel()
    assert summary.status is RunStatus.INTERRUPTED
    with database.transaction() as tx:
        run = tx.connection.execute(
            select(tables.runs).where(tables.runs.c.id == summary.run_id)
        ).one()
        assert run is not None and run.status == "interrupted"
    rest = run_crawl(settings.site, date(2020, 2, 1), date(2020, 3, 31), CrawlDeps(database))
    assert rest.status is RunStatus.SUCCEEDED
    assert rest.dates_skipped == summary.counts.dates_done
