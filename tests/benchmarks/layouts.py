"""The layouts beyond K2: their pages for the parsing section, and one month crawled through
``wordpress`` (date archives and post pages) against ``wordpress-api`` (one JSON request a day).

Both crawls read the same month of the same site, served from a child process (``served.py``)
with the same latency, under the same politeness settings; each is timed from a fresh database.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from ingest.crawl import CrawlDeps, run_crawl
from ingest.heap import keep_heap_between_pages
from ingest.sites import SiteShape, build_layout, default_listing_path, wordpress_api
from ingest.store.engine import Database
from ingest.store.migrate import upgrade_to_head
from tests.benchmarks.common import Row, bench_settings, quiet_logging
from tests.benchmarks.served import ServedSite
from tests.support.sample_site import SampleSite, SampleSiteServer
from tests.support.sample_site.content import is_fetchable
from tests.support.sample_site.flavours import (
    plain_page_path,
    plain_story_path,
    wordpress_page_path,
    wordpress_path,
)
from tests.support.sample_site.plain import SELECTORS

TZ = ZoneInfo("Asia/Damascus")
Page = tuple[bytes, str]  # body, url
Parser = Callable[[bytes, str], object]


# -- parsing: each layout's pages ---------------------------------------------------------------


@dataclass(frozen=True)
class LayoutParsers:
    listing: Parser
    article: Parser | None


@dataclass
class LayoutCorpus:
    parsers: dict[str, LayoutParsers]
    listings: dict[str, list[Page]] = field(default_factory=dict)
    articles: dict[str, list[Page]] = field(default_factory=dict)
    items_per_listing: dict[str, float] = field(default_factory=dict)


def build_corpus(days: int = 200, articles: int = 300) -> LayoutCorpus:
    """The same days as ``parsing.build_corpus``, in the WordPress, REST API and plain flavours:
    every listing page (later pages too; the API's one page a day) and on-site article pages."""
    site = SampleSite(seed=0)
    with SampleSiteServer(site) as server:
        base = server.base_url

        def bound(name: str, path: str, options: dict[str, str] | None = None) -> LayoutParsers:
            layout = build_layout(name, SiteShape(base, path, TZ, options or {}))
            return LayoutParsers(
                lambda body, url: layout.parse_listing(body, url, {}),
                (lambda body, url: layout.parse_article(body, url))
                if layout.fetches_article_pages
                else None,
            )

        corpus = LayoutCorpus(
            {
                "wordpress": bound("wordpress", server.wordpress_listing_path),
                "wordpress-api": bound("wordpress-api", server.api_path),
                "selectors": bound("selectors", server.plain_listing_path, SELECTORS),
            }
        )
        listings: dict[str, list[Page]] = {name: [] for name in corpus.parsers}
        pages: dict[str, list[Page]] = {"wordpress": [], "selectors": []}
        posts = 0

        def get(path: str) -> bytes:
            return server.respond(path, {}).body

        for n in range(days):
            day = date(2020, 1, 1) + timedelta(days=n)
            items = site.articles_on(day)
            page_count = -(-len(items) // site.page_size)
            for page in range(1, page_count + 1):
                for name, path in (
                    ("wordpress", wordpress_page_path(day, page)),
                    ("selectors", plain_page_path(day, page)),
                ):
                    listings[name].append((get(path), base + path))
            if not items:  # an empty WordPress day is a 404: nothing to parse
                path = plain_page_path(day, 1)
                listings["selectors"].append((get(path), base + path))
            api = wordpress_api.listing_url(server.api_path, day)
            listings["wordpress-api"].append((get(api), base + api))
            posts += len(items)
            slugs = site.wordpress_slugs(day)
            for article in items:
                if len(pages["wordpress"]) < articles and not article.private:
                    path = wordpress_path(article, slugs[article.id])
                    pages["wordpress"].append((get(path), base + path))
                if len(pages["selectors"]) < articles and is_fetchable(article):
                    path = plain_story_path(article)
                    pages["selectors"].append((get(path), base + path))
    corpus.listings, corpus.articles = listings, pages
    corpus.items_per_listing["wordpress-api"] = posts / days
    return corpus


# -- one month through wordpress and wordpress-api -----------------------------------------------

LATENCY = 0.02
CONCURRENCY = 8
MONTH = (date(2020, 3, 1), date(2020, 3, 31))


@dataclass(frozen=True)
class Crawl:
    wall: float
    requests: int
    stored: int


WordPressLayout = Literal["wordpress", "wordpress-api"]


def crawl_month(layout: WordPressLayout, workdir: Path) -> Crawl:
    first, last = MONTH
    with ServedSite(0, LATENCY, first, last, flavours=(layout,)) as server:
        settings = bench_settings(
            server.base_url,
            default_listing_path(layout) or "",
            workdir / f"{layout}.db",
            concurrency=CONCURRENCY,
            layout=layout,
        )
        database = Database.from_url(settings.database.url)
        upgrade_to_head(database.engine)
        server.take_requested_paths()
        started = time.perf_counter()
        summary = run_crawl(settings.site, first, last, CrawlDeps(database))
        wall = time.perf_counter() - started
        requests = [p for p in server.take_requested_paths() if p != "/robots.txt"]
        database.dispose()
    assert summary.status.value == "succeeded", summary
    return Crawl(wall, len(requests), summary.counts.articles_new)


def run(repetitions: int = 3) -> list[Row]:
    quiet_logging()
    results: dict[WordPressLayout, list[Crawl]] = {"wordpress": [], "wordpress-api": []}
    for n in range(repetitions):
        for layout, runs in results.items():
            with tempfile.TemporaryDirectory(prefix=f"ingest-bench-{layout}{n}-") as tmp:
                runs.append(crawl_month(layout, Path(tmp)))
    html, api = results["wordpress"], results["wordpress-api"]
    html_wall = statistics.median(r.wall for r in html)
    api_wall = statistics.median(r.wall for r in api)
    stored = {r.stored for r in html + api}
    span = f"{MONTH[0]}..{MONTH[1]}"
    return [
        Row(
            "layouts",
            f"{span}, 20 ms/response, concurrency 8: wordpress / wordpress-api requests",
            f"{html[0].requests:,} / {api[0].requests:,}",
        ),
        Row(
            "layouts",
            "api requests / html requests",
            f"{api[0].requests / html[0].requests:.3f}",
        ),
        Row(
            "layouts",
            f"wall time, median of {repetitions}: wordpress / wordpress-api",
            f"{html_wall:.2f} s / {api_wall:.2f} s",
        ),
        Row("layouts", "api wall / html wall", f"{api_wall / html_wall:.2f}"),
        Row(
            "layouts",
            "articles stored: wordpress / wordpress-api",
            f"{html[0].stored:,} / {api[0].stored:,}",
            "equal",
            len(stored) == 1,
        ),
    ]


if __name__ == "__main__":
    keep_heap_between_pages()
    for row in run(1):
        print(row)
