"""The CPU benchmark's backfill written as a Scrapy 2.19 user would write it, for issue 14's
"wall time of ``ingest backfill`` <= 0.8x Scrapy's on the same site".

Run as ``python tests/benchmarks/scrapy_crawl.py BASE_URL LISTING_PATH WORKDIR FIRST LAST
CONCURRENCY`` (a child of ``cpu.py``, by the interpreter of its own virtual environment, which
holds only Scrapy: Twisted installed beside ingest would be imported by every ``import
structlog`` and slow every ingest command's start-up): it crawls the K2 sample site's days
FIRST..LAST the way
``ingest backfill`` does (each day's listing, its "Next" pages, the page of every on-site,
robots-allowed article; a repost of a title already listed that day is not followed, as
ingest's per-day dedupe does not fetch it), reads the fields ``ingest.sites.k2`` reads with
parsel selectors, and stores one row per article in SQLite through an item pipeline. It
prints one JSON line: ``{"cpu": s, "wall": s, "thread_cpu": s, "items": n}``.

``cpu`` is the process's CPU time (``time.process_time``: user + system of every thread, since
Scrapy resolves host names on a thread pool) and ``wall`` the wall time, both from the
``spider_opened`` signal (engine, middlewares and the pipeline's database already open) to
``spider_closed`` (pipeline closed); interpreter start, imports and reactor set-up are left
out. ``thread_cpu`` is the reactor thread's own ``thread_time`` over the same span, the
measure ingest's crawl child reports, for comparison.
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import time
import unicodedata
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import AsyncCrawlerProcess, Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response
from twisted.python.failure import Failure

# "Wednesday, 01 January 2020 21:33" on article pages, "01 January 2020" on listings.
_CREATED = re.compile(r"(\d{1,2}) ([A-Za-z]+) (\d{4})(?: (\d{1,2}):(\d{2}))?")
# Text outside <script> and <style>: those hold code, not article text.
_TEXT = ".//text()[not(ancestor::script or ancestor::style)]"
# The intro's text, except a full text that an unclosed <div> in the intro nests inside it
# (the sample site's author HTML does that): it is read once, from .itemFullText.
_INTRO_TEXT = (
    ".//text()[not(ancestor::script or ancestor::style"
    " or ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' itemFullText ')])]"
)
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_PLAIN = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'} | dict.fromkeys(_DASHES, "-")
)


def clean(text: str) -> str:
    """Runs of whitespace (NBSP included) to one space, trimmed."""
    return " ".join(text.split())


def title_key(title: str) -> str:
    """Reposts differ in spacing, case, quotes and dashes: compare titles without those."""
    return clean(unicodedata.normalize("NFKC", title).translate(_PLAIN)).casefold()


def paragraphs(texts: list[str]) -> str:
    """Every non-blank text node as a paragraph, blank ones dropped."""
    return "\n\n".join(line for line in map(clean, texts) if line)


def created(text: str | None) -> str | None:
    """The ISO form of a K2 "created" text (site-local time), None when there is none."""
    found = _CREATED.search(text or "")
    if found is None:
        return None
    day, month, year, hour, minute = found.groups()
    try:
        moment = datetime.strptime(f"{day} {month} {year}", "%d %B %Y")
    except ValueError:
        return None
    if hour is None:
        return moment.date().isoformat()
    return moment.replace(hour=int(hour), minute=int(minute)).isoformat(timespec="minutes")


class K2Spider(scrapy.Spider):
    name = "k2"

    def __init__(
        self, base_url: str, listing_path: str, first: date, last: date, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.listing_path = listing_path
        self.first, self.last = first, last
        self.host = urlsplit(base_url).netloc
        # Title keys already followed, per day: the first post of a story wins, as in ingest.
        self.seen: dict[date, set[str]] = {}

    async def start(self) -> AsyncIterator[Any]:
        day = self.first
        while day <= self.last:
            path = self.listing_path.format(year=day.year, month=day.month, day=day.day, date=day)
            yield scrapy.Request(
                self.base_url + path, callback=self.parse_listing, cb_kwargs={"day": day}
            )
            day += timedelta(days=1)

    def parse_listing(self, response: Response, day: date) -> Iterator[Any]:
        seen = self.seen.setdefault(day, set())
        for entry in response.css("#k2Container div.genericItemView"):
            link = entry.css(".genericItemTitle a")[:1]
            title = clean("".join(link.css("::text").getall()))
            href = link.attrib.get("href", "").strip()
            if not title or not href:
                continue
            key = title_key(title)
            if key in seen:
                continue
            seen.add(key)
            url = response.urljoin(href)
            item: dict[str, Any] = {
                "date": day.isoformat(),
                "title": title,
                "title_key": key,
                "url": url,
                "category": clean(entry.css(".genericItemCategory a::text").get("")),
                "body": paragraphs(entry.css(".genericItemIntroText")[:1].xpath(_TEXT).getall()),
                "published": None,
            }
            if urlsplit(url).netloc != self.host:
                yield item  # off-site: the listing's intro is all there is
                continue
            # A page robots.txt disallows is never requested (RobotsTxtMiddleware), nor is a
            # failed one stored: the errback stores the listing's intro instead.
            yield scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.article_failed,
                cb_kwargs={"item": item},
            )
        next_href = response.css("div.k2Pagination li.pagination-next a::attr(href)").get()
        if next_href:
            yield response.follow(next_href, callback=self.parse_listing, cb_kwargs={"day": day})

    def parse_article(self, response: Response, item: dict[str, Any]) -> Iterator[Any]:
        container = response.css("#k2Container")
        intro = container.css(".itemIntroText").xpath(_INTRO_TEXT)
        full = container.css(".itemFullText").xpath(_TEXT)
        body = paragraphs(intro.getall() + full.getall())
        if body:
            item["body"] = body
        item["published"] = created(container.css(".itemDateCreated::text").get())
        yield item

    def article_failed(self, failure: Failure) -> Iterator[Any]:
        yield failure.request.cb_kwargs["item"]  # type: ignore[attr-defined]


class SqlitePipeline:
    """One row per article, deduplicated by (date, title key), committed per item."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.connection: sqlite3.Connection | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SqlitePipeline:
        return cls(crawler.settings["SQLITE_PATH"])

    def open_spider(self) -> None:
        self.connection = sqlite3.connect(self.path)
        # ingest's SQLite settings (ingest.store.engine): WAL, no fsync per commit.
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS articles ("
            " id INTEGER PRIMARY KEY, date TEXT NOT NULL, title TEXT NOT NULL,"
            " title_key TEXT NOT NULL, url TEXT NOT NULL, category TEXT, body TEXT NOT NULL,"
            " published TEXT, UNIQUE (date, title_key))"
        )
        self.connection.commit()

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        assert self.connection is not None
        stored = self.connection.execute(
            "INSERT OR IGNORE INTO articles (date, title, title_key, url, category, body,"
            " published) VALUES (:date, :title, :title_key, :url, :category, :body, :published)",
            item,
        )
        self.connection.commit()
        if stored.rowcount == 0:
            raise DropItem(f"already stored: {item['date']} {item['title']!r}")
        return item

    def close_spider(self) -> None:
        if self.connection is not None:
            self.connection.close()


