"""Turns for CPU work: tasks back from the network parse and store together, not one by one.

Concurrency hides latency, not CPU. In a crawl, pages come back a few milliseconds apart and
each one's parsing and storing used to run alone between two network events: by then the
parser's, SQLite's and our own code and data had left the CPU's caches, and a page cost about
twice its CPU in a loop (docs/performance.md). A task that has its page awaits
``Turns.take()``; the waiting tasks are let go together, when ``size`` of them wait or
``wait_seconds`` after the first began to, and the event loop runs them back to back, each up
to its next request.

The work itself (parsing) runs off the event loop, on one ``ingest-parse`` thread: ``run(work)``
waits for the turn, and the turn's works go to the thread together, one hand-over for the lot.
The event loop keeps serving every other site's requests meanwhile (Lexbor lets go of the GIL
while it parses), so a page that is slow to parse delays its own site, not the others. One
thread, not a pool: a crawl's CPU work was measured as one core's, and the loop needs the other.
A run that sends no request (``ingest reparse``) has nothing for the loop to serve meanwhile:
its ``Turns(on_loop=True)`` does the works on the loop itself, with no hand-over and no GIL
fought for (docs/performance.md).

Work no task waits for rides along (``alongside``): the WARC archive builds, compresses and
writes a page's records on the parse thread in the turn after its fetch, back to back with the
turn's other pages' (``archive.WarcFiles``), where on the event loop each page's ran alone.

Whoever makes a ``Turns`` closes it when its runs are over (``close``): the parse thread
finishes the work it began and ends, before the event loop closes and before the interpreter
finalizes, so Lexbor is never left parsing while either goes away.

A turn delays a page's work by at most ``wait_seconds``; a run keeps twice as many dates in
flight as request slots, rate or no rate, so the slots stay busy while dates wait their turn
(``planning.dates_in_flight``). One ``Turns`` serves every site on an event loop: in the
daemon, sites crawled side by side share their turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

# Measured on the CPU benchmark's one-year backfill (8 requests in flight, 20 ms latency),
# paired runs against no turns: 16 or 50 ms, 0.83 of the CPU per page at the same wall time;
# 8 or 20 ms, about 0.9 and 9 % more wall time; 32 or 100 ms, no better than 16.
TURN_SIZE = 16
TURN_WAIT_SECONDS = 0.05


@dataclass(slots=True)
class _Waiter:
    """A task waiting for its turn, with the work it will do then (None: ``take`` only)."""

    turn: asyncio.Future[Any]
    work: Callable[[], Any] | None = None
    context: contextvars.Context = field(default_factory=contextvars.copy_context)


class Turns:
    """Lets waiting tasks go together: ``size`` at a time, or all after ``wait_seconds``."""

    def __init__(
        self,
        size: int = TURN_SIZE,
        wait_seconds: float = TURN_WAIT_SECONDS,
        *,
        on_loop: bool = False,
    ) -> None:
        if size < 1 or wait_seconds < 0:
            raise ValueError("a turn needs a size of at least 1 and a wait of 0 s or more")
        self.size = size
        self.wait_seconds = wait_seconds
        # The works done on the event loop itself, not the parse thread: for runs that send
        # no request (``ingest reparse``), which the loop has nothing else to do for.
        self.on_loop = on_loop
        self._waiting: list[_Waiter] = []
        self._riders: list[Callable[[], object]] = []  # ``alongside``'s, for the next turn
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: ThreadPoolExecutor | None = None

    async def take(self) -> None:
        """Return when this task's turn comes, together with the others waiting for it."""
        await self._wait(None)

    async def run(self, work: Callable[[], T]) -> T:
        """``work()``'s result, done on the parse thread when this task's turn comes, with the
        turn's other works back to back. It runs in a copy of this task's context (its log
        fields); what it raises is raised here."""
        result: T = await self._wait(work)
        return result

    def alongside(self, work: Callable[[], object]) -> None:
        """Have ``work()`` done on the parse thread with the next turn, before the turn's
        works, and no task waiting for it: it does not count towards the turn's size, and
        what it returns or raises is dropped (it keeps its own outcome). Called on the event
        loop; a turn is let go ``wait_seconds`` later at the latest. Not done at all when
        ``close`` drops the turn, or the event loop changes before it: whoever hands work
        over this way must be able to do it themselves."""
        loop = self._on_loop()
        self._riders.append(work)
        if self._timer is None:
            self._timer = loop.call_later(self.wait_seconds, self._release)

    def _on_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # A new event loop (another asyncio.run): nothing of the last one's is pending.
            self._loop, self._waiting, self._riders, self._timer = loop, [], [], None
        return loop

    async def _wait(self, work: Callable[[], Any] | None) -> Any:
        loop = self._on_loop()
        waiter = _Waiter(loop.create_future(), work)
        self._waiting.append(waiter)
        if len(self._waiting) >= self.size:
            self._release()
        elif self._timer is None:
            self._timer = loop.call_later(self.wait_seconds, self._release)
        try:
            return await waiter.turn
        except asyncio.CancelledError:
            # A task stopped while it waited (a run being stopped) no longer counts.
            if waiter in self._waiting:
                self._waiting.remove(waiter)
            raise

    def close(self) -> None:
        """End the parse thread once the works it began are done; turns not begun are dropped
        (their tasks are gone: the runs ended or were stopped). Call it when no task waits any
        more, before the event loop closes. A later ``run`` starts a new thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.shutdown(wait=True, cancel_futures=True)

    def _release(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiting, self._waiting = self._waiting, []
        riders, self._riders = self._riders, []
        works = [waiter for waiter in waiting if waiter.work is not None]
        for waiter in waiting:
            if waiter.work is None and not waiter.turn.done():  # done: cancelled, not yet run
                waiter.turn.set_result(None)
        if self.on_loop:
            _ride(riders)
            if works:
                _settle(_outcomes(works))
        elif works or riders:
            if self._thread is None:
                self._thread = ThreadPoolExecutor(1, thread_name_prefix="ingest-parse")
            assert self._loop is not None
            self._thread.submit(_work_through, self._loop, riders, works)


def _work_through(
    loop: asyncio.AbstractEventLoop, riders: list[Callable[[], object]], works: list[_Waiter]
) -> None:
    """On the parse thread: do a turn's riders, then its works, one after another; then hand
    every work's outcome back to the event loop in one call."""
    _ride(riders)
    if not works:
        return
    outcomes = _outcomes(works)
    # A closed event loop (a run stopped) refuses the call: nobody waits for these.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(_settle, outcomes)


def _ride(riders: list[Callable[[], object]]) -> None:
    for ride in riders:
        with contextlib.suppress(Exception):  # its own to keep (``alongside``)
            ride()


def _outcomes(works: list[_Waiter]) -> list[tuple[_Waiter, Any, BaseException | None]]:
    """A turn's works done one after another: each one's result or what it raised."""
    outcomes: list[tuple[_Waiter, Any, BaseException | None]] = []
    for waiter in works:
        assert waiter.work is not None
        try:
            outcomes.append((waiter, waiter.context.run(waiter.work), None))
        except BaseException as exc:  # raised again in the waiting task
            outcomes.append((waiter, None, exc))
    return outcomes


def _settle(outcomes: list[tuple[_Waiter, Any, BaseException | None]]) -> None:
    for waiter, result, exc in outcomes:
        if waiter.turn.done():
            continue  # its task was cancelled while the work ran
        if exc is not None:
            waiter.turn.set_exception(exc)
        else:
            waiter.turn.set_result(result)
