"""Bounds on one page's cost: a hostile page fails its date in one line, never the process."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ingest.bounds import DayBudget, parse_guarded
from ingest.errors import ParseError
from ingest.sites import k2, wordpress, wordpress_api
from ingest.sites.base import check_depth
from ingest.text import MAX_DEPTH

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ZONE = ZoneInfo("Asia/Damascus")


def nested(depth: int, tag: str = "div") -> str:
    return f"<html><body>{f'<{tag}>' * depth}x{f'</{tag}>' * depth}</body></html>"


@pytest.mark.parametrize("page", sorted(FIXTURES.rglob("*.html")), ids=lambda path: path.name)
def test_every_captured_page_is_within_the_depth_bound(page: Path) -> None:
    check_depth(page.read_bytes(), str(page))  # raises when a real page would be refused


def test_a_page_nested_past_the_bound_is_refused_naming_it() -> None:
    check_depth(nested(MAX_DEPTH - 10), "https://x/ok")
    with pytest.raises(ParseError, match=r"https://x/deep: elements nested more than 1000"):
        check_depth(nested(MAX_DEPTH + 1), "https://x/deep")


@pytest.mark.parametrize(
    "markup",
    [
        "<ul>" + "<li>item" * 5000 + "</ul>",  # list items close each other
        "<p>para" * 5000,  # so do paragraphs
        "<br><img src=x>" * 5000,  # void elements hold nothing
        "<div>" + "<span>a</span>" * 5000 + "</div>",  # many, but side by side
        "<script>" + "<div>" * 5000 + "</script>",  # a script's text is not markup
        "<!--" + "<div>" * 5000 + "-->",  # nor is a comment's
    ],
    ids=["li", "p", "void", "siblings", "script", "comment"],
)
def test_many_tags_side_by_side_are_not_depth(markup: str) -> None:
    check_depth(markup, "https://x/wide")
    check_depth(markup.encode(), "https://x/wide")


def test_stray_end_tags_do_not_hide_nesting() -> None:
    # A parser ignores an end tag that closes nothing, so each <div> still nests.
    with pytest.raises(ParseError, match="nested more than"):
        check_depth("<div></span>" * (MAX_DEPTH + 5), "https://x/stray")


@pytest.mark.parametrize(
    "parse",
    [
        lambda markup, url: k2.parse_listing(markup, url),
        lambda markup, url: wordpress.parse_listing(markup, url, ZONE),
        lambda markup, url: wordpress.parse_article(markup, url, ZONE),
    ],
    ids=["k2", "wordpress-listing", "wordpress-article"],
)
def test_html_layouts_refuse_a_deep_page_before_parsing_it(parse: object) -> None:
    # 200k levels took Lexbor about 90 s; refused, they cost one scan of the tags.
    markup = nested(200_000).encode()
    with pytest.raises(ParseError, match="nested more than"):
        parse(markup, "https://x/deep")  # type: ignore[operator]


def test_rest_json_nested_deep_is_a_parse_error_not_a_recursion_error() -> None:
    markup = ("[" * 100_000 + "]" * 100_000).encode()
    with pytest.raises(ParseError, match="JSON nested too deeply"):
        wordpress_api.parse_listing(markup, "https://x/wp-json/wp/v2/posts", {}, ZONE)


def test_a_rest_post_whose_content_nests_deep_fails_its_page() -> None:
    post = {
        "title": {"rendered": "T"},
        "link": "https://x/t/",
        "date": "2020-02-01T10:00:00",
        "content": {"rendered": "<div>" * 5000},
    }
    markup = json.dumps([post]).encode()
    with pytest.raises(ParseError, match="https://x/t/: elements nested more than"):
        wordpress_api.parse_listing(markup, "https://x/wp-json/wp/v2/posts", {}, ZONE)


def test_whatever_a_parser_raises_becomes_a_parse_error_about_the_page() -> None:
    def broken() -> None:
        raise KeyError("class")

    def recursing() -> None:
        raise RecursionError("maximum recursion depth exceeded")

    with pytest.raises(ParseError, match=r"https://x/a: could not be parsed \(KeyError"):
        parse_guarded(broken, "https://x/a")
    with pytest.raises(ParseError, match="https://x/b: nested too deeply"):
        parse_guarded(recursing, "https://x/b")
    assert parse_guarded(lambda: 7, "https://x/c") == 7


def test_a_dates_pages_are_held_to_its_byte_budget() -> None:
    budget = DayBudget(limit=3 * 1024 * 1024)
    budget.spend(2 * 1024 * 1024, "https://x/1")
    budget.spend(512 * 1024, "https://x/2", strict=False)
    assert not budget.spent
    budget.spend(1024 * 1024, "https://x/3", strict=False)  # side by side: noted, not raised
    assert budget.spent
    with pytest.raises(ParseError, match=r"https://x/3: the date's pages passed 3 MiB"):
        budget.check()
    with pytest.raises(ParseError, match="https://x/3"):
        budget.spend(1, "https://x/4")  # the first page past it stays the one named
