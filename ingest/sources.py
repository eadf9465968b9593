"""Which pipeline crawls a date: the listing's (``pipeline``), the sitemaps' for the
``sitemap`` layout (``sitemap_day``), either with the site's feed read first when it sets
``feed = true`` (``feed_first``)."""

from __future__ import annotations

from typing import Any

from ingest.feed_first import FeedFirstPipeline, FeedReader
from ingest.pipeline import DayPipeline
from ingest.settings import SiteSettings
from ingest.sitemap_day import SitemapDayPipeline
from ingest.sites import Layout
from ingest.sites.sitemap import SitemapLayout


class _FeedFirstSitemap(FeedFirstPipeline, SitemapDayPipeline):
    """A sitemap site with a feed: the feed first, then the sitemaps."""

    def could_store(self, url: str) -> bool:
        return self.fetcher.may_fetch(url)  # a page it may not read is never stored


def day_pipeline(site: SiteSettings, layout: Layout, *args: Any, **kwargs: Any) -> DayPipeline:
    """The pipeline that crawls a date of ``site`` with ``layout`` (``DayPipeline``'s
    arguments)."""
    sitemap = isinstance(layout, SitemapLayout)
    if not site.feed:
        kind = SitemapDayPipeline if sitemap else DayPipeline
        return kind(site, layout, *args, **kwargs)
    first = (_FeedFirstSitemap if sitemap else FeedFirstPipeline)(site, layout, *args, **kwargs)
    url = site.base_url.rstrip("/") + site.feed_path
    first.feed = FeedReader(url, first.fetcher, first.turns, site.timezone)
    return first
