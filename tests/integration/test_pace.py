"""A run's pace is the tighter of its rate and its request slots: a rate that binds holds
exactly, and one that never binds keeps as many dates in flight as no rate at all."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingest.crawl import CrawlDeps, run_crawl
from ingest.domain import RunStatus
from ingest.store.engine import Database
from ingest.store.migrate import upgrade_to_head
from ingest.turns import Turns
from tests.support.listings import LISTING
from tests.support.sample_site import SampleSite, SampleSiteServer
from tests.support.settings import fast_settings

CONCURRENCY = 4
# With 50 ms an answer, 4 slots allow 80 requests a second: 20 is the tighter limit.
LATENCY = 0.05
BINDING_RATE = 20.0


def _database(url: str) -> Database:
    database = Database.from_url(url)
    upgrade_to_head(database.engine)
    return database


def test_a_binding_rate_holds_and_is_reached(site: SampleSite, tmp_path: Path) -> None:
    """Starts never come closer than the rate allows, and the run keeps enough dates in flight
    that the rate, not dates waiting for their CPU turn, sets the pace."""
    with SampleSiteServer(site, latency_seconds=LATENCY) as server:
        settings = fast_settings(
            server.base_url,
            server.listing_path,
            tmp_path,
            concurrency=CONCURRENCY,
            requests_per_second=BINDING_RATE,
        )
        database = _database(settings.database.url)
        summary = run_crawl(settings.site, date(2020, 2, 1), date(2020, 2, 16), CrawlDeps(database))
        database.dispose()
        sent = [r.time for r in server.requests if r.path != "/robots.txt"]
    assert summary.status is RunStatus.SUCCEEDED
    assert len(sent) > 60
    interval = 1 / BINDING_RATE
    # Stamped as each answer is sent, by a server thread: on a busy machine one may be stamped
    # late, shortening the gap after it by as much. So every 4 gaps in a row span at least 3
    # intervals; over the whole run, the starts are the rate's.
    spans = [later - earlier for earlier, later in zip(sent, sent[4:], strict=False)]
    assert min(spans) >= 3 * interval, spans
    rate = (len(sent) - 1) / (sent[-1] - sent[0])
    assert rate <= BINDING_RATE * 1.02, rate
    assert rate >= BINDING_RATE * 0.9, f"the slots were left idle: {rate:.1f} requests/s"


@pytest.mark.parametrize("requests_per_second", [0.0, 1000.0])
def test_a_rate_that_never_binds_keeps_the_dates_in_flight_of_no_rate(
    site: SampleSite, tmp_path: Path, requests_per_second: float
) -> None:
    """Dates waiting for their CPU turn hold no slot: with one long turn, every date in flight
    has its first listing page requested before the turn comes, twice as many dates as slots,
    whether a rate is set or not (with a rate, a run used to keep only as many as slots)."""
    turn = 0.5  # every date waits this long for its first parse, all in one turn
    with SampleSiteServer(site) as server:
        settings = fast_settings(
            server.base_url,
            server.listing_path,
            tmp_path,
            concurrency=CONCURRENCY,
            requests_per_second=requests_per_second,
        )
        database = _database(settings.database.url)
        deps = CrawlDeps(database, turns=Turns(size=1000, wait_seconds=turn))
        # As many days as the run may have in flight: each is started at once, or never.
        last = date(2020, 2, 2 * CONCURRENCY)
        summary = run_crawl(settings.site, date(2020, 2, 1), last, deps)
        database.dispose()
        listings = [r for r in server.requests if LISTING.match(r.path) and "Page-" not in r.path]
    assert summary.status is RunStatus.SUCCEEDED
    first_turn = [r for r in listings if r.time < listings[0].time + turn / 2]
    assert len(first_turn) == 2 * CONCURRENCY, [r.path for r in first_turn]
