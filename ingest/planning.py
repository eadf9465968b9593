"""Which dates a run works on, in what order, and how many at once."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import date, timedelta


def dates_in_flight(concurrency: int) -> int:
    """How many dates a run works on at once: enough to keep every request slot busy, few
    enough that a crash or a stop loses little.

    A date waiting for its CPU turn (``turns``) holds no slot, so a run keeps twice as many
    dates as slots: with as many, it took a fifth longer on the CPU benchmark. A rate
    (``requests_per_second``, a robots.txt ``Crawl-delay``) changes nothing here: kept to as
    many dates as slots, a run with a rate it never reached took 1.35-1.39x as long as one with
    none; with twice as many, the tighter of its rate and its slots sets its pace
    (docs/performance.md).
    """
    return max(2, 2 * concurrency)


def dates_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class DateQueue:
    """The planned dates in order, one iterator shared by the workers; a date put ``back``
    (its store was out of reach) is taken again first."""

    def __init__(self, planned: list[date]) -> None:
        self._dates: Iterator[date] = iter(planned)
        self._again: deque[date] = deque()

    def take(self) -> date | None:
        if self._again:
            return self._again.popleft()
        return next(self._dates, None)

    def back(self, day: date) -> None:
        self._again.append(day)
