"""The WordPress REST API layout: day bounds, paging by header, posts as full-text items."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from ingest.errors import ParseError
from ingest.sites import (
    LAYOUTS,
    ListingPage,
    SiteShape,
    build_layout,
    default_listing_path,
    wordpress_api,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wordpress"
TZ = ZoneInfo("Europe/Istanbul")
ENDPOINT = "https://news.example.org/wp-json/wp/v2/posts"
FIRST = wordpress_api.listing_url(ENDPOINT, date(2020, 2, 1))


def _shape(path: str = "/wp-json/wp/v2/posts") -> SiteShape:
    return SiteShape("https://news.example.org/", path, TZ, {})


def _query(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


def _posts(**headers: str) -> ListingPage:
    body = (FIXTURES / "api_posts.json").read_bytes()
    return wordpress_api.parse_listing(body, FIRST, headers, TZ)


def test_registered_with_the_endpoint_and_flags() -> None:
    """JSON asked for; no article pages; a 404 is not an empty day."""
    assert LAYOUTS["wordpress-api"] is wordpress_api
    assert default_listing_path("wordpress-api") == "/wp-json/wp/v2/posts"
    layout = build_layout("wordpress-api", _shape())
    assert layout.accept == "application/json"
    assert layout.fetches_article_pages is False
    assert layout.reads_missing_day is False
    assert layout.listing_url(date(2020, 2, 1)) == FIRST


def test_listing_url_bounds_the_day_exclusively_at_midnight() -> None:
    """after = the previous day's last second, before = the next midnight (both exclusive):
    a post at 00:00:00 is kept, one at the next day's 00:00:00 is not."""
    assert FIRST.startswith(ENDPOINT + "?")
    assert _query(FIRST) == {
        "after": "2020-01-31T23:59:59",
        "before": "2020-02-02T00:00:00",
        "per_page": "100",
        "page": "1",
        "orderby": "date",
        "order": "desc",
        "_embed": "wp:term",
    }
    assert "after=2020-01-31T23:59:59&before=2020-02-02T00:00:00&" in FIRST


def test_listing_url_across_month_and_year_ends() -> None:
    query = _query(wordpress_api.listing_url(ENDPOINT, date(2020, 1, 1)))
    assert (query["after"], query["before"]) == ("2019-12-31T23:59:59", "2020-01-02T00:00:00")
    query = _query(wordpress_api.listing_url(ENDPOINT, date(2020, 2, 29)))
    assert (query["after"], query["before"]) == ("2020-02-28T23:59:59", "2020-03-01T00:00:00")


def test_listing_url_on_a_site_without_pretty_permalinks() -> None:
    """``/?rest_route=/wp/v2/posts`` already has a query: parameters are appended."""
    layout = build_layout("wordpress-api", _shape("/?rest_route=/wp/v2/posts"))
    url = layout.listing_url(date(2020, 2, 1))
    assert url.startswith("https://news.example.org/?rest_route=/wp/v2/posts&after=")
    assert _query(url)["rest_route"] == "/wp/v2/posts"


@pytest.mark.parametrize("path", ["wp-json/wp/v2/posts", "/{year}/{month}/{day}/", "/x#y"])
def test_build_refuses_a_path_that_is_not_an_endpoint(path: str) -> None:
    with pytest.raises(ValueError, match=r"^listing_path "):
        wordpress_api.build(_shape(path))


def test_posts_become_full_text_items() -> None:
    """Title entities decoded, body reduced to paragraphs without plugins, scripts or styles,
    categories from the embedded terms, day from the local date, instant from date_gmt."""
    midnight, envoy, _protected = _posts().items
    assert midnight.title == "Midnight statement on the ceasefire"
    assert midnight.url == (
        "https://news.example.org/2020/02/01/midnight-statement-on-the-ceasefire/"
    )
    assert midnight.text == (
        "A statement issued at midnight calls on all parties to respect the ceasefire.\n\n"
        "It was signed by eleven factions."
    )
    assert midnight.full_text is True
    assert midnight.category == "News"
    assert midnight.day == date(2020, 2, 1)
    assert midnight.published_at == datetime(2020, 1, 31, 21, 0, tzinfo=UTC)

    assert envoy.title == "Coalition’s envoy meets “Astana” guarantors – talks resume"
    assert envoy.category == "News, Politics & Diplomacy"  # tags are not categories
    assert envoy.text.split("\n\n") == [
        "The Coalition’s envoy met representatives of the guarantor states in Geneva on"
        " Saturday & agreed to resume the talks.",
        "“We have a date,” the envoy told reporters.",
        "The next round opens on 18 February.",
        "A prisoner exchange",
        "Humanitarian access",
    ]
    assert envoy.published_at == datetime(2020, 2, 1, 15, 40, tzinfo=UTC)


