"""End to end: a two-year backfill of the sample site with 20 ms latency per response, and the
re-run of the same range (every date complete). The site is served from a child process.

Baselines: the same requests replayed with bare httpx (same limits, same concurrency, bodies
read, nothing parsed or stored), and over raw sockets with hand-written HTTP/1.1 (the floor of
this server and machine): how close to the bound the HTTP client alone, and nothing at all, gets.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx

from ingest.crawl import CrawlDeps, RunSummary, dates_between, run_crawl
from ingest.domain import RunKind
from ingest.heap import keep_heap_between_pages
from ingest.store.engine import Database
from ingest.store.migrate import upgrade_to_head
from tests.benchmarks.common import Row, bench_settings, get_all, quiet_logging
from tests.benchmarks.served import ServedSite
from tests.support.sample_site import SampleSite

LATENCY = 0.02
CONCURRENCY = 8
FIRST, LAST = date(2019, 1, 1), date(2020, 12, 31)
# An unchanged window inside the backfilled range, crawled again with conditional GET.
WINDOW = (date(2020, 12, 29), LAST)


@dataclass(frozen=True)
class Backfill:
    wall: float
    requests: int
    stored: int
    expected: int
    missing: int
    rerun_wall: float
    rerun_requests: int
    window_listing_requests: int
    window_article_requests: int
    replay_wall: float
    raw_wall: float

    @property
    def bound(self) -> float:
        return self.requests * LATENCY / CONCURRENCY

    @property
    def ratio(self) -> float:
        return self.wall / self.bound

    @property
    def replay_ratio(self) -> float:
        return self.replay_wall / self.bound

    @property
    def raw_ratio(self) -> float:
        return self.raw_wall / self.bound


def one_backfill(workdir: Path) -> Backfill:
    site = SampleSite(seed=0)
    with ServedSite(seed=0, latency_seconds=LATENCY, first=FIRST, last=LAST) as server:
        settings = bench_settings(
            server.base_url, server.listing_path, workdir / "e2e.db", concurrency=CONCURRENCY
        )
        database = Database.from_url(settings.database.url)
        upgrade_to_head(database.engine)
        deps = CrawlDeps(database)
        server.take_requested_paths()
        started = time.perf_counter()
        summary: RunSummary = run_crawl(settings.site, FIRST, LAST, deps)
        wall = time.perf_counter() - started
        paths = server.take_requested_paths()
        expected = {
            (day, record.title)
            for day in dates_between(FIRST, LAST)
            for record in site.expected_records(day, base_url=server.base_url)
        }
        stored = stored_keys(database)
        started = time.perf_counter()
        run_crawl(settings.site, FIRST, LAST, deps)
        rerun_wall = time.perf_counter() - started
        rerun_requests = len(server.take_requested_paths())
        run_crawl(settings.site, *WINDOW, deps, kind=RunKind.MANUAL)
        window = server.take_requested_paths()
        database.dispose()
        replay_wall = asyncio.run(replay(server.base_url, paths))
        raw_wall = asyncio.run(replay_raw(server.base_url, paths))
    assert summary.status.value == "succeeded", summary
    return Backfill(
        wall=wall,
        requests=len(paths),
        stored=len(stored),
        expected=len(expected),
        missing=len(expected - stored),
        rerun_wall=rerun_wall,
        rerun_requests=rerun_requests,
        window_listing_requests=sum(1 for p in window if p.startswith("/date/")),
        window_article_requests=sum(1 for p in window if "/item/" in p),
        replay_wall=replay_wall,
        raw_wall=raw_wall,
    )


async def replay(base_url: str, paths: list[str]) -> float:
    """Seconds to GET every path with bare httpx, ``CONCURRENCY`` at a time."""
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, limits=limits) as client:
        started = time.perf_counter()
        await get_all(client, paths, CONCURRENCY)
        return time.perf_counter() - started


async def replay_raw(base_url: str, paths: list[str]) -> float:
    """Seconds to GET every path over ``CONCURRENCY`` kept-alive sockets, HTTP/1.1 by hand."""
    host, port = base_url.removeprefix("http://").split(":")
    pending = iter(paths)

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        for path in pending:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
        writer.close()
        await writer.wait_closed()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started


def stored_keys(database: Database) -> set[tuple[date, str]]:
    from sqlalchemy import select

    from ingest.store import tables

    with database.transaction() as tx:
        rows = tx.connection.execute(select(tables.articles.c.date, tables.articles.c.title))
        return {(day, title) for day, title in rows}


def run(repetitions: int = 3) -> list[Row]:
    quiet_logging()
    results: list[Backfill] = []
    for n in range(repetitions):
        with tempfile.TemporaryDirectory(prefix=f"ingest-bench-e2e{n}-") as tmp:
            results.append(one_backfill(Path(tmp)))
    ratio = statistics.median(r.ratio for r in results)
    replay_ratio = statistics.median(r.replay_ratio for r in results)
    raw_ratio = statistics.median(r.raw_ratio for r in results)
    wall = statistics.median(r.wall for r in results)
    rerun = statistics.median(r.rerun_wall for r in results)
    first = results[0]
    complete = all(r.missing == 0 and r.stored == r.expected for r in results)
    span = f"{FIRST}..{LAST}"
    days = len(dates_between(*WINDOW))
    return [
        Row(
            "end to end",
            f"backfill {span}, 20 ms/response, concurrency 8: requests",
            f"{first.requests:,}",
        ),
        Row("end to end", "lower bound = requests x 20 ms / 8", f"{first.bound:.2f} s"),
        Row("end to end", f"wall time, median of {repetitions}", f"{wall:.2f} s"),
        Row("end to end", "wall time / bound", f"{ratio:.2f}", "<= 1.3", ratio <= 1.3),
        Row(
            "end to end",
            "baseline: the same requests with bare httpx, wall / bound",
            f"{replay_ratio:.2f}",
        ),
        Row(
            "end to end",
            "floor: the same requests over raw sockets (no HTTP library), wall / bound",
            f"{raw_ratio:.2f}",
        ),
        Row("end to end", "pipeline wall / bare httpx wall", f"{ratio / replay_ratio:.2f}"),
        Row(
            "end to end",
            "articles stored / expected (site.expected_records)",
            f"{first.stored:,} / {first.expected:,}",
            "all",
            complete,
        ),
        Row(
            "re-run",
            "same range again: page requests",
            str(max(r.rerun_requests for r in results)),
            "0",
            all(r.rerun_requests == 0 for r in results),
        ),
        Row("re-run", f"wall time, median of {repetitions}", f"{rerun:.3f} s", "< 2 s", rerun < 2),
        Row(
            "re-run",
            f"crawl of an unchanged {days}-day window: listing / article requests",
            f"{first.window_listing_requests} / {first.window_article_requests}",
            f"{days} / 0",
            all(
                r.window_listing_requests == days and r.window_article_requests == 0
                for r in results
            ),
        ),
    ]


if __name__ == "__main__":
    keep_heap_between_pages()
    for row in run(1):
        print(row)
