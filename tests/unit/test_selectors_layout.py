"""The selectors layout: a site described by CSS selectors in its config."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from ingest.errors import ParseError
from ingest.sites import LAYOUTS, SiteShape, build_layout, default_listing_path, selectors

TZ = ZoneInfo("Europe/Berlin")
URL = "https://city.example.com/news/2020-02-01"
BASE = {"item": "li.story", "title": "h3"}

LISTING = """<!doctype html><html><head><title>News of 1 February 2020</title>
<link rel="next" href="/news/2020-02-01?p=9"></head><body>
<nav><ul><li class="menu"><a href="/about">About</a></li></ul></nav>
<ul class="stories">
 <li class="story" data-id="7">
  <h3><a href="/news/7-budget">Budget &amp; taxes:&nbsp; the vote</a></h3>
  <span class="tag">Politics</span><span class="tag">City Hall</span>
  <span class="tag">Politics</span>
  <time datetime="2020-02-01T18:30:00+01:00">1 Feb</time>
  <p class="lead">First line.<br>Second line.</p>
  <div class="share-buttons sharedaddy">Share this</div>
  <a class="more" href="/news/7-budget?utm=x" data-canonical="/n/7">More</a>
 </li>
 <li class="story" data-id="8">
  <a class="card" href="/news/8-snow"><h3>Snow closes schools</h3></a>
  <span class="tag">Weather</span>
  <time datetime="2020-02-01">1 Feb</time>
  <p class="lead">Schools are closed.</p>
  <script>track(8)</script>
 </li>
 <li class="story"><h3>   </h3><a href="/news/9">No title</a></li>
 <li class="story"><h3>No link</h3></li>
</ul>
<div class="pager"><a class="older" href="/news/2020-02-01?p=2">Older</a></div>
</body></html>"""

ARTICLE = """<html><head><style>.x{}</style></head><body>
<header><h1 class="headline">Budget &amp; taxes: the vote</h1>
<span class="byline">Published <span class="when">01.02.2020 18:30</span></span></header>
<div class="story-body"><p>One.</p><div class="ad-slot wpcnt">Advertisement</div>
<p>Two <a href="/x">link</a>.</p><script>ads()</script></div>
<div class="story-body"><p>Three.</p></div>
<aside class="related"><p>Other story</p></aside>
</body></html>"""


def _shape(options: dict[str, str | bool], path: str = "/news/{date}") -> SiteShape:
    return SiteShape("https://city.example.com", path, TZ, options)


def _layout(**options: str | bool) -> selectors.SelectorsLayout:
    return selectors.build(_shape({**BASE, **options}))


def _error(options: dict[str, str | bool], path: str = "/news/{date}") -> str:
    with pytest.raises(ValueError) as info:
        selectors.build(_shape(options, path))
    return str(info.value)


def test_registered_without_a_default_path() -> None:
    """The site must give its listing path; the layout is built from its selectors."""
    assert LAYOUTS["selectors"] is selectors
    assert default_listing_path("selectors") is None
    layout = build_layout("selectors", _shape(BASE))
    assert layout.listing_url(date(2020, 2, 1)) == URL
    assert layout.reads_missing_day is False
    assert "text/html" in layout.accept


def test_article_pages_are_fetched_only_with_an_article_body_selector() -> None:
    assert _layout().fetches_article_pages is False
    assert _layout(article_body=".story-body").fetches_article_pages is True


def test_listing_items_with_defaults() -> None:
    """Title text, url from the link at, inside or around the title, skipped items counted."""
    page = _layout().parse_listing(LISTING, URL, {})
    assert [(i.title, i.url) for i in page.items] == [
        ("Budget & taxes: the vote", "https://city.example.com/news/7-budget"),
        ("Snow closes schools", "https://city.example.com/news/8-snow"),
    ]
    assert page.skipped_items == 2
    assert all(i.category is None and i.text == "" and i.day is None for i in page.items)
    assert all(not i.full_text for i in page.items)


def test_optional_fields_and_suffixes() -> None:
    """``::attr(name)`` reads an attribute; categories are joined once each; the excerpt is
    paragraphs without furniture or scripts; an ISO date-time gives day and UTC instant."""
    layout = _layout(
        category=".tag::text",
        excerpt=".lead, .sharedaddy",
        date="time::attr(datetime)",
    )
    budget, snow = layout.parse_listing(LISTING, URL, {}).items
    assert budget.category == "Politics, City Hall"
    assert budget.text == "First line.\n\nSecond line."
    assert budget.day == date(2020, 2, 1)
    assert budget.published_at == datetime(2020, 2, 1, 17, 30, tzinfo=UTC)
    assert snow.url == "https://city.example.com/news/8-snow"  # a link around the title
    assert snow.category == "Weather"
    assert snow.text == "Schools are closed."
    assert snow.day == date(2020, 2, 1) and snow.published_at is None


def test_url_from_an_attribute_and_an_item_without_it_is_skipped() -> None:
    """A configured ``url`` is the item's link: an item without a match is skipped, not given
    another link."""
    page = _layout(url="a.more::attr(data-canonical)").parse_listing(LISTING, URL, {})
    assert [(i.title, i.url) for i in page.items] == [
        ("Budget & taxes: the vote", "https://city.example.com/n/7")
    ]
    assert page.skipped_items == 3


def test_url_selector_without_suffix_reads_the_href() -> None:
    page = _layout(url="a.more").parse_listing(LISTING, URL, {})
    assert page.items[0].url == "https://city.example.com/news/7-budget?utm=x"


def test_text_suffix_on_the_title_is_the_default() -> None:
    items = _layout(title="h3::text").parse_listing(LISTING, URL, {}).items
    assert [i.title for i in items] == ["Budget & taxes: the vote", "Snow closes schools"]


def test_in_page_links_are_not_article_links() -> None:
    """``#`` and ``javascript:`` links in a title are passed over for a real one."""
    html = (
        '<div class="n"><h2><a href="#comments">3</a> <a href="javascript:void(0)">Save</a>'
        ' <a href="/a">A</a></h2></div><div class="n"><h2><a href="#top">B</a></h2></div>'
    )
    page = selectors.build(_shape({"item": ".n", "title": "h2"})).parse_listing(html, URL, {})
    assert [i.url for i in page.items] == ["https://city.example.com/a"]
    assert page.skipped_items == 1


