"""Per-site politeness: at most ``concurrency`` requests in flight and ``requests_per_second``.

One ``HostSlot`` exists per run and every request to the site, listing or article, first or
retried, passes through it; so the limits hold for the whole process. A ``Crawl-delay`` in
robots.txt can only slow the slot down: the slower of it and the configured rate wins.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class RateLimiter:
    """Spaces request starts at least ``1 / rate`` seconds apart; rate 0 means no limit."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._last_start: float | None = None
        self._lock = asyncio.Lock()

    @property
    def rate(self) -> float:
        """Requests per second now in force; 0 means no limit."""
        return 1.0 / self._interval if self._interval > 0 else 0.0

    def space_by(self, seconds: float) -> None:
        """Keep starts at least ``seconds`` apart from now on, unless already slower.

        The spacing counts from the last start, so the next request after a slow-down
        waits its full interval too.
        """
        self._interval = max(self._interval, seconds)

    async def wait(self) -> None:
        if self._interval == 0.0:
            # No limit, but remember the start: a later space_by() counts from it.
            self._last_start = self._clock()
            return
        async with self._lock:
            now = self._clock()
            start = now if self._last_start is None else max(now, self._last_start + self._interval)
            self._last_start = start
        if start > now:
            await asyncio.sleep(start - now)


class HostSlot:
    """The one gate to a host: a concurrency bound and a rate limit.

    ``async with slot:`` holds one of its places for a request. (A class, not an
    ``asynccontextmanager``: a generator and its wrapper for every request was CPU for
    nothing on the crawl's hot path.)
    """

    def __init__(self, concurrency: int, requests_per_second: float) -> None:
        self._semaphore = asyncio.Semaphore(concurrency)
        self._rate = RateLimiter(requests_per_second)

    def honour_crawl_delay(self, seconds: float) -> float:
        """Space requests at least ``seconds`` apart (robots.txt's ``Crawl-delay``) if that is
        slower than the configured rate; return the requests per second now in force."""
        if seconds > 0:
            self._rate.space_by(seconds)
        return self._rate.rate

    @property
    def paced(self) -> bool:
        """True when a rate (configured, or robots.txt's ``Crawl-delay``) spaces requests."""
        return self._rate.rate > 0

    async def __aenter__(self) -> None:
        await self._semaphore.acquire()
        try:
            await self._rate.wait()
        except BaseException:
            self._semaphore.release()
            raise

    async def __aexit__(self, *_exc_info: object) -> None:
        self._semaphore.release()
