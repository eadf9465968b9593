"""The coverage calendar from rows: kinds, shades, and the text, JSON and SVG drawn from it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

from ingest import coverage
from ingest.commands.coverage import render_json, render_svg, render_text
from ingest.coverage import Kind, build, shade_bounds
from ingest.store.coverage import DayArticles, DayState

FEB = date(2020, 2, 1)


def sample() -> coverage.Calendar:
    states = [
        DayState(date(2020, 2, 1), "complete", 5, None),
        DayState(date(2020, 2, 2), "complete", 0, None),
        DayState(date(2020, 2, 3), "failed", 0, "HTTP 503"),
        DayState(date(2020, 2, 5), "complete", 4, None),
        DayState(date(2020, 2, 6), "complete", 9, None),
    ]
    articles = [
        DayArticles(date(2020, 2, 1), 5, 1),
        DayArticles(date(2020, 2, 3), 2, 0),  # stored by an earlier crawl, failed since
        DayArticles(date(2020, 2, 5), 4, 3),
        DayArticles(date(2020, 2, 6), 9, 0),
    ]
    return build("s", FEB, date(2020, 2, 6), states, articles)


def test_each_day_gets_its_kind() -> None:
    """Failed wins over stored articles; a gap is never crawled; most bodies from the listing
    make a listing day, one off-site item does not."""
    kinds = [d.kind for d in sample().days]
    assert kinds == [Kind.COMPLETE, Kind.EMPTY, Kind.FAILED, Kind.NEVER, Kind.LISTING,
                     Kind.COMPLETE]  # fmt: skip
    failed = sample().by_date[date(2020, 2, 3)]
    assert failed.error == "HTTP 503" and failed.articles == 2


def test_shades_are_quartiles_made_increasing() -> None:
    """Uniform counts split in four; equal counts all take the darkest shade."""
    assert shade_bounds(list(range(1, 21))) == (6, 11, 16)
    assert shade_bounds([5] * 10) == (3, 4, 5)
    assert shade_bounds([1, 1, 1]) == (-1, 0, 1)
    cal = build("s", FEB, FEB, [DayState(FEB, "complete", 1, None)], [DayArticles(FEB, 1, 0)])
    assert cal.days[0].level == 4 and cal.shade_ranges() == [(4, "1+")]


def test_text_has_a_glyph_per_kind_and_colour_only_when_asked() -> None:
    """Piped output is plain and each day sits at its day-of-month column."""
    lines = render_text(sample())
    assert not any("\x1b[" in line for line in lines)
    (feb,) = [line for line in lines if line.strip().startswith("Feb")]
    cells = feb[10:10 + 12:2]  # fmt: skip
    assert cells[1:5] == "·X?~", feb
    assert cells[0] in coverage.SHADES and cells[5] in coverage.SHADES
    assert "1 failed" in feb and "1 never crawled" in feb
    assert any(line.startswith("2020 ") and "6" in line for line in lines[-3:])
    coloured = render_text(sample(), colour=True)
    assert "\x1b[1;31mX\x1b[0m" in "\n".join(coloured)
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in coloured]
    assert plain == lines


def test_json_gives_every_day_and_the_year_totals() -> None:
    data = render_json([sample()])
    (site,) = data["sites"]
    assert [d["kind"] for d in site["days"]][2:4] == ["failed", "never"]
    assert site["years"] == [
        {"year": "2020", "days": 6, "complete": 4, "empty": 1, "incomplete": 0, "listing": 1,
         "failed": 1, "never_crawled": 1, "articles": 20}
    ]  # fmt: skip


def test_svg_is_standalone_with_a_cell_and_tooltip_per_day() -> None:
    svg = render_svg([sample()])
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    titles = [t.text or "" for t in root.iter(f"{ns}title")]
    assert len(titles) == 6
    assert "2020-02-03: failed, 2 articles: HTTP 503" in titles
    assert "href" not in svg and "<image" not in svg, "no external assets"
