"""Feeds read purely: RSS 2.0 and Atom items with their links, titles and days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from ingest.errors import ParseError
from ingest.sites.feed import FeedItem, parse_feed

DAMASCUS = ZoneInfo("Asia/Damascus")
RSS = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>X</title>
<item><title>Caf&#233; &amp;  more</title><link>https://news.example.org/a/</link>
<pubDate>Sat, 01 Feb 2020 23:30:00 +0000</pubDate></item>
<item><title>No link</title><pubDate>Sat, 01 Feb 2020 10:00:00 +0000</pubDate></item>
<item><title>Undated</title><link>https://news.example.org/b/</link></item>
</channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>X</title><id>x</id><updated>2020-02-01T10:00:00Z</updated>
<entry><title>Atom one</title><link rel="alternate" href="https://news.example.org/c/"/>
<id>tag:x,1</id><updated>2020-02-01T09:00:00+02:00</updated></entry></feed>"""


def test_rss_items_with_their_day_on_the_site_calendar() -> None:
    """An item without a link is dropped; one without a date is kept, undated."""
    items = parse_feed(RSS, "https://news.example.org/feed/", DAMASCUS)
    assert items == (
        FeedItem("https://news.example.org/a/", "Caf\u00e9 & more",
                 datetime(2020, 2, 1, 23, 30, tzinfo=UTC)),
        FeedItem("https://news.example.org/b/", "Undated", None),
    )  # fmt: skip
    assert items[0].day(DAMASCUS) == date(2020, 2, 2)
    assert items[0].day(UTC) == date(2020, 2, 1)
    assert items[1].day(DAMASCUS) is None


def test_atom_entries() -> None:
    (item,) = parse_feed(ATOM, "https://news.example.org/feed/atom/", DAMASCUS)
    assert (item.url, item.title) == ("https://news.example.org/c/", "Atom one")
    assert item.published == datetime(2020, 2, 1, 7, tzinfo=UTC)


def test_a_page_that_is_no_feed_is_refused() -> None:
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(b"<html><body><p>Not found</p></body></html>", "https://x/feed/", UTC)