def test_a_protected_post_is_not_full_text() -> None:
    """Password-protected content is withheld: no body, and not claimed as the full text."""
    protected = _posts().items[2]
    assert protected.title == "Protected: Members’ briefing"
    assert protected.text == "" and protected.full_text is False
    assert protected.day == date(2020, 2, 1)


def test_next_page_while_the_header_says_there_are_more() -> None:
    """page + 1 while page < X-WP-TotalPages; other parameters kept as they were."""
    page = _posts(**{"x-wp-totalpages": "3"})
    assert page.next_url is not None
    assert _query(page.next_url) == {**_query(FIRST), "page": "2"}
    assert page.next_url == FIRST.replace("&page=1&", "&page=2&")
    body = (FIXTURES / "api_posts.json").read_bytes()
    second = wordpress_api.parse_listing(body, page.next_url, {"x-wp-totalpages": "3"}, TZ)
    assert second.next_url == FIRST.replace("&page=1&", "&page=3&")
    third = wordpress_api.parse_listing(
        body, FIRST.replace("&page=1&", "&page=3&"), {"x-wp-totalpages": "3"}, TZ
    )
    assert third.next_url is None


def test_a_url_without_a_page_parameter_is_page_one() -> None:
    page = wordpress_api.parse_listing(b"[]", ENDPOINT + "?after=x", {"x-wp-totalpages": "2"}, TZ)
    assert page.next_url == ENDPOINT + "?after=x&page=2"


@pytest.mark.parametrize("headers", [{}, {"x-wp-totalpages": "1"}, {"x-wp-totalpages": "0"}])
def test_no_next_page_on_the_last_or_without_the_header(headers: dict[str, str]) -> None:
    assert _posts(**headers).next_url is None


def test_a_garbled_total_pages_header_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="X-WP-TotalPages"):
        _posts(**{"x-wp-totalpages": "many"})


def test_an_empty_array_is_an_empty_day() -> None:
    page = wordpress_api.parse_listing(
        b"[]", FIRST, {"x-wp-total": "0", "x-wp-totalpages": "0"}, TZ
    )
    assert page.items == () and page.next_url is None and page.skipped_items == 0


def test_a_utf8_bom_before_the_json_is_tolerated() -> None:
    assert wordpress_api.parse_listing("\ufeff[]", FIRST, {}, TZ).items == ()
    assert wordpress_api.parse_listing("\ufeff[]".encode(), FIRST, {}, TZ).items == ()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '{"code":"rest_post_invalid_page_number","message":"The page number requested is'
            ' larger than the number of pages available.","data":{"status":400}}',
            "'rest_post_invalid_page_number': The page number requested is larger",
        ),
        (
            '{"code":"rest_disabled","message":"The REST API is disabled on this site."}',
            "'rest_disabled': The REST API is disabled",
        ),
        ('{"code":"rest_forbidden"}', "'rest_forbidden'"),
        ("<!doctype html><html><body>Maintenance</body></html>", "not JSON"),
        ('[{"id": 1,', "not JSON"),
        ('{"posts": []}', "expected a JSON array"),
    ],
)
def test_error_bodies_and_other_shapes_are_parse_errors(body: str, message: str) -> None:
    """The API's own error object is reported with its code and message."""
    with pytest.raises(ParseError, match=message):
        wordpress_api.parse_listing(body, FIRST, {}, TZ)


def test_posts_without_a_title_or_link_are_skipped_and_counted() -> None:
    posts = [
        {"title": {"rendered": ""}, "link": "https://news.example.org/a/"},
        {"title": {"rendered": "No link"}},
        "not an object",
        {"title": {"rendered": "Kept"}, "link": "/kept/", "content": {"rendered": "<p>B</p>"}},
    ]
    page = wordpress_api.parse_listing(json.dumps(posts), FIRST, {}, TZ)
    assert [(i.title, i.url, i.text) for i in page.items] == [
        ("Kept", "https://news.example.org/kept/", "B")
    ]
    assert page.skipped_items == 3
    assert page.items[0].category is None and page.items[0].day is None


