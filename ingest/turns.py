"""Turns for CPU work: tasks back from the network parse and store together, not one by one.

Concurrency hides latency, not CPU. In a crawl, pages come back a few milliseconds apart and
each one's parsing and storing used to run alone between two network events: by then the
parser's, SQLite's and our own code and data had left the CPU's caches, and a page cost about
twice its CPU in a loop (docs/performance.md). A task that has its page awaits
``Turns.take()``; the waiting tasks are let go together, when ``size`` of them wait or
``wait_seconds`` after the first began to, and the event loop runs them back to back, each up
to its next request.

A turn delays a page's work by at most ``wait_seconds``; a run that is not paced by a rate
keeps twice as many dates in flight as request slots, so the slots stay busy while dates wait
their turn (``run.dates_in_flight``). One ``Turns`` serves every site on an event loop: in the
daemon, sites crawled side by side share their turns.
"""

from __future__ import annotations

import asyncio

# Measured on the CPU benchmark's one-year backfill (8 requests in flight, 20 ms latency),
# paired runs against no turns: 16 or 50 ms, 0.83 of the CPU per page at the same wall time;
# 8 or 20 ms, about 0.9 and 9 % more wall time; 32 or 100 ms, no better than 16.
TURN_SIZE = 16
TURN_WAIT_SECONDS = 0.05


class Turns:
    """Lets waiting tasks go together: ``size`` at a time, or all after ``wait_seconds``."""

    def __init__(self, size: int = TURN_SIZE, wait_seconds: float = TURN_WAIT_SECONDS) -> None:
        if size < 1 or wait_seconds < 0:
            raise ValueError("a turn needs a size of at least 1 and a wait of 0 s or more")
        self.size = size
        self.wait_seconds = wait_seconds
        self._waiting: list[asyncio.Future[None]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def take(self) -> None:
        """Return when this task's turn comes, together with the others waiting for it."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # A new event loop (another asyncio.run): nothing of the last one's is pending.
            self._loop, self._waiting, self._timer = loop, [], None
        turn: asyncio.Future[None] = loop.create_future()
        self._waiting.append(turn)
        if len(self._waiting) >= self.size:
            self._release()
        elif self._timer is None:
            self._timer = loop.call_later(self.wait_seconds, self._release)
        try:
            await turn
        except asyncio.CancelledError:
            # A task stopped while it waited (a run being stopped) no longer counts.
            if turn in self._waiting:
                self._waiting.remove(turn)
            raise

    def _release(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiting, self._waiting = self._waiting, []
        for turn in waiting:
            if not turn.done():  # its task was cancelled and has not run since
                turn.set_result(None)
