"""``ingest coverage``: each site's archive drawn as a calendar (``ingest.coverage``): text
for a terminal, JSON with the per-day figures, and a standalone SVG."""

from __future__ import annotations

import argparse
import calendar as _calendar
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from ingest.commands._common import (
    EXIT_OK,
    database_sites,
    iso_date,
    open_database,
    require_range,
    site_option,
    start_logging,
)
from ingest.commands._output import write_whole
from ingest.coverage import GLYPHS, SHADES, Calendar, Day, Kind, read_calendar
from ingest.settings import Settings
from ingest.terminal import Colour, paint, printable, wants_colour
from ingest.text import xml_text

NAME = "coverage"

COLOURS = {Kind.COMPLETE: Colour.GREEN, Kind.EMPTY: Colour.DIM, Kind.LISTING: Colour.YELLOW,
           Kind.INCOMPLETE: Colour.MAGENTA, Kind.FAILED: Colour.BOLD_RED,
           Kind.NEVER: Colour.GREY}  # fmt: skip
_MONTHS = _calendar.month_abbr


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="first", type=iso_date, metavar="DATE",
                        help="default: the site's first crawled day")  # fmt: skip
    parser.add_argument("--to", dest="last", type=iso_date, metavar="DATE",
                        help="default: the site's last crawled day")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the per-day figures")
    parser.add_argument("--svg", metavar="PATH", help="also write the calendar as an SVG")
    site_option(parser, also="one stored in the database, such as the demo's")


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Reads only: no migration, no write (a SQLite file that does not exist is not created)."""
    require_range(args.first, args.last)
    start_logging(settings, NAME, stream_level="CRITICAL", reads_only=True)
    database = open_database(settings, access="read")
    try:
        sites = database_sites(args, settings, database)
        found = [read_calendar(database, s.name, args.first, args.last) for s in sites]
    finally:
        database.dispose()
    calendars = [cal for cal in found if cal is not None]
    if args.svg:
        write_whole(Path(args.svg), render_svg(calendars))  # OutputError (exit 1) naming it
        print(f"wrote the calendar of {len(calendars)} site(s) to {args.svg}", file=sys.stderr)
    if args.json:
        print(json.dumps(render_json(calendars), ensure_ascii=False, indent=2))
        return EXIT_OK
    colour = wants_colour(sys.stdout)
    for number, (site, cal) in enumerate(zip(sites, found, strict=True)):
        if number:
            print()
        if cal is None:
            print(printable(f"{site.name}: never crawled"))
            continue
        for line in render_text(cal, colour=colour):
            print(line)
    return EXIT_OK


# --- text -----------------------------------------------------------------------------------

_LABEL = 10  # "2020 Jan  "
_TICKS = (1, 5, 10, 15, 20, 25, 30)


def glyph(day: Day) -> str:
    return SHADES[day.level - 1] if day.kind is Kind.COMPLETE else GLYPHS[day.kind]


def render_text(cal: Calendar, *, colour: bool = False) -> list[str]:
    """The calendar as lines: a block per year (a row per month, a cell per day of the month),
    the legend, and the per-year totals."""
    lines = [printable(_title(cal))]
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
    articles = failed = never = found = 0
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
        found += held.found_elsewhere if held.kind is Kind.INCOMPLETE else 0
        mark = glyph(held)
        cells.append(paint(mark, COLOURS[held.kind], enabled=colour) + " ")
    figures = f"{articles:>8,}"
    if failed:
        figures += f"  {failed} failed"
    if never:
        figures += f"  {never} never crawled"
    if found:
        figures += f"  {found} found elsewhere"
    return f"  {_MONTHS[month]:<{_LABEL - 2}}" + "".join(cells) + figures


def _legend(cal: Calendar, colour: bool) -> list[str]:
    def mark(kind: Kind, text: str) -> str:
        return paint(text, COLOURS[kind], enabled=colour)

    shades = "  ".join(
        f"{mark(Kind.COMPLETE, SHADES[level - 1])} {span}" for level, span in cal.shade_ranges()
    )
    return [
        f"{shades} articles (complete days)   {mark(Kind.EMPTY, GLYPHS[Kind.EMPTY])} complete, "
        "no articles",
        f"{mark(Kind.LISTING, GLYPHS[Kind.LISTING])} bodies mostly from the listing only   "
        f"{mark(Kind.FAILED, GLYPHS[Kind.FAILED])} failed   "
        f"{mark(Kind.NEVER, GLYPHS[Kind.NEVER])} never crawled",
        f"{mark(Kind.INCOMPLETE, GLYPHS[Kind.INCOMPLETE])} listing incomplete: articles the "
        "cross-check found elsewhere, stored",
    ]


_COLUMNS = ("year", "days", "complete", "empty", "listing incomplete", "listing bodies",
            "failed", "never crawled", "articles")  # fmt: skip


def _totals_rows(cal: Calendar) -> list[tuple[str, ...]]:
    rows = [*cal.by_year, *([cal.total] if cal.first.year != cal.last.year else [])]
    return [
        (t.label, f"{t.days:,}", f"{t.complete:,}", f"{t.empty:,}", f"{t.incomplete:,}",
         f"{t.listing:,}", f"{t.failed:,}", f"{t.never:,}", f"{t.articles:,}")
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
# Complete days by article count, lightest to darkest: each shade's contrast with the next is
# at least 1.9:1 (WCAG's relative luminance), so neighbours are told apart at a glance. The
# other kinds are one colour each, as the legend shows them (and the text glyphs are one).
_SHADE_FILLS = ("#d8f6de", "#5cc177", "#22803d", "#0b3d1c")
_FLAT = {Kind.EMPTY: "#dfe3e8", Kind.INCOMPLETE: "#8250df", Kind.LISTING: "#f2b600",
         Kind.FAILED: "#d73a49", Kind.NEVER: "#ffffff"}  # fmt: skip
_FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif\""


def _fill(day: Day) -> str:
    if day.kind is Kind.COMPLETE:
        return _SHADE_FILLS[max(day.level, 1) - 1]
    return _FLAT[day.kind]


def _tooltip(day: Day) -> str:
    tip = f"{day.day.isoformat()}: {day.kind.value}, {day.articles} articles"
    if day.listing_only:
        tip += f" ({day.listing_only} with the listing's text only)"
    if day.note:
        tip += f"; {day.note}"
    if day.error:
        tip += f": {day.error}"
    return f"<title>{xml_text(tip)}</title>"


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
        f'font-weight="{weight}" fill="{fill}">{xml_text(text)}</text>'
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
        (Kind.INCOMPLETE, "listing incomplete"),
        (Kind.LISTING, "bodies mostly from the listing only"),
        (Kind.FAILED, "failed"),
        (Kind.NEVER, "never crawled"),
    ):
        example = Day(sample.day, kind, 0, None, 0, 0, 0, None)
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
