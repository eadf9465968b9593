"""The coverage calendar: which days of a site's archive are complete, empty, failed or missing.

Built from two aggregate queries (``ingest.store.coverage``), then drawn three ways from the
same ``Calendar``: text for a terminal (one row per month, one cell per day, a distinct glyph per
kind so piped output reads without colour), JSON with the per-day figures, and a standalone SVG.

A day is, first match wins:

- ``failed``: its last crawl failed (articles stored by an earlier crawl are still counted);
- ``never``: never crawled;
- ``empty``: complete, no articles;
- ``listing``: complete, and most of its articles (over half) have only the listing's text as
  body: the article pages were not read (a site's few off-site items always keep theirs);
- ``complete``: complete, shaded 1-4 by its article count (quartiles of the drawn days).
"""

from __future__ import annotations

import calendar as _calendar
import html
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
    LISTING = "listing"
    FAILED = "failed"
    NEVER = "never"


# One glyph per kind, and per shade of a complete day: plain text reads without colour.
SHADES = ("░", "▒", "▓", "█")
GLYPHS = {Kind.EMPTY: "·", Kind.LISTING: "~", Kind.FAILED: "X", Kind.NEVER: "?"}
_ANSI = {Kind.COMPLETE: "32", Kind.EMPTY: "2", Kind.LISTING: "33", Kind.FAILED: "1;31",
         Kind.NEVER: "90"}  # fmt: skip
_MONTHS = _calendar.month_abbr


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "kind": self.kind.value,
            "level": self.level,
            "status": self.status,
            "items": self.items,
            "articles": self.articles,
            "listing_only": self.listing_only,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Totals:
    """Counts of days by kind, and articles, over a year (or the whole range)."""

    label: str
    days: int = 0
    complete: int = 0  # complete days, the empty and listing-only ones included
    empty: int = 0
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
            kinds[Kind.COMPLETE] + kinds[Kind.EMPTY] + kinds[Kind.LISTING],
            kinds[Kind.EMPTY],
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


# --- text -----------------------------------------------------------------------------------

_LABEL = 10  # "2020 Jan  "
_TICKS = (1, 5, 10, 15, 20, 25, 30)


def glyph(day: Day) -> str:
    return SHADES[day.level - 1] if day.kind is Kind.COMPLETE else GLYPHS[day.kind]


def render_text(cal: Calendar, *, colour: bool = False) -> list[str]:
    """The calendar as lines: a block per year (a row per month, a cell per day of the month),
    the legend, and the per-year totals."""
    lines = [_title(cal)]
    for year in range(cal.first.year, cal.last.year + 1):
        lines += ["", _tick_line(str(year)) + "  articles"]
        for month in range(1, 13):
            if date(year, month, 1) > cal.last or _month_end(year, month) < cal.first:
                continue
            lines.append(_month_line(cal, year, month, colour))
    lines += ["", *_legend(cal, colour), "", *_totals_table(cal)]
    return lines


def _tick_line(label: str) -> str:
    cells = [" "] * 62
    for tick in _TICKS:
        for offset, char in enumerate(str(tick)):
            cells[2 * (tick - 1) + offset] = char
    return f"{label:<{_LABEL}}" + "".join(cells).rstrip().ljust(62)


def _month_end(year: int, month: int) -> date:
    return date(year, month, _calendar.monthrange(year, month)[1])


def _month_line(cal: Calendar, year: int, month: int, colour: bool) -> str:
    cells: list[str] = []
    articles = failed = never = 0
    for number in range(1, 32):
        held = None
        if number <= _calendar.monthrange(year, month)[1]:
            held = cal.by_date.get(date(year, month, number))
        if held is None:
            cells.append("  ")
            continue
        articles += held.articles
        failed += held.kind is Kind.FAILED
        never += held.kind is Kind.NEVER
        mark = glyph(held)
        cells.append((f"\x1b[{_ANSI[held.kind]}m{mark}\x1b[0m" if colour else mark) + " ")
    figures = f"{articles:>8,}"
    if failed:
        figures += f"  {failed} failed"
    if never:
        figures += f"  {never} never crawled"
    return f"  {_MONTHS[month]:<{_LABEL - 2}}" + "".join(cells) + figures


