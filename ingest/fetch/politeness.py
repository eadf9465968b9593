"""Per-host politeness: at most ``concurrency`` requests in flight and ``requests_per_second``.

One ``HostSlot`` exists per host in a process (``hosts.Hosts`` holds them), and every request
to the host, listing or article, first or retried, of any site on it, passes through it; so the
limits hold for the whole process. Two sites on one host share the slot, which keeps the
strictest of their limits. A ``Crawl-delay`` in robots.txt can only slow the slot down: the
slower of it and the configured rate wins.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """Spaces request starts at least ``1 / rate`` seconds apart; rate 0 means no limit."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._last_start: float | None = None

    @property
    def rate(self) -> float:
        """Requests per second now in force; 0 means no limit."""
        return 1.0 / self._interval if self._interval > 0 else 0.0

    def space(self, seconds: float) -> None:
        """Keep starts ``seconds`` apart from now on (0: no limit).

        The spacing counts from the last start, so the next request after a slow-down
        waits its full interval too.
        """
        self._interval = max(0.0, seconds)

    async def wait(self) -> None:
        now = self._clock()
        if self._interval == 0.0:
            # No limit, but remember the start: a later space() counts from it.
            self._last_start = now
            return
        # No await between reading and booking the start: on one event loop, no lock needed.
        last = self._last_start
        start = now if last is None else max(now, last + self._interval)
        self._last_start = start
        if start > now:
            await asyncio.sleep(start - now)


class HostSlot:
    """The one gate to a host: a concurrency bound and a rate limit, each the strictest that
    a site on the host asked for (``tighten``), the rate slowed further by robots.txt.

    ``async with slot:`` holds one of its places for a request. (A class, not an
    ``asynccontextmanager``: a generator and its wrapper for every request was CPU for
    nothing on the crawl's hot path. Not an ``asyncio.Semaphore``: its bound cannot be
    lowered once a second site on the host asks for fewer places.)
    """

    def __init__(self, concurrency: int, requests_per_second: float) -> None:
        self._places = concurrency
        self._taken = 0
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._configured = 1.0 / requests_per_second if requests_per_second > 0 else 0.0
        self._crawl_delay = 0.0
        self._rate = RateLimiter(requests_per_second)

    @property
    def concurrency(self) -> int:
        """Requests in flight at most."""
        return self._places

    def tighten(self, concurrency: int, requests_per_second: float) -> None:
        """Keep the stricter of the limits in force and these (a rate of 0 is no limit)."""
        self._places = min(self._places, concurrency)
        if requests_per_second > 0:
            self._configured = max(self._configured, 1.0 / requests_per_second)
        self._rate.space(max(self._configured, self._crawl_delay))

    def honour_crawl_delay(self, seconds: float) -> float:
        """Space requests at least ``seconds`` apart (the host's robots.txt ``Crawl-delay``,
        as last read; 0 for none) where that is slower than the configured rate; return the
        requests per second now in force."""
        self._crawl_delay = max(0.0, seconds)
        self._rate.space(max(self._configured, self._crawl_delay))
        return self._rate.rate

    async def __aenter__(self) -> None:
        if self._taken < self._places and not self._waiting:
            self._taken += 1
        else:
            await self._wait_for_place()
        try:
            await self._rate.wait()
        except BaseException:
            self._release()
            raise

    async def __aexit__(self, *_exc_info: object) -> None:
        self._release()

    async def _wait_for_place(self) -> None:
        place = asyncio.get_running_loop().create_future()
        self._waiting.append(place)
        try:
            await place
        except asyncio.CancelledError:
            if place.done() and not place.cancelled():
                self._release()  # handed a place just as it was cancelled: pass it on
            elif place in self._waiting:
                self._waiting.remove(place)
            raise

    def _release(self) -> None:
        self._taken -= 1
        while self._waiting and self._taken < self._places:
            place = self._waiting.popleft()
            if not place.done():
                self._taken += 1
                place.set_result(None)
