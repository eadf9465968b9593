"""The K2 layout's pure parsers on saved pages built from the seeds."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ingest.errors import ParseError
from ingest.sites import k2

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
TZ = ZoneInfo("Asia/Damascus")
LISTINGS = sorted(name for name in EXPECTED if name.startswith("listing_"))
ARTICLES = sorted(name for name in EXPECTED if name.startswith("article_"))


def _page_url(name: str) -> str:
    return f"https://en.etilaf.org/date/2020/2/1.html?fixture={name}"


@pytest.mark.parametrize("name", LISTINGS)
def test_listing_items_match_the_ground_truth(name: str) -> None:
    """Every item's title, absolute URL, category, text and day, in page order."""
    page = k2.parse_listing((FIXTURES / name).read_bytes(), _page_url(name))
    got = [
        {
            "title": i.title,
            "url": i.url,
            "category": i.category,
            "text": i.text,
            "day": i.day.isoformat() if i.day else None,
        }
        for i in page.items
    ]
    assert got == EXPECTED[name]
    assert page.skipped_items == 0


@pytest.mark.parametrize("name", ARTICLES)
def test_article_pages_match_the_ground_truth(name: str) -> None:
    """Title, full body (intro then full text) and the publication time in the site's zone."""
    page = k2.parse_article((FIXTURES / name).read_text(encoding="utf-8"), "https://x/", TZ)
    want = EXPECTED[name]
    assert page.title == want["title"]
    assert page.body == want["body"]
    assert page.published_at == datetime.fromisoformat(want["published"])
    assert page.body.endswith("Media Department)")


def test_next_link_of_either_shape() -> None:
    """The page's own Next link is followed, whatever its shape; the last page has none."""
    sef = k2.parse_listing((FIXTURES / "listing_page1_of_2.html").read_text(), _page_url("a"))
    assert sef.next_url is not None and "/Page-2.html" in sef.next_url
    start = k2.parse_listing((FIXTURES / "listing_start_style.html").read_text(), _page_url("b"))
    assert start.next_url is not None and "start=10" in start.next_url
    single = k2.parse_listing((FIXTURES / "listing_2020-02-01.html").read_text(), _page_url("c"))
    assert single.next_url is None


def test_empty_day_is_a_page_without_items() -> None:
    """'No results found!' is a valid page with zero items, not an error."""
    page = k2.parse_listing((FIXTURES / "listing_empty.html").read_text(), _page_url("e"))
    assert page.items == () and page.next_url is None


def test_quirks_page_keeps_each_items_own_fields() -> None:
    """An unclosed div nests the next item: each item still has its own title and text."""
    page = k2.parse_listing((FIXTURES / "listing_quirks.html").read_text(), _page_url("q"))
    titles = [item.title for item in page.items]
    assert len(titles) == len(EXPECTED["listing_quirks.html"])
    for item in page.items:
        assert "fake" not in item.text and "document.write" not in item.text
        assert item.title not in item.text


def test_sidebar_links_are_not_items() -> None:
    """Latest-news links around the listing never become items of the day."""
    html = (FIXTURES / "listing_2020-02-01.html").read_text()
    assert "latestnewsitem" in html
    assert len(k2.parse_listing(html, _page_url("s")).items) == 2


@pytest.mark.parametrize(
    "html",
    ["<html><body><h1>Service unavailable</h1></body></html>", "", "<div id=k2Container></div>"],
)
def test_a_page_of_another_shape_is_a_parse_error(html: str) -> None:
    """A page without K2 listing markup is refused, not read as an empty day."""
    with pytest.raises(ParseError):
        k2.parse_listing(html, "https://en.etilaf.org/date/2020/2/1.html")


def test_article_without_body_is_a_parse_error() -> None:
    """An item page with neither intro nor full text is refused."""
    with pytest.raises(ParseError):
        k2.parse_article("<div id=k2Container class=itemView></div>", "https://x/", TZ)


def _listing_with(href: str, next_href: str | None = None) -> str:
    pagination = (
        f'<div class="k2Pagination"><ul><li class="pagination-next"><a href="{next_href}">Next'
        "</a></li></ul></div>"
        if next_href is not None
        else ""
    )
    return (
        '<div id="k2Container"><div class="genericItemList"><div class="genericItemView">'
        f'<h2 class="genericItemTitle"><a href="{href}">A title</a></h2>'
        '<div class="genericItemIntroText"><p>Text.</p></div></div></div>'
        f"{pagination}</div>"
    )


def test_an_item_whose_link_cannot_be_resolved_is_skipped_not_fatal() -> None:
    page = k2.parse_listing(_listing_with("http://[broken/x.html"), _page_url("l"))
    assert page.items == () and page.skipped_items == 1


def test_a_next_link_that_cannot_be_resolved_is_a_parse_error() -> None:
    """Dropping it would silently lose the rest of the day."""
    with pytest.raises(ParseError, match="unusable 'Next' link"):
        k2.parse_listing(_listing_with("/item/1.html", "http://[broken/"), _page_url("n"))
