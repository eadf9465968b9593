"""The per-host gate: robots.txt's Crawl-delay only ever slows it down, and a second site on
the host only ever tightens it."""

from __future__ import annotations

import asyncio
import time

from ingest.fetch import Hosts, RobotsFile
from ingest.fetch.politeness import HostSlot, RateLimiter
from ingest.settings import settings_from_mapping


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


def test_robots_is_read_once_for_the_runs_under_way_and_afresh_after() -> None:
    """Two runs asking together share one read; once both are done, the next run reads the
    file again (the daemon's next tick sees a changed robots.txt)."""

    async def go() -> int:
        hosts = Hosts()
        reads = 0

        async def read() -> RobotsFile:
            nonlocal reads
            reads += 1
            await asyncio.sleep(0.01)
            return RobotsFile.parse("User-agent: *\nDisallow: /private/\n")

        url = "https://news.example/robots.txt"
        first, second = await asyncio.gather(hosts.robots(url, read), hosts.robots(url, read))
        assert first is second and reads == 1
        assert not first.policy("etilaf-ingest").allows("https://news.example/private/x")
        hosts.done_with_robots(url)
        await hosts.robots(url, read)  # the second run still holds the first read
        assert reads == 1
        hosts.done_with_robots(url)
        hosts.done_with_robots(url)
        await hosts.robots(url, read)
        return reads

    assert asyncio.run(go()) == 2


def test_sites_on_one_host_share_one_slot_at_the_strictest_limits() -> None:
    """Registered up front, two sites on one host get one slot with the fewer places and the
    slower rate; a site on another host gets its own."""
    settings = settings_from_mapping(
        {
            "sites": [
                {"name": "a", "base_url": "https://news.example", "http": {"concurrency": 6}},
                {"name": "b", "base_url": "https://news.example/en",
                 "http": {"concurrency": 3, "requests_per_second": 1.0}},
                {"name": "c", "base_url": "https://other.example"},
            ]
        }
    )  # fmt: skip
    a, b, c = settings.sites
    hosts = Hosts.for_sites(settings.sites)
    shared = hosts.slot(a.host, a.http)
    assert hosts.slot(b.host, b.http) is shared
    assert shared.concurrency == 3 and shared.honour_crawl_delay(0.0) == 1.0
    other = hosts.slot(c.host, c.http)
    assert other is not shared and other.concurrency == c.http.concurrency


def test_a_robots_read_no_run_waits_for_any_more_is_cancelled() -> None:
    """Every run that shared a read stopped before it ended (a daemon's SIGTERM): the read is
    cancelled with the last of them, not left pending on the loop to be destroyed at exit
    (a soak found its traceback in the log)."""

    async def go() -> None:
        hosts = Hosts()
        started = asyncio.Event()

        async def read() -> RobotsFile:
            started.set()
            await asyncio.sleep(60)  # a robots.txt that never answers
            return RobotsFile()

        url = "https://news.example/robots.txt"
        runs = [asyncio.ensure_future(hosts.robots(url, read)) for _ in range(2)]
        await started.wait()
        shared = hosts._robots[url].read
        for run in runs:
            run.cancel()
        await asyncio.gather(*runs, return_exceptions=True)
        hosts.done_with_robots(url)
        assert not shared.done(), "one run left: still its read"
        hosts.done_with_robots(url)
        await asyncio.sleep(0.01)
        assert shared.cancelled(), "the last run gone: its read cancelled, not left pending"

    asyncio.run(go())
