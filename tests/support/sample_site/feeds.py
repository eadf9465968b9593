"""The sample site's RSS 2.0 feed, ``/feed/``, as WordPress serves it: the ``FEED_SIZE``
newest posts up to the server's ``feed_day`` (the site's "today"; None: no feed, 404), newest
first, each with its permalink, title and ``pubDate``."""

from __future__ import annotations

from datetime import date, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from ingest.sample_site.content import title_text
from ingest.sample_site.server import Response
from tests.support.sample_site.content import SITE_TZ, SampleSite
from tests.support.sample_site.flavours import wordpress_path

FEED_PATH = "/feed/"
FEED_SIZE = 10
RSS_TYPE = "application/rss+xml; charset=UTF-8"


def feed_response(site: SampleSite, base_url: str, feed_day: date | None) -> Response | None:
    """The feed, or None without a ``feed_day``."""
    if feed_day is None:
        return None
    posts = []
    day = feed_day
    while len(posts) < FEED_SIZE and day > feed_day - timedelta(days=60):
        slugs = site.wordpress_slugs(day)
        posts += [(a, slugs[a.id]) for a in site.articles_on(day)]
        day -= timedelta(days=1)
    items = "".join(
        f"<item><title>{escape(title_text(a))}</title>"
        f"<link>{escape(base_url + wordpress_path(a, slug))}</link>"
        f"<pubDate>{format_datetime(a.created.replace(tzinfo=SITE_TZ))}</pubDate>"
        f'<guid isPermaLink="false">{base_url}/?p={a.id}</guid></item>'
        for a, slug in posts[:FEED_SIZE]
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Syrian Coalition</title><link>{base_url}</link>{items}</channel></rss>"
    )
    return Response(200, body.encode(), RSS_TYPE)
