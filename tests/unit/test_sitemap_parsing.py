"""The sitemap layout's pure parts: sitemap files (index, urlset, gzip, news) and an article
page read from its standard metadata."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ingest.errors import ParseError
from ingest.sites import SiteShape, build_layout
from ingest.sites.article_meta import parse_generic_article
from ingest.sites.sitemap_xml import MAX_SITEMAP_BYTES, SitemapEntry, parse_sitemap

DAMASCUS = ZoneInfo("Asia/Damascus")
INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://news.example.org/posts-1.xml.gz</loc>
    <lastmod>2020-02-03T10:00:00+00:00</lastmod></sitemap>
  <sitemap><loc>https://news.example.org/posts-2.xml</loc></sitemap>
  <sitemap><loc>not a url</loc></sitemap>
</sitemapindex>"""
URLSET = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://news.example.org/a/</loc><lastmod>2020-02-01</lastmod></url>
  <url><loc> https://news.example.org/b/?x=1&amp;y=2 </loc>
    <lastmod>2020-02-01T23:30:00Z</lastmod></url>
  <url><loc>https://news.example.org/c/</loc><lastmod>yesterday</lastmod>
    <news:news><news:publication><news:name>N</news:name></news:publication>
      <news:publication_date>2020-01-31T22:10:00+00:00</news:publication_date>
      <news:title>Caf\u00e9 &amp; more</news:title></news:news></url>
</urlset>""".encode()


def test_an_index_names_its_children_with_their_lastmod() -> None:
    found = parse_sitemap(INDEX, "https://news.example.org/sitemap.xml")
    assert found.index and not found.entries
    assert [(c.url, c.lastmod) for c in found.children] == [
        ("https://news.example.org/posts-1.xml.gz", datetime(2020, 2, 3, 10, tzinfo=UTC)),
        ("https://news.example.org/posts-2.xml", None),
    ]


def test_a_urlset_gives_each_entry_its_hint_day_on_the_site_calendar() -> None:
    """lastmod as written (a bare date) or moved to the site's zone; a news publication
    date wins over lastmod; a value that is no W3C datetime is no hint."""
    found = parse_sitemap(URLSET, "https://news.example.org/posts.xml")
    assert not found.index
    a, b, c = found.entries
    assert (a.url, a.hint_day(DAMASCUS)) == ("https://news.example.org/a/", date(2020, 2, 1))
    assert b.url == "https://news.example.org/b/?x=1&y=2"
    assert b.hint_day(DAMASCUS) == date(2020, 2, 2)  # 23:30 UTC is 01:30 in Damascus
    assert b.hint_day(UTC) == date(2020, 2, 1)
    assert c.lastmod is None and c.title == "Caf\u00e9 & more"
    assert c.hint_day(DAMASCUS) == date(2020, 2, 1)
    assert c.hint_day(timezone(timedelta(hours=-5))) == date(2020, 1, 31)
    assert SitemapEntry("https://x/", None).hint_day(UTC) is None


def test_gzip_is_read_as_the_file_it_is() -> None:
    assert parse_sitemap(gzip.compress(URLSET), "https://x/s.xml.gz") == parse_sitemap(
        URLSET, "https://x/s.xml.gz"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (URLSET[: len(URLSET) // 2], "not a well-formed sitemap"),
        (gzip.compress(URLSET)[:-20], "cut short"),
        (b"<html><body>Not found</body></html>", "not a sitemap"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><urlset></urlset>',
            "DOCTYPE",
        ),
        (gzip.compress(b"<urlset>" + b" " * MAX_SITEMAP_BYTES + b"</urlset>"), "larger than"),
    ],
    ids=["cut-short", "gzip-cut-short", "html", "entities", "gzip-bomb"],
)
def test_a_file_that_is_no_whole_sitemap_is_refused(body: bytes, message: str) -> None:
    """Never a part read as the whole: a day would be "complete" with entries lost."""
    with pytest.raises(ParseError, match=message):
        parse_sitemap(body, "https://x/s.xml")


ARTICLE = """<html><head><title>Site | A title</title>
<meta property="og:title" content="OG title">
<meta property="article:published_time" content="2020-02-01T08:00:00+00:00">
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
  {"@type": "WebPage", "name": "page"},
  {"@type": "NewsArticle", "headline": "The  headline",
   "datePublished": "2020-02-01T10:05:00+02:00", "articleSection": ["Local", "News"]}]}</script>
<script type="application/ld+json">{broken</script>
</head><body><header><nav><a href="/">Home</a></nav></header>
<article><h1>H1 title</h1><time datetime="2020-01-01T00:00:00Z">then</time>
<p>The first paragraph of the story says what happened, and where, and when it did.</p>
<p>A second paragraph<br>broken in two by a line break, as authors write it at times.</p>
<ul><li>One point of the story, told in a full sentence for the reader.</li></ul>
</article><footer>Copyright</footer></body></html>"""


def test_metadata_most_trusted_first() -> None:
    """JSON-LD wins over OpenGraph, which wins over <h1> and <time>; a broken block is
    passed over."""
    page = parse_generic_article(ARTICLE, "https://x/a/", DAMASCUS)
    assert page.title == "The headline"
    assert page.published_at == datetime(2020, 2, 1, 8, 5, tzinfo=UTC)
    assert page.category == "Local, News"
    assert page.body.split("\n\n") == [
        "The first paragraph of the story says what happened, and where, and when it did.",
        "A second paragraph",
        "broken in two by a line break, as authors write it at times.",
        "One point of the story, told in a full sentence for the reader.",
    ]
    bare = ARTICLE.replace("application/ld+json", "text/plain")
    page = parse_generic_article(bare, "https://x/a/", DAMASCUS)
    assert (page.title, page.category) == ("OG title", None)
    assert page.published_at == datetime(2020, 2, 1, 8, tzinfo=UTC)
    bare = bare.replace("og:title", "x").replace("article:published_time", "x")
    page = parse_generic_article(bare, "https://x/a/", DAMASCUS)
    assert (page.title, page.published_at) == ("H1 title", datetime(2020, 1, 1, tzinfo=UTC))


def test_a_page_without_text_is_refused() -> None:
    with pytest.raises(ParseError, match="no article text"):
        parse_generic_article("<html><h1>Only a title</h1></html>", "https://x/a/", UTC)


def test_the_layout_checks_its_settings() -> None:
    def shape(path: str, **options: str | bool) -> SiteShape:
        return SiteShape("https://x", path, UTC, options)

    layout = build_layout("sitemap", shape("/wp-sitemap.xml"))
    assert layout.listing_url(date(2020, 2, 1)) == "https://x/wp-sitemap.xml"
    with pytest.raises(ValueError, match="listing_path is the sitemap's path"):
        build_layout("sitemap", shape("/{year}/"))
    with pytest.raises(ValueError, match=r"selectors\.item: the sitemap layout reads only"):
        build_layout("sitemap", shape("/s.xml", item="li"))
    with pytest.raises(ValueError, match=r"selectors\.article_body: required"):
        build_layout("sitemap", shape("/s.xml", article_title="h1"))
    with pytest.raises(ValueError, match=r"selectors\.article_body: invalid selector"):
        build_layout("sitemap", shape("/s.xml", article_body="div["))
