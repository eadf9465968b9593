"""Per-site politeness: at most ``concurrency`` requests in flight and ``requests_per_second``.

One ``HostSlot`` exists per run and every request to the site, listing or article, first or
retried, passes through it; so the limits hold for the whole process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager


class RateLimiter:
    """Spaces request starts at least ``1 / rate`` seconds apart; rate 0 means no limit."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._next_start = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if self._interval == 0.0:
            return
        async with self._lock:
            now = self._clock()
            start = max(now, self._next_start)
            self._next_start = start + self._interval
        if start > now:
            await asyncio.sleep(start - now)


class HostSlot:
    """The one gate to a host: a concurrency bound and a rate limit."""

    def __init__(self, concurrency: int, requests_per_second: float) -> None:
        self._semaphore = asyncio.Semaphore(concurrency)
        self._rate = RateLimiter(requests_per_second)

    @asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        async with self._semaphore:
            await self._rate.wait()
            yield