def test_one_unbalanced_post_does_not_spill_into_the_next() -> None:
    """Each post's HTML is parsed on its own: an unclosed comment or tag stays in its post."""
    posts = [
        {"title": {"rendered": "A"}, "link": "/a/", "content": {"rendered": "<p>A <!-- x"}},
        {"title": {"rendered": "B"}, "link": "/b/", "content": {"rendered": "<div><p>B"}},
        {"title": {"rendered": "C"}, "link": "/c/", "content": {"rendered": "<p>C</p>"}},
    ]
    page = wordpress_api.parse_listing(json.dumps(posts), FIRST, {}, TZ)
    assert [i.text for i in page.items] == ["A", "B", "C"]


def test_parse_article_reads_one_post_object() -> None:
    """Not used by the crawl (the listing has the full text), but a single post parses."""
    post = json.loads((FIXTURES / "api_posts.json").read_text())[0]
    page = wordpress_api.parse_article(json.dumps(post), post["link"], TZ)
    assert page.title == "Midnight statement on the ceasefire"
    assert page.body.startswith("A statement issued at midnight")
    assert page.published_at == datetime(2020, 1, 31, 21, 0, tzinfo=UTC)
    with pytest.raises(ParseError, match="rest_post_invalid_id"):
        wordpress_api.parse_article('{"code":"rest_post_invalid_id","message":"Invalid"}', "u", TZ)


DAMASCUS = ZoneInfo("Asia/Damascus")  # summer time in 2020: 27 March 00:00 -> 01:00, 29/30 Oct


@pytest.mark.parametrize(
    ("date_local", "date_gmt", "instant"),
    [
        # The usual case: date_gmt as printed.
        ("2020-03-22T08:00:00", "2020-03-22T06:00:00", "2020-03-22T06:00:00"),
        # A post at the midnight that did not exist: WordPress prints 01:00, date_gmt is right.
        ("2020-03-27T01:00:00", "2020-03-26T22:00:00", "2020-03-26T22:00:00"),
        # 03:30 local is 00:30 UTC, a wall time inside the gap: the API prints 01:30.
        ("2020-03-27T03:30:00", "2020-03-27T01:30:00", "2020-03-27T00:30:00"),
        # 04:30 local is 01:30 UTC, printed as it is: no correction.
        ("2020-03-27T04:30:00", "2020-03-27T01:30:00", "2020-03-27T01:30:00"),
        # The hour that happened twice: date_gmt says which.
        ("2020-10-29T23:30:00", "2020-10-29T21:30:00", "2020-10-29T21:30:00"),
        # A site whose zone setting changed since: date_gmt is the stored instant.
        ("2020-02-01T10:00:00", "2020-02-01T10:00:00", "2020-02-01T10:00:00"),
    ],
)
def test_published_at_is_date_gmt_unless_wordpress_printed_it_through_the_gap(
    date_local: str, date_gmt: str, instant: str
) -> None:
    found = wordpress_api.published_at(
        datetime.fromisoformat(date_local), datetime.fromisoformat(date_gmt), DAMASCUS
    )
    assert found == datetime.fromisoformat(instant).replace(tzinfo=UTC)


def test_published_at_without_date_gmt_reads_date_as_wordpress_does() -> None:
    """A draft's date_gmt is null: date in the zone, the repeated hour as the second one."""
    found = wordpress_api.published_at(
        datetime.fromisoformat("2020-10-29T23:30:00"), None, DAMASCUS
    )
    assert found == datetime(2020, 10, 29, 21, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("path", "index"),
    [
        ("/wp-json/wp/v2/posts", "https://news.example.org/wp-json/"),
        ("/blog/wp-json/wp/v2/posts", "https://news.example.org/blog/wp-json/"),
        ("/?rest_route=/wp/v2/posts", None),
        ("/api/posts", None),
    ],
)
def test_index_url_beside_the_posts_endpoint(path: str, index: str | None) -> None:
    assert build_layout("wordpress-api", _shape(path)).index_url == index


def test_an_index_with_a_fixed_offset_or_no_zone() -> None:
    """A site set to "UTC+3" keeps no zone: the notice says so; an index without either key,
    or a body that is not an index, is nothing to report."""
    layout = build_layout("wordpress-api", _shape())
    notice = layout.check_index('{"timezone_string": "", "gmt_offset": 3}', "u")
    assert notice is not None and "fixed offset of UTC+3" in notice
    assert layout.check_index('{"name": "x"}', "u") is None
    assert layout.check_index("<html>", "u") is None