def _legend(cal: Calendar, colour: bool) -> list[str]:
    def paint(kind: Kind, text: str) -> str:
        return f"\x1b[{_ANSI[kind]}m{text}\x1b[0m" if colour else text

    shades = "  ".join(
        f"{paint(Kind.COMPLETE, SHADES[level - 1])} {span}" for level, span in cal.shade_ranges()
    )
    return [
        f"{shades} articles (complete days)   {paint(Kind.EMPTY, GLYPHS[Kind.EMPTY])} complete, "
        "no articles",
        f"{paint(Kind.LISTING, GLYPHS[Kind.LISTING])} bodies mostly from the listing only   "
        f"{paint(Kind.FAILED, GLYPHS[Kind.FAILED])} failed   "
        f"{paint(Kind.NEVER, GLYPHS[Kind.NEVER])} never crawled",
    ]


_COLUMNS = ("year", "days", "complete", "empty", "listing bodies", "failed", "never crawled",
            "articles")  # fmt: skip


def _totals_rows(cal: Calendar) -> list[tuple[str, ...]]:
    rows = [*cal.by_year, *([cal.total] if cal.first.year != cal.last.year else [])]
    return [
        (t.label, f"{t.days:,}", f"{t.complete:,}", f"{t.empty:,}", f"{t.listing:,}",
         f"{t.failed:,}", f"{t.never:,}", f"{t.articles:,}")
        for t in rows
    ]  # fmt: skip


