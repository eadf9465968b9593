"""The sitemap layout's costs.

1. A 50,000-URL sitemap index (five children of 10,000 URLs, gzip and plain alternating, plus
   the index) read through the fetcher by the run's ``SitemapReader``, as a crawl of one date
   reads it, in a fresh interpreter serving the files from a thread: URLs per second (wall)
   and the process's peak RSS (``VmHWM``). Beside it, ultimate-sitemap-parser's own XML
   parser over the same bytes, already in memory (its web client is synchronous, so it could
   not drive our fetcher): the figure the choice of an own expat reader rests on.
2. CPU per article page: the sample site's WordPress post pages (Twenty Twenty-One markup)
   read by the sitemap layout without selectors (JSON-LD/OpenGraph/<time> and trafilatura),
   with the site's article selectors (the ``selectors`` layout's ``parse_article``), and by
   the ``wordpress`` layout; ``process_time`` per page, alternating, median of 5.

``python -m tests.benchmarks.sitemap`` runs it alone; ``… index`` is the first part's child.
"""

from __future__ import annotations

import gzip
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

from tests.benchmarks.common import Row, quiet_logging

CHILDREN, PER_CHILD = 5, 10_000
DAY = date(2020, 2, 1)


def _status_kib(name: str) -> int:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {name} in /proc/self/status (Linux only)")


def _urlset(base: str, child: int) -> bytes:
    entries = "".join(
        f"<url><loc>{base}/2020/{1 + n % 12:02d}/{1 + n % 28:02d}/story-{child}-{n}/</loc>"
        f"<lastmod>2020-{1 + n % 12:02d}-{1 + n % 28:02d}T10:{n % 60:02d}:00+02:00</lastmod></url>"
        for n in range(PER_CHILD)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    ).encode()


def _files(base: str) -> dict[str, bytes]:
    files: dict[str, bytes] = {"/robots.txt": b"User-agent: *\nDisallow: /private/\n"}
    refs = []
    for child in range(CHILDREN):
        body = _urlset(base, child)
        path = f"/posts-{child}.xml" + (".gz" if child % 2 else "")
        files[path] = gzip.compress(body, mtime=0) if child % 2 else body
        refs.append(f"<sitemap><loc>{base}{path}</loc><lastmod>2020-12-31</lastmod></sitemap>")
    files["/sitemap_index.xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex'
        f' xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{"".join(refs)}</sitemapindex>'
    ).encode()
    return files


def child_index() -> None:
    """Serve the index from a thread, read it through the fetcher, print the figures."""
    import asyncio

    from ingest.fetch import Fetcher
    from ingest.settings import settings_from_mapping
    from ingest.sitemap_day import SitemapReader
    from ingest.sites import build_layout
    from ingest.sites.sitemap import SitemapLayout
    from ingest.turns import Turns

    quiet_logging()
    files: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    files.update(_files(base))
    Thread(target=httpd.serve_forever, daemon=True).start()
    settings = settings_from_mapping(
        {
            "site": {"base_url": base, "layout": "sitemap", "listing_path": "/sitemap_index.xml"},
            "http": {"requests_per_second": 0, "concurrency": 4},
        }
    )
    layout = build_layout("sitemap", settings.site.shape)
    assert isinstance(layout, SitemapLayout)
    turns = Turns()

    async def go() -> int:
        async with Fetcher(settings.site, settings.http) as fetcher:
            await fetcher.load_robots()
            reader = SitemapReader(layout, fetcher, turns)
            return len(await reader.entries_on(DAY))

    before = _status_kib("VmRSS")
    started = time.perf_counter()
    placed = asyncio.run(go())
    wall = time.perf_counter() - started
    turns.close()
    result = {"wall": wall, "placed": placed, "before_kib": before, "peak_kib": 0}
    result["peak_kib"] = _status_kib("VmHWM")
    usp = _usp_seconds([files[f"/posts-{c}.xml"] for c in range(0, CHILDREN, 2)])
    result["usp_urls_per_s"] = usp
    print(json.dumps(result))
    httpd.shutdown()


