"""Turns: tasks back from the network at different times do their CPU work together."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time

import pytest

from ingest.turns import Turns


async def _arrive_then_work(turns: Turns, events: list[str], name: str, after: float) -> None:
    await asyncio.sleep(after)  # the page comes back
    events.append(f"arrived {name}")
    await turns.take()
    events.append(f"worked {name}")


def test_a_full_turn_lets_its_tasks_go_together_back_to_back() -> None:
    turns = Turns(size=3, wait_seconds=10.0)
    events: list[str] = []

    async def main() -> None:
        await asyncio.wait_for(
            asyncio.gather(
                *(_arrive_then_work(turns, events, name, i * 0.01) for i, name in enumerate("abc"))
            ),
            timeout=5,
        )

    asyncio.run(main())
    # Without turns each task would work as soon as it arrived (a, a, b, b, ...). The last to
    # arrive fills the turn and goes on at once; the others follow it before anything else.
    assert events == [
        "arrived a",
        "arrived b",
        "arrived c",
        "worked c",
        "worked a",
        "worked b",
    ]


def test_a_turn_that_does_not_fill_goes_after_its_wait() -> None:
    turns = Turns(size=10, wait_seconds=0.05)
    events: list[str] = []

    async def main() -> float:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.wait_for(
            asyncio.gather(
                _arrive_then_work(turns, events, "a", 0.0),
                _arrive_then_work(turns, events, "b", 0.01),
            ),
            timeout=5,
        )
        return loop.time() - started

    took = asyncio.run(main())
    assert events == ["arrived a", "arrived b", "worked a", "worked b"]
    assert took >= 0.05  # the first waited its whole turn


def test_a_task_cancelled_in_its_turn_does_not_hold_up_the_others() -> None:
    turns = Turns(size=2, wait_seconds=10.0)

    async def main() -> list[str]:
        events: list[str] = []
        stopped = asyncio.create_task(turns.take())
        await asyncio.sleep(0)
        stopped.cancel()
        await asyncio.gather(stopped, return_exceptions=True)
        # The cancelled task no longer counts: b and c fill the turn together.
        await asyncio.wait_for(
            asyncio.gather(
                _arrive_then_work(turns, events, "b", 0.0),
                _arrive_then_work(turns, events, "c", 0.01),
            ),
            timeout=5,
        )
        return events

    events = asyncio.run(main())
    assert events[:2] == ["arrived b", "arrived c"]
    assert sorted(events[2:]) == ["worked b", "worked c"]


def test_turns_outlive_an_event_loop_that_ended_with_a_turn_pending() -> None:
    turns = Turns(size=2, wait_seconds=0.2)

    async def abandoned() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(turns.take(), timeout=0.01)

    asyncio.run(abandoned())  # the loop closes with the turn's timer still set

    async def next_run() -> None:
        await asyncio.wait_for(turns.take(), timeout=5)

    asyncio.run(next_run())


@pytest.mark.parametrize(("size", "wait"), [(0, 0.05), (4, -1.0)])
def test_a_turn_needs_a_size_and_a_wait(size: int, wait: float) -> None:
    with pytest.raises(ValueError, match="a turn needs"):
        Turns(size=size, wait_seconds=wait)


def test_work_runs_off_the_event_loop_on_the_parse_thread() -> None:
    turns = Turns(size=1, wait_seconds=10.0)

    async def main() -> str:
        loop = asyncio.get_running_loop()
        released = threading.Event()
        # The work waits for the event loop to set the event: on the loop's own thread it
        # would wait forever (the wait_for below ends it), on its own thread it returns.
        loop.call_later(0.05, released.set)

        def work() -> str:
            assert released.wait(timeout=5), "the event loop stood still while the work ran"
            return threading.current_thread().name

        return await asyncio.wait_for(turns.run(work), timeout=10)

    assert asyncio.run(main()).startswith("ingest-parse")


def test_a_turn_on_the_loop_does_its_works_there_together_in_their_tasks_context() -> None:
    """``on_loop`` (a reparse: no request for the loop to serve meanwhile): the works run on
    the event loop's own thread, no parse thread started, a turn's works back to back, each
    in its task's context, what one raises raised in its task alone."""
    turns = Turns(size=3, wait_seconds=10.0, on_loop=True)
    site: contextvars.ContextVar[str] = contextvars.ContextVar("site")
    done: list[tuple[str, int]] = []

    async def one(name: str) -> str:
        site.set(name)

        def work() -> str:
            done.append((site.get(), threading.get_ident()))
            if name == "b":
                raise ValueError("bad page")
            return name.upper()

        return await turns.run(work)

    async def main() -> list[object]:
        together = asyncio.gather(*(one(n) for n in "abc"), return_exceptions=True)
        return await asyncio.wait_for(together, timeout=5)

    a, b, c = asyncio.run(main())
    assert (a, c) == ("A", "C")
    assert isinstance(b, ValueError) and str(b) == "bad page"
    assert done == [(name, threading.get_ident()) for name in "abc"]
    assert turns._thread is None, "no parse thread"


