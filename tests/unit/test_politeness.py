"""The per-site gate: robots.txt's Crawl-delay only ever slows it down."""

from __future__ import annotations

import asyncio
import time

from ingest.politeness import HostSlot, RateLimiter
from ingest.run import dates_in_flight


def test_the_slower_of_crawl_delay_and_configured_rate_wins() -> None:
    """A delay slower than the configured rate lowers it; a faster one changes nothing."""
    slot = HostSlot(2, requests_per_second=4.0)
    assert slot.honour_crawl_delay(0.1) == 4.0
    assert slot.honour_crawl_delay(0.5) == 2.0
    assert slot.honour_crawl_delay(0.0) == 2.0
    assert HostSlot(2, requests_per_second=0).honour_crawl_delay(2.0) == 0.5


def test_spacing_counts_from_the_request_before_the_slow_down() -> None:
    """The first request after a slow-down waits its interval from the last start."""

    async def go() -> float:
        limiter = RateLimiter(0)
        await limiter.wait()
        started = time.monotonic()
        limiter.space_by(0.1)
        await limiter.wait()
        return time.monotonic() - started

    assert asyncio.run(go()) >= 0.09


def test_a_run_keeps_twice_its_slots_in_dates_only_when_no_rate_paces_it() -> None:
    """Dates waiting for their CPU turn hold no slot: an unpaced run keeps more of them; a
    configured rate or a robots.txt Crawl-delay paces it, and it keeps as many as slots."""
    unpaced, rated, delayed = HostSlot(4, 0), HostSlot(4, 2.0), HostSlot(4, 0)
    delayed.honour_crawl_delay(1.0)
    assert [s.paced for s in (unpaced, rated, delayed)] == [False, True, True]
    assert [dates_in_flight(4, paced=s.paced) for s in (unpaced, rated, delayed)] == [8, 4, 4]
    assert dates_in_flight(1, paced=True) == 2  # a date fetching while another is stored
