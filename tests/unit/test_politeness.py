"""The per-host gate: robots.txt's Crawl-delay only ever slows it down, and a second site on
the host only ever tightens it."""

from __future__ import annotations

import asyncio
import time

from ingest.fetch.politeness import HostSlot, RateLimiter
from ingest.run import dates_in_flight


def test_the_slower_of_crawl_delay_and_configured_rate_wins() -> None:
    """A delay slower than the configured rate lowers it; a faster one changes nothing; a
    robots.txt read again without the delay (the next run) gives the configured rate back."""
    slot = HostSlot(2, requests_per_second=4.0)
    assert slot.honour_crawl_delay(0.1) == 4.0
    assert slot.honour_crawl_delay(0.5) == 2.0
    assert slot.honour_crawl_delay(0.0) == 4.0
    assert HostSlot(2, requests_per_second=0).honour_crawl_delay(2.0) == 0.5


def test_a_second_site_only_tightens_the_slot() -> None:
    """The host keeps the fewest places and the slowest rate any of its sites asked for; a
    rate of 0 (no limit) never loosens a configured one."""
    slot = HostSlot(8, requests_per_second=0)
    slot.tighten(2, requests_per_second=4.0)
    slot.tighten(4, requests_per_second=0)
    slot.tighten(6, requests_per_second=8.0)
    assert slot.concurrency == 2
    assert slot.honour_crawl_delay(0.0) == 4.0


def test_places_lowered_while_in_use_hold_from_the_next_request() -> None:
    """Lowered from 3 to 1 with 3 requests in flight: none more starts until all but one
    have ended; a waiter cancelled meanwhile gives up its turn without losing a place."""

    async def go() -> list[str]:
        slot = HostSlot(3, requests_per_second=0)
        events: list[str] = []
        release = asyncio.Event()

        async def request(name: str) -> None:
            async with slot:
                events.append(f"{name} in")
                await release.wait()
            events.append(f"{name} out")

        holders = [asyncio.create_task(request(f"r{n}")) for n in range(3)]
        await asyncio.sleep(0)
        slot.tighten(1, 0)
        cancelled = asyncio.create_task(request("cancelled"))
        late = asyncio.create_task(request("late"))
        await asyncio.sleep(0)
        cancelled.cancel()
        release.set()
        await asyncio.gather(*holders, late)
        return events

    events = asyncio.run(go())
    assert events[:3] == ["r0 in", "r1 in", "r2 in"]
    assert events.index("late in") > max(events.index(f"r{n} out") for n in range(3))
    assert "cancelled in" not in events


def test_spacing_counts_from_the_request_before_the_slow_down() -> None:
    """The first request after a slow-down waits its interval from the last start."""

    async def go() -> float:
        limiter = RateLimiter(0)
        await limiter.wait()
        started = time.monotonic()
        limiter.space(0.1)
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