def test_a_turns_works_run_back_to_back_and_keep_their_tasks_context() -> None:
    turns = Turns(size=3, wait_seconds=10.0)
    site: contextvars.ContextVar[str] = contextvars.ContextVar("site")
    done: list[str] = []

    async def one(name: str) -> str:
        site.set(name)

        def work() -> str:
            done.append(site.get())
            return name.upper()

        return await turns.run(work)

    async def main() -> list[str]:
        return await asyncio.wait_for(asyncio.gather(*(one(n) for n in "abc")), timeout=5)

    assert asyncio.run(main()) == ["A", "B", "C"]
    assert done == ["a", "b", "c"]  # in the order they came, each with its own context


def test_what_a_work_raises_is_raised_in_its_task_alone() -> None:
    turns = Turns(size=2, wait_seconds=10.0)

    def fails() -> int:
        raise ValueError("bad page")

    async def main() -> list[object]:
        return await asyncio.wait_for(
            asyncio.gather(turns.run(fails), turns.run(lambda: 2), return_exceptions=True),
            timeout=5,
        )

    failed, fine = asyncio.run(main())
    assert isinstance(failed, ValueError) and str(failed) == "bad page"
    assert fine == 2


def test_close_waits_for_the_work_in_flight_and_ends_the_parse_thread() -> None:
    """A run stopped mid-turn: ``close`` returns only once the parse thread has finished the
    work it began and is gone, so nothing is left parsing while the event loop closes or the
    interpreter finalizes; a later run gets a new thread."""
    turns = Turns(size=1, wait_seconds=10.0)
    started, finished = threading.Event(), threading.Event()
    parse_threads: list[threading.Thread] = []

    def slow() -> None:
        parse_threads.append(threading.current_thread())
        started.set()
        time.sleep(0.3)  # a page being parsed when the run stops
        finished.set()

    async def stopped_mid_turn() -> None:
        work = asyncio.create_task(turns.run(slow))
        await asyncio.to_thread(started.wait, 5)
        work.cancel()  # the run is stopped: nobody waits for the work any more
        await asyncio.gather(work, return_exceptions=True)
        turns.close()
        assert finished.is_set(), "close returned with the work still running"

    asyncio.run(asyncio.wait_for(stopped_mid_turn(), timeout=10))
    assert not parse_threads[0].is_alive()

    async def next_run() -> str:
        return await asyncio.wait_for(turns.run(lambda: threading.current_thread().name), 5)

    assert asyncio.run(next_run()).startswith("ingest-parse")
    turns.close()


def test_work_alongside_rides_the_next_turn_first_and_does_not_fill_it() -> None:
    """``alongside``: done on the parse thread ahead of the turn's works, without a task
    waiting, counted in no turn's size, and let go by the turn's wait when nothing else comes;
    what it raises stays with it."""
    turns = Turns(size=2, wait_seconds=0.05)
    done: list[tuple[str, str]] = []

    def ride(name: str) -> None:
        done.append((name, threading.current_thread().name))

    def fail() -> None:
        raise RuntimeError("kept by the rider")

    async def main() -> None:
        turns.alongside(lambda: ride("first rider"))
        turns.alongside(fail)
        turns.alongside(lambda: ride("second rider"))
        assert await turns.run(lambda: done.append(("work", "")) or len(done)) == 3
        turns.alongside(lambda: ride("alone"))  # no task waits: the turn's wait lets it go
        await asyncio.sleep(0.3)

    try:
        asyncio.run(main())
    finally:
        turns.close()
    assert [name for name, _ in done] == ["first rider", "second rider", "work", "alone"]
    assert all(thread.startswith("ingest-parse") for name, thread in done if name != "work")