def test_title_from_an_attribute() -> None:
    page = _layout(title="li.story::attr(data-id)", url="h3").parse_listing(LISTING, URL, {})
    assert [(i.title, i.url) for i in page.items] == [
        ("7", "https://city.example.com/news/7-budget"),
        ("8", "https://city.example.com/news/8-snow"),
    ]


def test_next_link_default_and_configured() -> None:
    """Default: ``a[rel=next]`` then ``link[rel=next]``; a ``next`` selector replaces them."""
    assert _layout().parse_listing(LISTING, URL, {}).next_url == URL + "?p=9"
    assert _layout(next=".pager a.older").parse_listing(LISTING, URL, {}).next_url == (URL + "?p=2")
    assert _layout(next=".pager").parse_listing(LISTING, URL, {}).next_url == URL + "?p=2"
    assert _layout(next="a.missing").parse_listing(LISTING, URL, {}).next_url is None


@pytest.mark.parametrize(
    ("text", "options", "day", "instant"),
    [
        ("2020-02-01", {}, date(2020, 2, 1), None),
        (
            "2020-02-01T23:30:00-05:00",
            {},
            date(2020, 2, 1),
            datetime(2020, 2, 2, 4, 30, tzinfo=UTC),
        ),
        ("2020-02-01 10:00", {}, date(2020, 2, 1), datetime(2020, 2, 1, 9, 0, tzinfo=UTC)),
        (
            "01.02.2020 00:15",
            {"article_time_format": "%d.%m.%Y %H:%M"},
            date(2020, 2, 1),
            datetime(2020, 1, 31, 23, 15, tzinfo=UTC),
        ),
        ("01/02/2020", {"article_time_format": "%d/%m/%Y"}, date(2020, 2, 1), None),
        ("Posted 01 February 2020", {}, date(2020, 2, 1), None),
        ("1 February 2020 20:21", {}, date(2020, 2, 1), datetime(2020, 2, 1, 19, 21, tzinfo=UTC)),
        ("yesterday", {}, None, None),
    ],
)
def test_date_text_formats(
    text: str, options: dict[str, str], day: date | None, instant: datetime | None
) -> None:
    """ISO 8601, else article_time_format (read in the site's zone), else "1 February 2020"."""
    html = f'<div class="n"><h2><a href="/a">A</a></h2><i class="d">{text}</i></div>'
    layout = selectors.build(_shape({"item": ".n", "title": "h2", "date": ".d", **options}))
    (item,) = layout.parse_listing(html, URL, {}).items
    assert (item.day, item.published_at) == (day, instant)


def test_empty_element_means_a_day_without_articles() -> None:
    html = '<main><p class="no-news">No news for this day.</p></main>'
    page = _layout(empty=".no-news").parse_listing(html, URL, {})
    assert page.items == () and page.next_url is None


@pytest.mark.parametrize("empty", [None, ".no-news"])
def test_a_page_without_items_or_empty_element_is_a_parse_error(empty: str | None) -> None:
    """Layout drift (or a maintenance page) is refused, never read as an empty day."""
    layout = _layout(**({"empty": empty} if empty else {}))
    with pytest.raises(ParseError, match=r"neither items \('li.story'\)"):
        layout.parse_listing("<html><body><h1>We'll be back</h1></body></html>", URL, {})