def _usp_seconds(bodies: list[bytes]) -> float | None:
    """URLs per second of usp's XML parser over ``bodies`` (None without usp installed)."""
    try:
        from usp.fetch_parse import XMLSitemapParser
        from usp.web_client.abstract_client import LocalWebClient
    except ImportError:
        return None
    started, urls = time.perf_counter(), 0
    for body in bodies:
        parsed = XMLSitemapParser(
            url="http://x/s.xml", content=body.decode(), recursion_level=0,
            web_client=LocalWebClient(), parent_urls=set(),
        ).sitemap()  # fmt: skip
        urls += sum(1 for _ in parsed.all_pages())
    return urls / (time.perf_counter() - started)


def _index_rows() -> list[Row]:
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.sitemap", "index"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    result = json.loads(out.strip().splitlines()[-1])
    urls = CHILDREN * PER_CHILD
    peak, growth = result["peak_kib"] / 1024, (result["peak_kib"] - result["before_kib"]) / 1024
    rows = [
        Row(
            "sitemap",
            f"{urls:,}-URL index ({CHILDREN} children, gzip and plain) through the fetcher: URLs/s",
            f"{urls / result['wall']:,.0f} ({CHILDREN + 1} files in {result['wall']:.2f} s)",
        ),
        Row(
            "sitemap",
            "same: peak RSS of the process (VmHWM), growth over the RSS before",
            f"{peak:.0f} MiB (+{growth:.0f})",
        ),
    ]
    if result["usp_urls_per_s"]:
        rows.append(
            Row(
                "sitemap",
                "ultimate-sitemap-parser's XML parser, same files in memory: URLs/s",
                f"{result['usp_urls_per_s']:,.0f}",
            )
        )
    return rows


def _article_rows() -> list[Row]:
    from zoneinfo import ZoneInfo

    from ingest.sites import build_layout
    from ingest.sites.base import SiteShape
    from ingest.sites.wordpress import parse_article as wordpress_article
    from tests.support.sample_site import SampleSite, SampleSiteServer

    quiet_logging()
    tz = ZoneInfo("Asia/Damascus")
    selectors = {
        "article_title": "h1.entry-title",
        "article_body": ".entry-content",
        "article_time": "time.entry-date.published::attr(datetime)",
        "article_category": ".cat-links a",
    }
    pages: list[tuple[str, bytes]] = []
    site = SampleSite(seed=0)
    with SampleSiteServer(site, sitemap_only=True) as server:
        day = date(2020, 2, 1)
        while len(pages) < 300:
            slugs = site.wordpress_slugs(day)
            for article in site.articles_on(day):
                if not article.private:
                    path = f"/{day.year}/{day.month:02d}/{day.day:02d}/{slugs[article.id]}/"
                    pages.append((server.base_url + path, server.respond(path, {}).body))
            day = date.fromordinal(day.toordinal() + 1)
    pages = pages[:300]
    generic = build_layout("sitemap", SiteShape("http://x", "/s.xml", tz, {}))
    with_selectors = build_layout("sitemap", SiteShape("http://x", "/s.xml", tz, selectors))
    parsers: dict[str, Callable[[bytes, str], object]] = {
        "generic": lambda body, url: generic.parse_article(body, url),
        "selectors": lambda body, url: with_selectors.parse_article(body, url),
        "wordpress": lambda body, url: wordpress_article(body, url, tz),
    }
    for parse in parsers.values():  # warm-up: trafilatura's imports and caches
        for url, body in pages[:20]:
            parse(body, url)
    times: dict[str, list[float]] = {name: [] for name in parsers}
    for _ in range(5):
        for name, parse in parsers.items():
            started = time.process_time()
            for url, body in pages:
                parse(body, url)
            times[name].append((time.process_time() - started) / len(pages) * 1000)
    ms = {name: statistics.median(values) for name, values in times.items()}
    return [
        Row(
            "sitemap",
            f"article page CPU, {len(pages)} WordPress posts: generic (metadata + trafilatura)",
            f"{ms['generic']:.2f} ms/page ({ms['generic'] / ms['selectors']:.0f}x selectors)",
        ),
        Row("sitemap", "same: article selectors (selectors layout's parse_article)",
            f"{ms['selectors']:.2f} ms/page"),
        Row("sitemap", "same: wordpress layout's parse_article", f"{ms['wordpress']:.2f} ms/page"),
    ]  # fmt: skip


def run() -> list[Row]:
    return _index_rows() + _article_rows()


if __name__ == "__main__":
    if sys.argv[1:] == ["index"]:
        child_index()
    else:
        for row in run():
            print(row)