class Span:
    """CPU and wall time from ``spider_opened`` to ``spider_closed``."""

    def __init__(self) -> None:
        self.started = self.ended = (0.0, 0.0, 0.0)

    @staticmethod
    def now() -> tuple[float, float, float]:
        return time.process_time(), time.thread_time(), time.perf_counter()

    def opened(self) -> None:
        self.started = self.now()

    def closed(self) -> None:
        self.ended = self.now()


def main(
    base_url: str, listing_path: str, workdir: str, first: date, last: date, concurrency: int
) -> None:
    database = Path(workdir) / "scrapy.db"
    process = AsyncCrawlerProcess(
        {
            "CONCURRENT_REQUESTS": concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
            "DOWNLOAD_DELAY": 0,
            "ROBOTSTXT_OBEY": True,  # ingest obeys robots.txt
            "AUTOTHROTTLE_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "INFO",  # ingest logs INFO, to a file
            "LOG_FILE": str(Path(workdir) / "scrapy.log"),
            "ITEM_PIPELINES": {SqlitePipeline: 300},
            "SQLITE_PATH": str(database),
        }
    )
    span = Span()
    crawler = process.create_crawler(K2Spider)
    crawler.signals.connect(span.opened, signal=signals.spider_opened)
    crawler.signals.connect(span.closed, signal=signals.spider_closed)
    process.crawl(crawler, base_url=base_url, listing_path=listing_path, first=first, last=last)
    process.start()
    with sqlite3.connect(database) as connection:
        (items,) = connection.execute("SELECT count(*) FROM articles").fetchone()
    (cpu0, thread0, wall0), (cpu1, thread1, wall1) = span.started, span.ended
    span_of = {"cpu": cpu1 - cpu0, "wall": wall1 - wall0, "thread_cpu": thread1 - thread0}
    print(json.dumps({**span_of, "items": items}))


if __name__ == "__main__":
    base, listing, work, first_day, last_day, slots = sys.argv[1:7]
    main(
        base, listing, work, date.fromisoformat(first_day), date.fromisoformat(last_day), int(slots)
    )
