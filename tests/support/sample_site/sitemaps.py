"""The sample site's sitemaps: the WordPress flavour's posts, as a site without date archives
publishes them (the ``sitemap`` layout reads them).

- ``/sitemap_index.xml``: the index: the news sitemap, then a child per month of the span;
  each child with its ``lastmod`` (its newest entry's);
- ``/sitemap-posts-YYYY-MM.xml``, gzip for even months (``.xml.gz``, served as the file it is,
  ``application/gzip``, no content coding): every post of the month, newest first within a
  day, ``lastmod`` its publication time, except every seventh post (by id), edited the next
  morning: its ``lastmod`` is the next day's 09:00, a hint one day late;
- ``/news-sitemap.xml``: Google News, the posts of the span's last two days, with
  ``news:publication_date`` and ``news:title``.

Private posts are listed too (sites do): robots.txt keeps a polite reader off them.
``sitemap_expected`` is what a correct reader of a date range stores, with the post pages read
by ``ARTICLE_SELECTORS`` (``without_post_footer`` the one difference allowed).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from xml.sax.saxutils import escape

from ingest.sample_site.article import SampleArticle
from ingest.sample_site.server import Response
from tests.support.sample_site.content import (
    SITE_TZ,
    ExpectedRecord,
    SampleSite,
    dedupe,
    expected_record,
)
from tests.support.sample_site.flavours import wordpress_path

INDEX_PATH = "/sitemap_index.xml"
NEWS_PATH = "/news-sitemap.xml"
XML_TYPE = "application/xml; charset=UTF-8"
_URLSET = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<urlset'
    ' xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
)


# The WordPress post page's article, as the selectors layout reads it (a sitemap site's
# ``[site.selectors]``).
ARTICLE_SELECTORS = {
    "article_title": "h1.entry-title",
    "article_body": ".entry-content",
    "article_time": "time.entry-date.published::attr(datetime)",
    "article_category": ".cat-links a",
}


def without_post_footer(body: str) -> str:
    """The body without the theme's post footer, which ``.entry-content`` swallows where
    author HTML leaves a <div> open (the wordpress layout knows this chrome; selectors do not)."""
    paragraphs = body.split("\n\n")
    while paragraphs and paragraphs[-1].startswith(("Categorized as ", "Published ")):
        paragraphs.pop()
    return "\n\n".join(paragraphs)


def month_path(year: int, month: int) -> str:
    suffix = ".xml.gz" if month % 2 == 0 else ".xml"
    return f"/sitemap-posts-{year}-{month:02d}{suffix}"


def published(article: SampleArticle) -> datetime:
    return article.created.replace(tzinfo=SITE_TZ)


def lastmod(site: SampleSite, article: SampleArticle) -> datetime:
    """Its publication time, or the next morning for a post edited then (every seventh, but
    not a story posted twice that day: which of the two a date keeps is then the crawl's
    order, see docs/layouts.md)."""
    stories = [a.story_id for a in site.articles_on(article.day)]
    if article.id % 7 == 0 and stories.count(article.story_id) == 1:
        return datetime.combine(article.day + timedelta(days=1), time(9), SITE_TZ)
    return published(article)


def hint_day(site: SampleSite, article: SampleArticle, span: tuple[date, date]) -> date:
    """The day the sitemaps place the post on: its publication day in the news sitemap (the
    span's last two days, listed first), else its ``lastmod`` day."""
    if article.day >= span[1] - timedelta(days=1):
        return article.day
    return lastmod(site, article).date()


def hideable(site: SampleSite, day: date, span: tuple[date, date]) -> list[int]:
    """Posts of ``day`` (ids) a listing may hide that the sitemaps place on it: public, on
    the site, the day's only copy of their story, and not edited the next morning."""
    posts = site.articles_on(day)
    stories = [a.story_id for a in posts]
    return [
        a.id
        for a in posts
        if not a.private
        and not a.offsite_url
        and stories.count(a.story_id) == 1
        and hint_day(site, a, span) == day
    ]


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _months(span: tuple[date, date]) -> list[tuple[int, int]]:
    return sorted({(d.year, d.month) for d in _days(*span)})


class Sitemaps:
    """One request's view of the site's sitemaps; ``respond`` answers their paths."""

    def __init__(self, site: SampleSite, base_url: str, span: tuple[date, date]) -> None:
        self.site = site
        self.base_url = base_url
        self.span = span

    def respond(self, path: str) -> Response | None:
        if path == INDEX_PATH:
            return Response(200, self._index().encode(), XML_TYPE)
        if path == NEWS_PATH:
            return Response(200, self._news().encode(), XML_TYPE)
        for year, month in _months(self.span):
            if path == month_path(year, month):
                body = self._month(year, month).encode()
                if path.endswith(".gz"):
                    return Response(200, gzip.compress(body, mtime=0), "application/gzip")
                return Response(200, body, XML_TYPE)
        return None

    def url_of(self, article: SampleArticle) -> str:
        slug = self.site.wordpress_slugs(article.day)[article.id]
        return self.base_url + wordpress_path(article, slug)

    def _posts(self, first: date, last: date) -> list[SampleArticle]:
        first, last = max(first, self.span[0]), min(last, self.span[1])
        return [a for day in _days(first, last) for a in self.site.articles_on(day)]

    def _index(self) -> str:
        news = self._posts(self.span[1] - timedelta(days=1), self.span[1])
        refs = [(NEWS_PATH, max((published(a) for a in news), default=None))]
        for year, month in _months(self.span):
            first = date(year, month, 1)
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            changed = max((lastmod(self.site, a) for a in self._posts(first, last)), default=None)
            refs.append((month_path(year, month), changed))
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
        ]
        for path, changed in refs:
            stamp = f"<lastmod>{changed.isoformat()}</lastmod>" if changed else ""
            lines.append(f"<sitemap><loc>{escape(self.base_url + path)}</loc>{stamp}</sitemap>")
        lines.append("</sitemapindex>")
        return "\n".join(lines)

    def _month(self, year: int, month: int) -> str:
        first = date(year, month, 1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        entries = (
            f"<url><loc>{escape(self.url_of(a))}</loc>"
            f"<lastmod>{lastmod(self.site, a).isoformat()}</lastmod></url>"
            for a in self._posts(first, last)
        )
        return _URLSET + "\n".join(entries) + "</urlset>"

    def _news(self) -> str:
        posts = self._posts(self.span[1] - timedelta(days=1), self.span[1])
        entries = (
            f"<url><loc>{escape(self.url_of(a))}</loc><news:news><news:publication>"
            "<news:name>Syrian Coalition</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{published(a).isoformat()}"
            f"</news:publication_date><news:title>{escape(a.title_html)}</news:title>"
            "</news:news></url>"
            for a in posts
        )
        return _URLSET + "\n".join(entries) + "</urlset>"


def sitemap_expected(
    site: SampleSite, base_url: str, span: tuple[date, date], first: date, last: date
) -> dict[date, list[ExpectedRecord]]:
    """What a correct reader of the sitemaps stores for the dates ``first``..``last``: every
    public post the sitemaps place on one of them, on its own day (one per story and day)."""
    sitemaps = Sitemaps(site, base_url, span)
    by_day: dict[date, list[ExpectedRecord]] = {}
    for day in _days(span[0], span[1]):
        placed = [
            a
            for a in dedupe(site.articles_on(day))
            if not a.private and first <= hint_day(site, a, span) <= last
        ]
        for article in placed:
            record = expected_record(
                article, base_url=base_url, fetch_article_pages=True, flavour="wordpress",
                wordpress_slug=site.wordpress_slugs(day)[article.id],
            )  # fmt: skip
            assert record.url == sitemaps.url_of(article)
            by_day.setdefault(day, []).append(record)
    return by_day