def _totals_table(cal: Calendar) -> list[str]:
    rows = [_COLUMNS, *_totals_rows(cal)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    return [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]


def render_json(calendars: Sequence[Calendar]) -> dict[str, Any]:
    return {"sites": [cal.as_dict() for cal in calendars]}


# --- SVG ------------------------------------------------------------------------------------

_CELL, _PITCH = 12, 14
_LEFT, _TOP = 84, 16
_FILLS = {
    Kind.COMPLETE: ("#9be9a8", "#40c463", "#30a14e", "#216e39"),
    Kind.LISTING: ("#fbe7a1", "#f5cd4f", "#e0a800", "#b07f00"),
}
_FLAT = {Kind.EMPTY: "#dfe3e8", Kind.FAILED: "#d73a49", Kind.NEVER: "#ffffff"}
_FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif\""


def _fill(day: Day) -> str:
    if day.kind in _FILLS:
        return _FILLS[day.kind][max(day.level, 1) - 1]
    return _FLAT[day.kind]


def _tooltip(day: Day) -> str:
    tip = f"{day.day.isoformat()}: {day.kind.value}, {day.articles} articles"
    if day.listing_only:
        tip += f" ({day.listing_only} with the listing's text only)"
    if day.error:
        tip += f": {day.error}"
    return f"<title>{html.escape(tip)}</title>"


def _cell(x: float, y: float, day: Day, *, tooltip: bool = True) -> str:
    stroke = ' stroke="#9aa3ad" stroke-dasharray="2 2"' if day.kind is Kind.NEVER else ""
    parts = [
        f'<rect x="{x}" y="{y}" width="{_CELL}" height="{_CELL}" rx="2" fill="{_fill(day)}"'
        f"{stroke}>{_tooltip(day) if tooltip else ''}</rect>"
    ]
    if day.kind is Kind.FAILED:
        a, b = 3, _CELL - 3
        parts.append(
            f'<path d="M{x + a} {y + a}L{x + b} {y + b}M{x + b} {y + a}L{x + a} {y + b}" '
            'stroke="#fff" stroke-width="1.6" stroke-linecap="round"/>'
        )
    elif day.kind is Kind.EMPTY:
        parts.append(f'<circle cx="{x + _CELL / 2}" cy="{y + _CELL / 2}" r="1.5" fill="#8b949e"/>')
    return "".join(parts)


def _text(x: float, y: float, text: str, *, size: int = 11, anchor: str = "start",
          weight: str = "normal", fill: str = "#24292f") -> str:  # fmt: skip
    return (
        f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" '
        f'font-weight="{weight}" fill="{fill}">{html.escape(text)}</text>'
    )


def _svg_calendar(cal: Calendar, top: float) -> tuple[list[str], float]:
    """One site's calendar from ``top`` down; its elements and the height used."""
    out = [_text(16, top + 14, _title(cal), size=14, weight="bold")]
    y = top + 30
    right = _LEFT + 31 * _PITCH + 56
    for year in range(cal.first.year, cal.last.year + 1):
        out.append(_text(16, y + 10, str(year), size=12, weight="bold"))
        for tick in _TICKS:
            out.append(_text(_LEFT + (tick - 1) * _PITCH + _CELL / 2, y + 10, str(tick),
                             size=9, anchor="middle", fill="#57606a"))  # fmt: skip
        out.append(_text(right, y + 10, "articles", size=9, anchor="end", fill="#57606a"))
        y += 16
        for month in range(1, 13):
            if date(year, month, 1) > cal.last or _month_end(year, month) < cal.first:
                continue
            out.append(_text(40, y + 10, _MONTHS[month], fill="#57606a"))
            articles = 0
            for number in range(1, _calendar.monthrange(year, month)[1] + 1):
                held = cal.by_date.get(date(year, month, number))
                if held is not None:
                    articles += held.articles
                    out.append(_cell(_LEFT + (number - 1) * _PITCH, y, held))
            out.append(_text(right, y + 10, f"{articles:,}", size=10, anchor="end"))
            y += _PITCH
        y += 10
    return out, y - top


def _title(cal: Calendar) -> str:
    return (
        f"{cal.site}: {cal.first.isoformat()} to {cal.last.isoformat()}, "
        f"{len(cal.days):,} days, {cal.total.articles:,} articles"
    )


def _svg_legend(cal: Calendar, top: float) -> tuple[list[str], float]:
    out: list[str] = []
    x, y = 16.0, top
    sample = cal.days[0]
    for level, span in cal.shade_ranges():
        shaded = Day(sample.day, Kind.COMPLETE, level, "complete", 0, 0, 0, None)
        out.append(_cell(x, y, shaded, tooltip=False))
        out.append(_text(x + 16, y + 10, span))
        x += 22 + 7 * len(span)
    out.append(_text(x, y + 10, "articles, complete days"))
    y += 20
    x = 16.0
    for kind, label in (
        (Kind.EMPTY, "complete, no articles"),
        (Kind.LISTING, "bodies mostly from the listing only"),
        (Kind.FAILED, "failed"),
        (Kind.NEVER, "never crawled"),
    ):
        example = Day(sample.day, kind, 2 if kind is Kind.LISTING else 0, None, 0, 0, 0, None)
        out.append(_cell(x, y, example, tooltip=False))
        out.append(_text(x + 16, y + 10, label))
        x += 30 + 6.2 * len(label)
    return out, y + 24 - top


def _svg_totals(cal: Calendar, top: float) -> tuple[list[str], float]:
    out: list[str] = []
    rows = [_COLUMNS, *_totals_rows(cal)]
    # Column edges from the longest cell, at ~6.5 px a character of 10 px text.
    widths = [6.5 * max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    y = top
    for row_number, row in enumerate(rows):
        x = 16.0
        weight = "bold" if row_number == 0 or row[0] == "all" else "normal"
        for column, (cell, width) in enumerate(zip(row, widths, strict=True)):
            if column == 0:
                out.append(_text(x, y + 10, cell, size=10, weight=weight))
            else:
                out.append(_text(x + width, y + 10, cell, size=10, anchor="end", weight=weight))
            x += width + 14
        y += 15
    return out, y - top + 12


def render_svg(calendars: Sequence[Calendar]) -> str:
    """A standalone SVG document (no external assets): every calendar, its legend and totals,
    one under another. Each day has a tooltip with its figures."""
    body: list[str] = []
    y = 8.0
    for cal in calendars:
        for part in (_svg_calendar, _svg_legend, _svg_totals):
            elements, height = part(cal, y)
            body += elements
            y += height
        y += 16
    width = _LEFT + 31 * _PITCH + 80
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{int(y)}" '
        f'viewBox="0 0 {width} {int(y)}" {_FONT}>\n'
        f'<rect width="100%" height="100%" fill="#ffffff"/>\n' + "\n".join(body) + "\n</svg>\n"
    )
