"""Which pipeline crawls a date: the listing's (``pipeline``), the sitemaps' for the
``sitemap`` layout (``sitemap_day``), either with the site's feed read first when it sets
``feed = true`` (``feed_first``); a listing's compared with the other sources when it sets
``cross_check = true`` (``other_sources``)."""

from __future__ import annotations

from typing import Any

from ingest.feed_first import FeedFirstPipeline, FeedReader
from ingest.fetch import Fetcher
from ingest.other_sources import cross_check_for
from ingest.pipeline import DayPipeline
from ingest.settings import SiteSettings
from ingest.sitemap_day import SitemapDayPipeline
from ingest.sites import Layout
from ingest.sites.sitemap import SitemapLayout
from ingest.store.engine import Database
from ingest.turns import Turns


class _FeedFirstSitemap(FeedFirstPipeline, SitemapDayPipeline):
    """A sitemap site with a feed: the feed first, then the sitemaps."""

    def could_store(self, url: str) -> bool:
        return self.fetcher.may_fetch(url)  # a page it may not read is never stored


def day_pipeline(
    site: SiteSettings, layout: Layout, *args: Any, feed: FeedReader | None = None, **kwargs: Any
) -> DayPipeline:
    """The pipeline that crawls a date of ``site`` with ``layout`` (``DayPipeline``'s
    arguments); ``feed``: the run's read of the site's feed (``feed_reader``), for a site
    with ``feed = true``."""
    sitemap = isinstance(layout, SitemapLayout)
    if not site.feed:
        kind = SitemapDayPipeline if sitemap else DayPipeline
        return kind(site, layout, *args, **kwargs)
    first = (_FeedFirstSitemap if sitemap else FeedFirstPipeline)(site, layout, *args, **kwargs)
    first.feed = feed or feed_reader(site, first.fetcher, first.turns)
    return first


def run_sources(
    site: SiteSettings, fetcher: Fetcher, turns: Turns, database: Database
) -> dict[str, Any]:
    """What a run's pipelines share (``day_pipeline``'s ``feed`` and ``cross_check``): the
    feed and the other sources, each read once a run by whichever date asks first."""
    feed = feed_reader(site, fetcher, turns) if site.feed else None
    return {"feed": feed, "cross_check": cross_check_for(site, fetcher, turns, database, feed)}


def feed_reader(site: SiteSettings, fetcher: Fetcher, turns: Turns) -> FeedReader:
    """The run's read of ``site``'s feed: once a run, whoever asks first (the feed-first
    check, the cross-check)."""
    return FeedReader(site.base_url.rstrip("/") + site.feed_path, fetcher, turns, site.timezone)
