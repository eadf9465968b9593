"""Memory: peak RSS of a ten-year backfill against a one-year backfill, each in its own
process (the sample site's server runs in that process too, so both figures include it).

Run as ``python -m tests.benchmarks.memory YEARS FETCH_ARTICLE_PAGES`` it is that child.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from tests.benchmarks.common import Row

FIRST_YEAR = 2011
# The ten-year run reads listings only (no article pages) and the one-year baseline does the
# same, so the ratio compares like with like and ``make bench`` stays within minutes.
FETCH_ARTICLE_PAGES = False


def child(years: int, fetch_article_pages: bool) -> None:
    from ingest.crawl import CrawlDeps, run_crawl
    from ingest.heap import keep_heap_between_pages
    from ingest.store.engine import Database
    from ingest.store.migrate import upgrade_to_head
    from tests.benchmarks.common import bench_settings, quiet_logging
    from tests.support.sample_site import SampleSite, SampleSiteServer

    keep_heap_between_pages()
    quiet_logging()
    first, last = date(FIRST_YEAR, 1, 1), date(FIRST_YEAR + years - 1, 12, 31)
    with (
        tempfile.TemporaryDirectory(prefix="ingest-bench-mem-") as tmp,
        SampleSiteServer(SampleSite(seed=0)) as server,
    ):
        settings = bench_settings(
            server.base_url,
            server.listing_path,
            Path(tmp) / "mem.db",
            fetch_article_pages=fetch_article_pages,
        )
        database = Database.from_url(settings.database.url)
        upgrade_to_head(database.engine)
        started = time.perf_counter()
        summary = run_crawl(settings.site, first, last, CrawlDeps(database))
        wall = time.perf_counter() - started
        database.dispose()
        requests = len(server.requests)
    print(
        json.dumps(
            {
                "years": years,
                "status": summary.status.value,
                "articles": summary.counts.articles_new,
                "requests": requests,
                "wall": wall,
                "peak_rss_kib": peak_rss_kib(),
            }
        )
    )


def peak_rss_kib() -> int:
    """This process's own peak RSS (VmHWM). Not ``ru_maxrss``: Linux carries that over
    ``fork`` and ``exec``, so a child started by a large parent reports the parent's peak."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def measure(years: int) -> dict[str, float]:
    """Run one backfill in a fresh interpreter; its own peak RSS, in MiB, among the figures."""
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.memory", str(years), str(FETCH_ARTICLE_PAGES)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    result["peak_mib"] = result["peak_rss_kib"] / 1024
    return result


def run() -> list[Row]:
    one = measure(1)
    ten = measure(10)
    ratio = ten["peak_mib"] / one["peak_mib"]
    pages = "with" if FETCH_ARTICLE_PAGES else "without"
    note = f"latency 0, {pages} article pages"
    return [
        Row(
            "memory",
            f"1-year backfill ({note}): peak RSS",
            f"{one['peak_mib']:.0f} MiB ({one['requests']:,.0f} req, {one['wall']:.0f} s)",
        ),
        Row(
            "memory",
            f"10-year backfill ({note}): peak RSS",
            f"{ten['peak_mib']:.0f} MiB ({ten['requests']:,.0f} req, {ten['wall']:.0f} s)",
            "< 200 MiB",
            ten["peak_mib"] < 200,
        ),
        Row("memory", "10-year / 1-year peak RSS", f"{ratio:.2f}", "<= 1.2", ratio <= 1.2),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 3:
        child(int(sys.argv[1]), sys.argv[2] == "True")
    else:
        for row in run():
            print(row)
