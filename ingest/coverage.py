"""The coverage calendar: which days of a site's archive are complete, empty, failed or missing.

Built from two aggregate queries (``ingest.store.coverage``) into one ``Calendar``, which
``ingest coverage`` (``ingest.commands.coverage``) draws three ways: text for a terminal (one
row per month, one cell per day, a distinct glyph per kind so piped output reads without
colour), JSON with the per-day figures (``Calendar.as_dict``), and a standalone SVG.

A day is, first match wins:

- ``failed``: its last crawl failed (articles stored by an earlier crawl are still counted);
- ``never``: never crawled;
- ``empty``: complete, no articles;
- ``incomplete``: complete, and the cross-check found articles of the day elsewhere (its
  sitemaps, feed or REST API) that its listing lacked: "listing incomplete (N found
  elsewhere)", the articles stored all the same;
- ``listing``: complete, and most of its articles (over half) have only the listing's text as
  body: the article pages were not read (a site's few off-site items always keep theirs);
- ``complete``: complete, shaded 1-4 by its article count (quartiles of the drawn days).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property
from itertools import groupby
from typing import Any

from ingest.store import coverage as reads
from ingest.store.engine import Database


class Kind(StrEnum):
    COMPLETE = "complete"
    EMPTY = "empty"
    INCOMPLETE = "incomplete"
    LISTING = "listing"
    FAILED = "failed"
    NEVER = "never"


# One glyph per kind, and per shade of a complete day: plain text reads without colour.
SHADES = ("░", "▒", "▓", "█")
GLYPHS = {Kind.EMPTY: "·", Kind.INCOMPLETE: "!", Kind.LISTING: "~", Kind.FAILED: "X",
          Kind.NEVER: "?"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    kind: Kind
    level: int  # 1-4 for a day with articles, 0 otherwise
    status: str | None  # the crawl state: complete, failed, or None (never crawled)
    items: int  # items on the listing at the last complete crawl
    articles: int
    listing_only: int  # articles whose body is only the listing's text
    error: str | None
    found_elsewhere: int = 0  # articles the listing lacked, found by the cross-check

    @property
    def note(self) -> str | None:
        """``listing incomplete (N found elsewhere)`` for such a day, else None."""
        if not self.found_elsewhere or self.status != "complete":
            return None
        return f"listing incomplete ({self.found_elsewhere} found elsewhere)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "kind": self.kind.value,
            "level": self.level,
            "status": self.status,
            "items": self.items,
            "articles": self.articles,
            "listing_only": self.listing_only,
            "found_elsewhere": self.found_elsewhere,
            "note": self.note,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Totals:
    """Counts of days by kind, and articles, over a year (or the whole range)."""

    label: str
    days: int = 0
    complete: int = 0  # complete days, the empty, incomplete and listing-only ones included
    empty: int = 0
    incomplete: int = 0
    listing: int = 0
    failed: int = 0
    never: int = 0
    articles: int = 0

    @classmethod
    def of(cls, label: str, days: Sequence[Day]) -> Totals:
        kinds = Counter(day.kind for day in days)
        return cls(
            label,
            len(days),
            kinds[Kind.COMPLETE] + kinds[Kind.EMPTY] + kinds[Kind.INCOMPLETE] + kinds[Kind.LISTING],
            kinds[Kind.EMPTY],
            kinds[Kind.INCOMPLETE],
            kinds[Kind.LISTING],
            kinds[Kind.FAILED],
            kinds[Kind.NEVER],
            sum(day.articles for day in days),
        )


@dataclass(frozen=True)
class Calendar:
    site: str
    first: date
    last: date
    days: tuple[Day, ...]
    # Lower bounds of shades 2, 3 and 4 (shade 1 starts at one article).
    bounds: tuple[int, int, int]
    by_date: dict[date, Day] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_date", {d.day: d for d in self.days})

    @cached_property
    def by_year(self) -> list[Totals]:
        return [
            Totals.of(str(year), list(days))
            for year, days in groupby(self.days, key=lambda d: d.day.year)
        ]

    @cached_property
    def total(self) -> Totals:
        return Totals.of("all", self.days)

    def shade_ranges(self) -> list[tuple[int, str]]:
        """(level, "5-9") for each shade that covers at least one count, lightest first."""
        b2, b3, b4 = self.bounds
        spans = [(1, 1, b2 - 1), (2, b2, b3 - 1), (3, b3, b4 - 1)]
        ranges = [
            (level, str(low) if low == high else f"{low}-{high}")
            for level, low, high in spans
            if high >= max(low, 1)
        ]
        return [*ranges, (4, f"{b4}+")]

    def as_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "shades": [{"level": level, "articles": span} for level, span in self.shade_ranges()],
            "years": [_totals_dict(t) for t in self.by_year],
            "total": _totals_dict(self.total),
            "days": [day.as_dict() for day in self.days],
        }


def _totals_dict(totals: Totals) -> dict[str, Any]:
    return {
        "year" if totals.label != "all" else "range": totals.label,
        "days": totals.days,
        "complete": totals.complete,
        "empty": totals.empty,
        "incomplete": totals.incomplete,
        "listing": totals.listing,
        "failed": totals.failed,
        "never_crawled": totals.never,
        "articles": totals.articles,
    }


def read_calendar(
    database: Database, site: str, first: date | None = None, last: date | None = None
) -> Calendar | None:
    """The site's calendar over ``first`` .. ``last`` (default: its first to last crawled day);
    None when neither is given and the site was never crawled. Reads only."""
    with database.transaction() as tx:
        states = reads.day_states(tx.connection, site, first, last)
        if not states and (first is None or last is None):
            if first is None and last is None:
                return None
            first = last = first or last
        first = first or states[0].day
        last = last or states[-1].day
        assert first is not None and last is not None
        articles = reads.day_articles(tx.connection, site, first, last)
    return build(site, first, last, states, articles)


def build(
    site: str,
    first: date,
    last: date,
    states: Iterable[reads.DayState],
    articles: Iterable[reads.DayArticles],
) -> Calendar:
    """The calendar of ``first`` .. ``last`` from the two queries' rows."""
    state_of = {s.day: s for s in states}
    stored = {a.day: a for a in articles}
    counts = sorted(a.articles for a in stored.values() if a.articles and first <= a.day <= last)
    bounds = shade_bounds(counts)
    days: list[Day] = []
    day = first
    while day <= last:
        state, held = state_of.get(day), stored.get(day)
        count = held.articles if held else 0
        listing_only = held.listing_only if held else 0
        if state is not None and state.status == "failed":
            kind = Kind.FAILED
        elif state is None and not count:
            kind = Kind.NEVER
        elif not count:
            kind = Kind.EMPTY
        elif state is not None and state.found_elsewhere:
            kind = Kind.INCOMPLETE
        elif 2 * listing_only > count:
            kind = Kind.LISTING
        else:
            kind = Kind.COMPLETE
        days.append(
            Day(
                day,
                kind,
                _level(count, bounds) if count else 0,
                state.status if state else None,
                state.items if state else 0,
                count,
                listing_only,
                state.error if state and state.status == "failed" else None,
                state.found_elsewhere if state else 0,
            )
        )
        day += timedelta(days=1)
    return Calendar(site, first, last, tuple(days), bounds)


def shade_bounds(counts: Sequence[int]) -> tuple[int, int, int]:
    """Lower bounds of shades 2-4: the quartiles of the (sorted, positive) daily counts, made
    strictly increasing from the top so the busiest quarter of days is always the darkest."""
    if not counts:
        return (2, 3, 4)

    def quantile(share: float) -> int:
        return counts[min(len(counts) - 1, int(share * len(counts)))]

    b4 = max(quantile(0.75), 1)
    b3 = min(quantile(0.5), b4 - 1)
    b2 = min(quantile(0.25), b3 - 1)
    return (b2, b3, b4)


def _level(count: int, bounds: tuple[int, int, int]) -> int:
    b2, b3, b4 = bounds
    return 4 if count >= b4 else 3 if count >= b3 else 2 if count >= b2 else 1
