"""The cross-check's pure decisions: which placed URLs a listing lacks, and whose day a found
article is."""

from __future__ import annotations

from datetime import date

from ingest.cross_check import Placed, belongs_to, missing_from_listing, url_key
from ingest.domain import FoundBy

DAY = date(2020, 2, 3)


def test_one_page_however_its_url_is_spelled() -> None:
    """Scheme and host case, a default port, a trailing slash and a fragment name one page;
    a query or another port does not."""
    one = "http://example.org/2020/02/03/post"
    for spelling in (
        "HTTP://Example.ORG:80/2020/02/03/post/",
        "http://example.org/2020/02/03/post#c",
    ):
        assert url_key(spelling) == url_key(one)
    assert url_key(one + "?p=2") != url_key(one)
    assert url_key(url_key("HTTP://Example.ORG:80/a/")) == url_key("http://example.org/a")
    assert url_key("http://example.org:8080/2020/02/03/post") != url_key(one)


def test_the_first_source_to_date_a_missing_page_found_it() -> None:
    """Each missing page once; the first source dating its publication wins over a lastmod."""
    listed = ["http://example.org/a/", "http://example.org/b/"]
    placed = [
        Placed("http://example.org/a", FoundBy.SITEMAP, published=False),
        Placed("http://example.org/c/", FoundBy.SITEMAP, published=False),
        Placed("http://example.org/e/", FoundBy.SITEMAP, published=True),
        Placed("http://example.org/c", FoundBy.FEED, published=True),
        Placed("http://example.org/d/", FoundBy.REST, published=True),
        Placed("http://example.org/d", FoundBy.REST, published=True),
        Placed("http://example.org/f", FoundBy.SITEMAP, published=False),
        Placed("http://example.org/e", FoundBy.FEED, published=True),
    ]
    missing = missing_from_listing(listed, placed)
    assert [(m.url, m.source) for m in missing] == [
        ("http://example.org/c", FoundBy.FEED),
        ("http://example.org/e/", FoundBy.SITEMAP),
        ("http://example.org/d/", FoundBy.REST),
        ("http://example.org/f", FoundBy.SITEMAP),
    ]
    assert missing_from_listing(listed, placed[:1]) == []


def test_the_page_date_decides_and_a_lastmod_alone_is_no_publication() -> None:
    lastmod = Placed("http://example.org/a/", FoundBy.SITEMAP, published=False)
    news = Placed("http://example.org/a/", FoundBy.SITEMAP, published=True)
    assert belongs_to(DAY, DAY, lastmod)
    assert not belongs_to(DAY, date(2020, 2, 2), lastmod), "edited a day later: not this day's"
    assert not belongs_to(DAY, date(2020, 2, 2), news)
    assert belongs_to(DAY, None, news), "undated page: the source's publication date places it"
    assert not belongs_to(DAY, None, lastmod), "undated page, lastmod only: skipped, not guessed"
