"""``ingest add``'s pure decisions (ingest/discovery.py): addresses, names, robots.txt's
sitemaps, the REST API's zone, what a sitemap is, the marks of the software, and the order in
which layouts are tried. The real WordPress and K2 answers are in tests/e2e/test_add.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from multidict import CIMultiDict

from ingest import discovery
from ingest.discovery import Findings, HomeSignals


def test_site_address_is_the_origin_and_the_page_given() -> None:
    assert discovery.site_address("HTTPS://WWW.Example.org:8443/news/?p=1#top") == (
        "https://www.example.org:8443",
        "https://www.example.org:8443/news/?p=1",
    )
    assert discovery.site_address("http://[::1]:8080") == (
        "http://[::1]:8080",
        "http://[::1]:8080/",
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("example.org/news", "is not a URL"),
        ("ftp://example.org/", "is not a URL"),
        ("https://user:secret@example.org/", "carries credentials"),
        ("https://example.org:99999/", "no valid port"),
    ],
)
def test_what_is_no_site_address_is_refused_in_one_line(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why) as raised:
        discovery.site_address(text)
    assert "\n" not in str(raised.value)


def test_default_name_comes_from_the_host() -> None:
    assert discovery.default_name("https://www.news.example.org") == "news-example-org"
    assert discovery.default_name("http://127.0.0.1:8080") == "127-0-0-1-8080"


def test_sitemaps_are_the_robots_lines_in_order_once_each() -> None:
    robots = (
        "User-agent: *\nDisallow: /wp-admin/\n"
        "Sitemap: https://example.org/wp-sitemap.xml\n"
        "sitemap:/news-sitemap.xml  # Google News\n"
        "SITEMAP: https://example.org/wp-sitemap.xml\n"
    )
    assert discovery.sitemaps_in_robots(robots, "https://example.org") == (
        "https://example.org/wp-sitemap.xml",
        "https://example.org/news-sitemap.xml",
    )
    assert discovery.sitemaps_in_robots(None, "https://example.org") == ()


def test_the_zone_is_the_indexs_name_else_its_whole_hour_offset() -> None:
    named = discovery.zone_of_index(b'{"timezone_string": "Asia/Damascus", "gmt_offset": 3}')
    assert named is not None and named.name == "Asia/Damascus"
    fixed = discovery.zone_of_index(b'{"timezone_string": "", "gmt_offset": "2"}')
    assert fixed is not None and fixed.name == "Etc/GMT-2"  # POSIX's sign: UTC+2
    assert discovery.zone_of_index(b'{"timezone_string": "", "gmt_offset": 5.5}') is None
    assert discovery.zone_of_index(b'{"timezone_string": "Mars/Olympus"}') is None
    assert discovery.zone_of_index(b"<html>not json</html>") is None


def test_a_sitemap_says_what_it_is_and_an_html_page_is_none() -> None:
    index = b'<?xml version="1.0"?><sitemapindex><sitemap><loc>/s1.xml</loc></sitemap>'
    assert discovery.sitemap_kind(index) == "sitemap index"
    news = b'<urlset xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>'
    assert discovery.sitemap_kind(news) == "news sitemap"
    assert discovery.sitemap_kind(b"<urlset><url><loc>/a</loc></url></urlset>") == "URL sitemap"
    assert discovery.sitemap_kind(b"<!DOCTYPE html><html>Not found</html>") is None


def test_the_api_link_is_found_among_several_link_headers() -> None:
    headers = CIMultiDict(
        [
            ("Link", "<https://example.org/?p=7>; rel=shortlink"),
            ("Link", '<https://example.org/wp-json/>; rel="https://api.w.org/"'),
        ]
    )
    home = discovery.read_home(b"<html><body></body></html>", "https://example.org/", headers)
    assert home.api_root == "https://example.org/wp-json/" and home.wordpress
    assert not home.joomla and not home.k2


def test_feeds_and_k2_marks_are_read_from_the_page() -> None:
    page = b"""<html><head>
    <meta name="generator" content="Joomla! - Open Source Content Management">
    <link rel="alternate" type="application/rss+xml" href="/news?format=feed&amp;type=rss">
    <link rel="alternate" type="application/rss+xml" href="/comments/feed/">
    <link rel="alternate" type="application/atom+xml" href="https://example.org/atom.xml">
    <script src="/components/com_k2/js/k2.js"></script></head><body></body></html>"""
    home = discovery.read_home(page, "https://example.org/", {})
    assert home.joomla and home.k2 and not home.wordpress
    assert [(feed.kind, feed.url) for feed in home.feeds] == [
        ("RSS", "https://example.org/news?format=feed&type=rss"),
        ("Atom", "https://example.org/atom.xml"),
    ]


def _findings(**signals: object) -> Findings:
    base = dict(api_root=None, generator=None, wordpress=False, joomla=False, k2=False,
                feeds=(), offset=None)  # fmt: skip
    home = HomeSignals(**{**base, **signals})  # type: ignore[arg-type]
    return Findings("https://example.org", "https://example.org/", date(2026, 1, 2), home, 200)


def test_the_api_comes_first_only_when_it_answers_with_posts() -> None:
    found = _findings(api_root="https://example.org/wp-json/", wordpress=True)
    with_posts = replace(found, api_status=200, newest_post=date(2025, 12, 30))
    layouts = [(c.layout, c.day) for c in discovery.candidates(with_posts)]
    assert layouts == [
        ("wordpress-api", date(2025, 12, 30)),
        ("wordpress", date(2025, 12, 30)),
        ("selectors", None),
    ]
    refused = replace(found, api_status=401)
    assert [c.layout for c in discovery.candidates(refused)] == ["wordpress", "selectors"]
    assert "refused (HTTP 401)" in discovery.candidates(refused)[0].why[1]


def test_k2_tries_its_sef_then_its_plain_listing_on_yesterday() -> None:
    chosen = discovery.candidates(_findings(joomla=True, generator="Joomla!"))
    assert [(c.layout, c.listing_path, c.day) for c in chosen] == [
        ("k2", None, date(2026, 1, 1)),
        ("k2", discovery.K2_PATHS[1], date(2026, 1, 1)),
        ("selectors", "/{year}/{month:02d}/{day:02d}/", None),
    ]


def test_a_sitemap_on_the_site_is_tried_after_the_archives_and_one_elsewhere_never() -> None:
    sitemaps = (
        ("https://cdn.example.net/sitemap.xml", "named by robots.txt"),
        ("https://example.org/sitemap_index.xml", "named by robots.txt"),
    )
    found = replace(_findings(joomla=True), sitemaps=sitemaps)
    chosen = [(c.layout, c.listing_path) for c in discovery.candidates(found)]
    assert chosen[2:] == [("sitemap", "/sitemap_index.xml"), ("selectors", chosen[3][1])]
    default = replace(found, sitemaps=(("https://example.org/sitemap.xml", "found"),))
    assert ("sitemap", None) in [(c.layout, c.listing_path) for c in discovery.candidates(default)]
    elsewhere = replace(found, sitemaps=sitemaps[:1])
    assert "sitemap" not in [c.layout for c in discovery.candidates(elsewhere)]
