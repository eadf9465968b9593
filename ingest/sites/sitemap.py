"""Sites without date archives, read through their sitemaps (``layout = "sitemap"``).

``listing_path`` is the sitemap (or sitemap index) the run starts from, ``/sitemap.xml`` by
default (WordPress core: ``/wp-sitemap.xml``; Yoast: ``/sitemap_index.xml``). Sitemaps are read
by ``sitemap_xml`` (indexes, gzip, ``lastmod``, Google News ``publication_date``); the crawl of a
day (``ingest/sitemap_day.py``) fetches the pages the sitemaps place on that day and files each
article under its own page's date.

Article pages are read with the site's ``[sites.selectors]`` article keys (``article_title``,
``article_body``, ``article_time``, ``article_time_format``, ``article_category``) when it gives
``article_body``, else from their standard metadata and trafilatura's main text
(``article_meta``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from ingest.errors import ParseError
from ingest.sites.article_meta import parse_generic_article
from ingest.sites.base import ArticlePage, ListingItem, ListingPage, Markup, SiteShape
from ingest.sites.selector_rules import Rules, parse_rules
from ingest.sites.selectors import parse_article as parse_with_selectors
from ingest.sites.sitemap_xml import SitemapFile, parse_sitemap

DEFAULT_LISTING_PATH = "/sitemap.xml"
ARTICLE_KEYS = frozenset(
    {"article_title", "article_body", "article_time", "article_time_format", "article_category"}
)
ACCEPT = "application/xml,text/xml;q=0.9,*/*;q=0.5"


@dataclass(frozen=True, slots=True)
class SitemapLayout:
    """The sitemap layout bound to one site (its sitemap and, optionally, article selectors)."""

    shape: SiteShape
    rules: Rules | None
    fetches_article_pages: bool = True
    reads_missing_day: bool = False
    # Each article is filed under its own day; a sitemap entry's day is a hint.
    item_day_decides: bool = True
    index_url: str | None = None
    accept: str = ACCEPT

    @property
    def sitemap_url(self) -> str:
        return self.shape.base_url.rstrip("/") + self.shape.listing_path

    def listing_url(self, day: date) -> str:
        """The sitemap the run starts from, whatever the day: the sitemaps say which pages
        belong to which day."""
        return self.sitemap_url

    def parse_sitemap(self, markup: Markup, url: str) -> SitemapFile:
        data = markup.encode() if isinstance(markup, str) else markup
        return parse_sitemap(data, url)

    def parse_listing(self, markup: Markup, url: str, headers: Mapping[str, str]) -> ListingPage:
        """One sitemap file as a listing (``ingest inspect``): each entry an item, on its
        hint day; an index lists its child sitemaps as items without a day."""
        found = self.parse_sitemap(markup, url)
        if found.index:
            items = tuple(
                ListingItem(title=f"sitemap {ref.url}", url=ref.url, category=None, text="",
                            day=None)
                for ref in found.children
            )  # fmt: skip
        else:
            tz = self.shape.tz
            items = tuple(
                ListingItem(title=entry.title or entry.url, url=entry.url, category=None,
                            text="", day=entry.hint_day(tz))
                for entry in found.entries
            )  # fmt: skip
        return ListingPage(url=url, items=items, next_url=None)

    def parse_article(self, markup: Markup, url: str) -> ArticlePage:
        if self.rules is not None:
            return parse_with_selectors(markup, url, self.rules, self.shape.tz)
        return parse_generic_article(markup, url, self.shape.tz)

    def refusal(self, status: int) -> str | None:
        return None

    def missing_day(self, markup: Markup, url: str) -> ListingPage:
        raise ParseError(f"{url}: the sitemap is missing (404)")

    def check_index(self, markup: Markup, url: str) -> str | None:
        return None


def build(shape: SiteShape) -> SitemapLayout:
    """Checks ``listing_path`` (a path, not naming the day) and the selectors: only the
    article keys, ``article_body`` among them when any is given."""
    path = shape.listing_path
    if not path.startswith("/") or "{" in path:
        raise ValueError(
            f"listing_path is the sitemap's path (such as {DEFAULT_LISTING_PATH!r}), not {path!r}"
        )
    options = dict(shape.options)
    for key in options:
        if key not in ARTICLE_KEYS:
            raise ValueError(f"selectors.{key}: the sitemap layout reads only the article keys")
    if not options:
        return SitemapLayout(shape, None)
    if "article_body" not in options:
        raise ValueError("selectors.article_body: required with the other article keys")
    # parse_rules checks every key as the selectors layout does; its listing keys are unused.
    rules = parse_rules({"item": "body", "title": "title", **options})
    return SitemapLayout(shape, rules)
