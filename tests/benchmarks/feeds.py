"""Feed parsing: fastfeedparser (``ingest/sites/feed.py``) against feedparser, the reference,
on a 50-item RSS 2.0 feed with full content (``content:encoded``, as WordPress serves it) and a
50-entry Atom feed; CPU (``process_time``) per feed, 20 parses a round, median of 5 rounds,
the parsers alternating. Both must find the same links and instants.

``python -m tests.benchmarks.feeds`` runs it alone.
"""

from __future__ import annotations

import calendar
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

from tests.benchmarks.common import Row

ITEMS = 50
_START = datetime(2020, 2, 1, 10, tzinfo=timezone(timedelta(hours=2)))


def rss() -> bytes:
    body = "<p>" + "A paragraph of the story, as the feed carries it whole. " * 40 + "</p>"
    items = "".join(
        f"<item><title>Story {i} &amp; more</title>"
        f"<link>https://news.example.org/2020/02/01/story-{i}/</link>"
        f"<pubDate>{format_datetime(_START - timedelta(hours=i))}</pubDate>"
        f'<guid isPermaLink="false">https://news.example.org/?p={i}</guid>'
        f"<description><![CDATA[<p>The excerpt of story {i}.</p>]]></description>"
        f"<content:encoded><![CDATA[{body}]]></content:encoded>"
        "<category><![CDATA[News]]></category></item>"
        for i in range(ITEMS)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>X</title>'
        f"<link>https://news.example.org</link>{items}</channel></rss>"
    ).encode()


def atom() -> bytes:
    entries = "".join(
        f'<entry><title>Story {i}</title><link rel="alternate" href="https://news.example.org/s-{i}/"/>'
        f"<id>tag:x,{i}</id><published>{(_START - timedelta(hours=i)).isoformat()}</published>"
        f"<updated>{(_START - timedelta(hours=i)).isoformat()}</updated>"
        f"<summary>The excerpt of story {i}.</summary></entry>"
        for i in range(ITEMS)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>X</title><id>x</id><updated>2020-02-01T10:00:00Z</updated>{entries}</feed>"
    ).encode()


def _feedparser(data: bytes) -> list[tuple[str, datetime]]:
    import feedparser

    parsed: Any = feedparser.parse(data)
    return [
        (e.link, datetime.fromtimestamp(calendar.timegm(e.published_parsed), UTC))
        for e in parsed.entries
    ]


def _ingest(data: bytes) -> list[tuple[str, datetime]]:
    from ingest.sites.feed import parse_feed

    return [(i.url, i.published) for i in parse_feed(data, "https://x/feed/", UTC) if i.published]


def run() -> list[Row]:
    parsers: dict[str, Callable[[bytes], list[tuple[str, datetime]]]] = {
        "ingest (fastfeedparser)": _ingest,
        "feedparser": _feedparser,
    }
    rows = []
    for kind, data in (("RSS 2.0, full content", rss()), ("Atom", atom())):
        results = {name: parse(data) for name, parse in parsers.items()}
        same = results["ingest (fastfeedparser)"] == results["feedparser"]
        assert len(results["feedparser"]) == ITEMS
        times: dict[str, list[float]] = {name: [] for name in parsers}
        for _ in range(5):
            for name, parse in parsers.items():
                started = time.process_time()
                for _ in range(20):
                    parse(data)
                times[name].append((time.process_time() - started) / 20 * 1000)
        ms = {name: statistics.median(values) for name, values in times.items()}
        ours, theirs = ms["ingest (fastfeedparser)"], ms["feedparser"]
        rows.append(
            Row(
                "feeds",
                f"{ITEMS}-item {kind} ({len(data) // 1024} KiB): CPU per feed, ingest / feedparser",
                f"{ours:.2f} ms / {theirs:.2f} ms ({theirs / ours:.0f}x); same items: {same}",
                "same items",
                same,
            )
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