def test_article_page() -> None:
    """Every body match in order, without furniture or scripts; time read with the format in
    the site's zone and given in UTC."""
    layout = _layout(
        article_title="h1.headline",
        article_body=".story-body",
        article_time=".byline .when",
        article_time_format="%d.%m.%Y %H:%M",
    )
    page = layout.parse_article(ARTICLE, URL)
    assert page.title == "Budget & taxes: the vote"
    assert page.body == "One.\n\nTwo link.\n\nThree."
    assert page.published_at == datetime(2020, 2, 1, 17, 30, tzinfo=UTC)


def test_article_body_matches_inside_each_other_are_read_once() -> None:
    page = _layout(article_body=".story-body, .story-body p").parse_article(ARTICLE, URL)
    assert page.body == "One.\n\nTwo link.\n\nThree."


def test_article_without_body_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match=r"no article body \('.story-body'\)"):
        _layout(article_body=".story-body").parse_article("<p>Gone</p>", URL)


def test_article_time_from_an_attribute_in_iso() -> None:
    html = '<article><time datetime="2020-02-01T18:30:00+03:00">x</time><p>B</p></article>'
    layout = _layout(article_body="article", article_time="time::attr(datetime)")
    assert layout.parse_article(html, URL).published_at == datetime(2020, 2, 1, 15, 30, tzinfo=UTC)


# -- build: every error message -----------------------------------------------------------------


def test_listing_path_is_required() -> None:
    assert _error(BASE, path="") == "listing_path: required for the selectors layout"


def test_listing_path_must_name_the_day() -> None:
    assert _error(BASE, path="/news/").startswith("listing_path must name the day")


def test_unknown_key() -> None:
    assert _error({**BASE, "foo": "p"}) == "selectors.foo: unknown key"


@pytest.mark.parametrize("key", ["item", "title"])
def test_required_keys(key: str) -> None:
    options = {k: v for k, v in BASE.items() if k != key}
    assert _error(options) == f"selectors.{key}: required"


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("title", "div[", "Can't parse CSS selector."),
        ("item", "li..story", "Can't parse CSS selector."),
        ("title", "", "empty selector"),
        ("title", "::text", "empty selector"),
        ("url", "a::attr()", "the suffix must be ::text or ::attr(name)"),
        ("date", "time::datetime", "the suffix must be ::text or ::attr(name)"),
        ("category", "a::attr(href", "Can't parse CSS selector."),
        ("item", "li.story::text", "no ::text or ::attr() suffix for item"),
        ("empty", ".none::attr(class)", "no ::text or ::attr() suffix for empty"),
        ("article_body", "div > ", "Can't parse CSS selector."),
    ],
)
def test_invalid_selectors(key: str, value: str, reason: str) -> None:
    """Each names the key, the selector as configured and why."""
    message = _error({**BASE, key: value})
    assert message.startswith(f"selectors.{key}: invalid selector {value!r}: {reason}")


def test_invalid_time_format() -> None:
    message = _error({**BASE, "article_time_format": "%d.%m.%Y %Q"})
    assert message.startswith("selectors.article_time_format: invalid format '%d.%m.%Y %Q': ")
    message = _error({**BASE, "article_time_format": "date"})
    assert message == "selectors.article_time_format: invalid format 'date': no % directive"


def test_unknown_keys_are_reported_before_missing_ones() -> None:
    assert _error({"titel": "h3"}) == "selectors.titel: unknown key"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "missing_day_is_empty",
            "yes",
            "selectors.missing_day_is_empty: must be a boolean, not str",
        ),
        ("title", True, "selectors.title: must be a string, not bool"),
    ],
)
def test_the_flag_is_a_boolean_and_selectors_are_strings(
    key: str, value: str | bool, message: str
) -> None:
    assert _error({**BASE, key: value}) == message


def test_article_category_names_every_match_once() -> None:
    """The post page's categories, for sites whose listing shows none."""
    layout = _layout(article_body="div.story-body", article_category=".tags a")
    page = layout.parse_article(
        '<div class="story-body"><p>One.</p></div><p class="tags"><a>Politics</a> '
        "<a>City Hall</a><a>Politics</a></p>",
        URL,
    )
    assert page.category == "Politics, City Hall"
    assert _layout(article_body="div.story-body").parse_article(ARTICLE, URL).category is None


def test_a_404_is_an_empty_day_only_when_the_config_says_so() -> None:
    """Without `empty` or `missing_day_is_empty` a 404 fails the date as before (the crawl
    never hands it to the layout)."""
    assert _layout().reads_missing_day is False
    assert _layout(missing_day_is_empty=True).missing_day("<p>gone</p>", URL).items == ()
    with pytest.raises(ParseError, match="no 'empty' element"):
        _layout(empty="p.no-news").missing_day("<p>gone</p>", URL)
