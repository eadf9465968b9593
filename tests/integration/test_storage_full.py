"""A store that fills up mid-run: the run stops taking dates, ends failed with "storage full",
fetches nothing more than the dates in flight, and a rerun with room completes the archive."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from ingest import health
from ingest.crawl import CrawlDeps, run_crawl
from ingest.domain import RunStatus
from ingest.planning import dates_in_flight
from ingest.settings import Settings
from ingest.store import tables
from ingest.store.engine import Database, make_engine
from ingest.store.migrate import upgrade_to_head
from tests.support.archive import expected, stored
from tests.support.listings import listing_dates
from tests.support.sample_site import SampleSite, SampleSiteServer
from tests.support.settings import fast_settings

FIRST, LAST = date(2020, 1, 1), date(2020, 3, 31)
# Room for a few weeks of the sample site above the empty schema, not for three months.
SPARE_PAGES = 60


def capped(url: str, max_pages: int) -> Database:
    """The database with SQLite's page limit set on every connection: a full disk anywhere."""
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def _limit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {max_pages}")

    return Database(engine)


def test_full_store_stops_the_run_and_a_rerun_completes_it(
    site: SampleSite, server: SampleSiteServer, tmp_path: Path
) -> None:
    """SQLITE_FULL from PRAGMA max_page_count: failed with "storage full"; every date whose
    listing was fetched was done or failed in flight (at most the run's dates in flight); the record
    says why and health repeats it; with the limit gone a rerun equals the sample site."""
    settings: Settings = fast_settings(server.base_url, server.listing_path, tmp_path)
    url = settings.database.url
    empty = Database.from_url(url)
    upgrade_to_head(empty.engine)
    empty.dispose()
    path = tmp_path / "ingest.db"
    (pages,) = sqlite3.connect(path).execute("PRAGMA page_count").fetchone()

    full = capped(url, pages + SPARE_PAGES)
    summary = run_crawl(settings.site, FIRST, LAST, CrawlDeps(full))
    assert summary.status is RunStatus.FAILED
    assert summary.reason is not None and summary.reason.startswith("storage full (sqlite ")
    assert summary.counts.dates_done > 0, "some days fitted"
    failed = set(summary.failed_dates)
    in_flight = dates_in_flight(settings.site.http.concurrency)
    assert 1 <= len(failed) <= in_flight, "only dates in flight failed"
    fetched = listing_dates(server)
    assert len(fetched) == summary.counts.dates_done + len(failed)
    assert failed <= fetched
    assert len(fetched) < 60, "the run stopped long before the end of the range"
    with full.transaction() as tx:
        run = tx.connection.execute(
            select(tables.runs).where(tables.runs.c.id == summary.run_id)
        ).one()
        assert run is not None and run.status == "failed"
        assert (run.error_summary or "").startswith("storage full")
        complete = set(
            tx.connection.scalars(
                select(tables.crawl_state.c.date).where(tables.crawl_state.c.status == "complete")
            )
        )
    assert complete == fetched - failed
    # The record counts what was stored, and the dates that failed for want of room too
    # (their figures, written with no date, go in when the run closes).
    assert (run.dates_done, run.dates_failed) == (len(complete), len(failed))
    assert run.articles_new == len(stored(full))
    (report,) = health.check_sites(settings, full)
    assert not report.healthy and "storage full" in report.line
    full.dispose()

    server.reset_counters()
    roomy = Database.from_url(url)
    rerun = run_crawl(settings.site, FIRST, LAST, CrawlDeps(roomy))
    assert rerun.status is RunStatus.SUCCEEDED
    assert rerun.dates_skipped == summary.counts.dates_done
    assert stored(roomy) == expected(site, server.base_url, FIRST, LAST)
    roomy.dispose()
