"""CPU per page: a one-year backfill as ``ingest backfill`` runs it, against the very same
requests replayed by bare clients; where the crawl's CPU goes by stage; and what a command that
does not crawl (``ingest health``) costs to start.

Every figure is CPU time (``time.thread_time`` / ``resource.getrusage``), not wall time: the
machine has 2 cores shared with other work, and CPU time is what decides how many polite sites
one process can keep busy. Each measurement runs in a fresh interpreter (a child process);
start-up (interpreter, imports, settings, migrations) is taken off by measuring from just
before the command's work. The site is served by another child (``served.py``). Scrapy crawls
the same site for comparison (``scrapy_crawl.py``; its CPU is the whole process's, as it
resolves host names on threads). Each round also runs the backfill with a rate that never binds
and with one that binds, for the pace rows (``pace.py``), whose walls are compared with the
same rounds' bare httpx replays and Scrapy.

Run as ``python -m tests.benchmarks.cpu crawl ...`` / ``replay ...`` it is such a child.
"""

from __future__ import annotations

import asyncio
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from ingest import __file__ as INGEST_INIT
from tests.benchmarks import pace
from tests.benchmarks.common import Row, get_all
from tests.benchmarks.served import ServedSite
from tests.support.sample_site import Flavour
from tests.support.sample_site.flavours import WORDPRESS_LISTING_PATH

LATENCY = 0.02
CONCURRENCY = 8
FIRST, LAST = date(2020, 1, 1), date(2020, 12, 31)
ROUNDS = 5
WORDPRESS_ROUNDS = 3
# Scrapy runs from a virtual environment of its own (``make bench`` builds .venv-scrapy): with
# Twisted installed beside ingest, every ``import structlog`` imports it too (30 ms more for
# every command, the start-up row included).
SCRAPY_PYTHON_VARIABLE = "INGEST_BENCH_SCRAPY_PYTHON"
DEFAULT_SCRAPY_PYTHON = Path(__file__).resolve().parents[2] / ".venv-scrapy" / "bin" / "python"
# The floor for CPU per page (issue 26): what any crawler of this year must do, and no
# more. Bare aiohttp, one Lexbor parse of each page (its <title> read, so the tree is used),
# and the pages' rows written in one executemany and commit a date, to SQLite set up as the
# store sets it up (WAL, synchronous=NORMAL): the crawl too commits each date on its own.
FLOOR = "floor"
FLOOR_TARGET = 2.0
DATES = (LAST - FIRST).days + 1
# The bare clients replaying the crawl's requests: (name shown, child argument).
REPLAYS = (
    ("bare httpx 0.28.1 (AsyncClient, default transport)", "httpx"),
    ("bare httpx2 (AsyncClient, default transport: httpcore2)", "httpx2"),
    ("bare httpx2 with httpx-aiohttp's AiohttpTransport", "httpx2-aiohttp"),
    ("bare aiohttp (ClientSession)", "aiohttp"),
    ("the floor: bare aiohttp, one Lexbor parse a page, one batched write a date", FLOOR),
)
# The crawl has one request path, over ingest.fetch.AiohttpTransport; httpx2's own transport
# (httpcore2) is measured bare, in the replays.
SHIPPED = "aiohttp"
TRANSPORTS = (SHIPPED,)


# -- the children -------------------------------------------------------------------------


def _crawl_child(
    base_url: str,
    listing_path: str,
    workdir: str,
    transport: str,
    timed: str = "",
    layout: str = "k2",
    first: str = "",
    last: str = "",
    requests_per_second: str = "0",
) -> None:
    """One backfill (``first``..``last``, ISO dates, default the year of FIRST..LAST; at most
    ``requests_per_second``, 0 for no rate),
    configured and logged as ``ingest backfill`` does (INFO to the JSON log file, stderr at
    INFO but to /dev/null), with CPU time per stage."""
    import structlog

    from ingest import crawl
    from ingest.commands._common import open_database
    from ingest.heap import freeze_startup_objects, keep_heap_between_pages
    from ingest.logs import configure_logging
    from ingest.settings import settings_from_mapping
    from ingest.sites import build_layout
    from ingest.store.engine import Database

    keep_heap_between_pages()
    settings = settings_from_mapping(
        {
            "site": {
                "name": "bench",
                "base_url": base_url,
                "listing_path": listing_path,
                "layout": layout,
            },
            "http": {
                "requests_per_second": float(requests_per_second),
                "concurrency": CONCURRENCY,
                "timeout_seconds": 10.0,
                "backoff_initial_seconds": 0.01,
                "backoff_max_seconds": 0.05,
            },
            "database": {"url": f"sqlite:///{workdir}/cpu.db"},
            # INGEST_BENCH_ARCHIVE=0: the archive off, for a paired on / off run.
            "archive": {
                "dir": f"{workdir}/warc",
                "enabled": os.environ.get("INGEST_BENCH_ARCHIVE", "1") == "1",
            },
            "logging": {"file": f"{workdir}/ingest.jsonl", "level": "INFO", "format": "json"},
        }
    )
    devnull = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115 (lives as long as the child)
    configure_logging(settings.logging, stream=devnull)
    import ingest.crawl  # noqa: F401 (as ingest backfill: imported, then frozen)

    freeze_startup_objects()
    database = open_database(settings, access="crawl")

    stages = {"parse": 0.0, "store": 0.0, "log": 0.0}
    if timed == "stages":
        # The timers cost CPU themselves: a run that reports stages is not the one whose
        # CPU per page is reported.
        layout = type(build_layout(settings.site.layout, settings.site.shape))
        _time_calls(layout, ("parse_listing", "parse_article"), stages, "parse")
        _time_context(Database, "transaction", stages, "store")
        _time_calls(structlog._base.BoundLoggerBase, ("_proxy_to_logger",), stages, "log")
    assert transport == SHIPPED, transport  # the one request path

    start = date.fromisoformat(first) if first else FIRST
    end = date.fromisoformat(last) if last else LAST
    cpu0, wall0 = time.process_time(), time.perf_counter()
    outcomes = crawl.backfill(settings, database, start, end)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    (summary,) = outcomes
    print(
        json.dumps(
            {
                "cpu": cpu,
                "wall": wall,
                "status": getattr(summary, "status").value,  # noqa: B009
                "stages": stages,
            }
        )
    )


def _time_calls(owner: Any, names: tuple[str, ...], stages: dict[str, float], key: str) -> None:
    for name in names:
        original = getattr(owner, name)

        def timed(*args: Any, _original: Callable[..., Any] = original, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return _original(*args, **kwargs)
            finally:
                stages[key] += time.process_time() - started

        setattr(owner, name, timed)


def _time_context(owner: Any, name: str, stages: dict[str, float], key: str) -> None:
    """Time the body of ``with owner.name(...)`` blocks (the pipeline never awaits in one)."""
    original = getattr(owner, name)

    @contextmanager
    def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
        started = time.process_time()
        try:
            with original(*args, **kwargs) as value:
                yield value
        finally:
            stages[key] += time.process_time() - started

    setattr(owner, name, timed)


def _replay_child(client: str, base_url: str, paths_file: str) -> None:
    """GET every path, ``CONCURRENCY`` at a time, bodies read, nothing parsed or stored."""
    paths = json.loads(Path(paths_file).read_text(encoding="utf-8"))
    replay = _REPLAYERS[client]
    asyncio.run(replay(base_url, paths[:50]))  # warm the imports and code paths up
    cpu0, wall0 = time.process_time(), time.perf_counter()
    asyncio.run(replay(base_url, paths))
    print(json.dumps({"cpu": time.process_time() - cpu0, "wall": time.perf_counter() - wall0}))


async def _replay_httpx(
    base_url: str, paths: list[str], module: str = "httpx", transport: Any = None
) -> None:
    httpx = __import__(module)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    if transport is None:
        client = httpx.AsyncClient(base_url=base_url, limits=limits)
    else:
        client = httpx.AsyncClient(base_url=base_url, transport=transport)
    async with client:
        await get_all(client, paths, CONCURRENCY)


async def _replay_httpx2(base_url: str, paths: list[str]) -> None:
    await _replay_httpx(base_url, paths, "httpx2")


async def _replay_httpx2_aiohttp(base_url: str, paths: list[str]) -> None:
    import httpx2
    from httpx_aiohttp.httpx2 import AiohttpTransport

    limits = httpx2.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    await _replay_httpx(base_url, paths, "httpx2", AiohttpTransport(limits=limits))


async def _replay_aiohttp(base_url: str, paths: list[str]) -> None:
    import aiohttp

    pending = iter(paths)
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(base_url=base_url, connector=connector) as session:

        async def worker() -> None:
            for path in pending:
                async with session.get(path) as response:
                    async for _ in response.content.iter_chunked(64 * 1024):
                        pass

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def _replay_floor(base_url: str, paths: list[str]) -> None:
    import sqlite3

    import aiohttp
    from selectolax.lexbor import LexborHTMLParser

    # As many commits as the crawl has dates, each of the pages' mean share of one.
    batch = max(1, round(len(paths) / DATES))
    pending = iter(paths)
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="ingest-bench-floor-") as tmp:
        database = sqlite3.connect(f"{tmp}/floor.db", isolation_level=None)
        database.execute("PRAGMA journal_mode=WAL")
        database.execute("PRAGMA synchronous=NORMAL")
        database.execute("CREATE TABLE pages (path TEXT PRIMARY KEY, title TEXT)")

        def write() -> None:
            database.execute("BEGIN")
            database.executemany("INSERT OR REPLACE INTO pages VALUES (?, ?)", rows)
            database.execute("COMMIT")
            rows.clear()

        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(base_url=base_url, connector=connector) as session:

            async def worker() -> None:
                for path in pending:
                    async with session.get(path) as response:
                        body = await response.read()
                    title = LexborHTMLParser(body).css_first("title")
                    rows.append((path, title.text() if title is not None else ""))
                    if len(rows) >= batch:
                        write()

            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        if rows:
            write()
        database.close()


_REPLAYERS = {
    "httpx": _replay_httpx,
    "httpx2": _replay_httpx2,
    "httpx2-aiohttp": _replay_httpx2_aiohttp,
    "aiohttp": _replay_aiohttp,
    FLOOR: _replay_floor,
}


# -- the parent ---------------------------------------------------------------------------


def _child(
    *args: str, argv: tuple[str, ...] = (sys.executable, "-m", __spec__.name)
) -> dict[str, Any]:
    out = subprocess.run(
        [*argv, *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _scrapy_python() -> str | None:
    """The interpreter that has Scrapy, or None: the Scrapy rows then say so."""
    chosen = os.environ.get(SCRAPY_PYTHON_VARIABLE) or str(DEFAULT_SCRAPY_PYTHON)
    return chosen if Path(chosen).exists() else None


def _children_cpu(argv: list[str], ok: tuple[int, ...] = (0,)) -> float:
    """CPU seconds (user + system) of one command run to its end, start-up included."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, check=False, capture_output=True)
    assert done.returncode in ok, done.stderr
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure_crawls() -> dict[str, Any]:
    """ROUNDS rounds, each: the backfill (over the one transport, aiohttp) and at once the bare
    aiohttp replay of its requests (the pair the CPU target compares, next to each other in
    time: the machine's speed drifts over minutes), one with the stage timers on, the same
    backfill by Scrapy (``scrapy_crawl.py``), then the other bare replays."""
    crawls: dict[str, list[dict[str, Any]]] = {t: [] for t in TRANSPORTS}
    staged: list[dict[str, Any]] = []  # the shipped transport's runs with the stage timers
    scrapy: list[dict[str, Any]] = []
    scrapy_python = _scrapy_python()
    replays: dict[str, list[dict[str, Any]]] = {c: [] for _, c in REPLAYS}
    paced: list[dict[str, Any]] = []  # a rate that never binds
    binding: list[dict[str, Any]] = []  # a rate that binds
    requests = 0
    with ServedSite(seed=0, latency_seconds=LATENCY, first=FIRST, last=LAST) as server:

        def crawl(n: int, transport: str, timed: str = "") -> list[str]:
            result, paths = _backfill(server, f"{n}", transport, timed)
            (staged if timed else crawls[transport]).append(result)
            return paths

        def rated(n: int, requests_per_second: float) -> dict[str, Any]:
            return _backfill(server, f"r{n}", SHIPPED, requests_per_second=requests_per_second)[0]

        def replay(paths_file: Path, client: str) -> None:
            replays[client].append(_child("replay", client, server.base_url, str(paths_file)))

        for n in range(ROUNDS):
            # The same backfill with a rate that never binds, next to it in time (in turn
            # before and after it), for the pace rows.
            if n % 2:
                paced.append(rated(n, pace.NEVER_BINDS))
            paths = crawl(n, SHIPPED)
            if not n % 2:
                paced.append(rated(n, pace.NEVER_BINDS))
            requests = len(paths)
            with _written(paths) as paths_file:
                replay(paths_file, "aiohttp")
                replay(paths_file, FLOOR)
                crawl(n, SHIPPED, "stages")
                if scrapy_python is not None:
                    with tempfile.TemporaryDirectory(prefix=f"ingest-bench-scrapy{n}-") as work:
                        server.take_requested_paths()
                        result = _child(
                            server.base_url,
                            server.listing_path,
                            work,
                            FIRST.isoformat(),
                            LAST.isoformat(),
                            str(CONCURRENCY),
                            argv=(scrapy_python, str(Path(__file__).with_name("scrapy_crawl.py"))),
                        )
                        result["requests"] = len(server.take_requested_paths())
                        scrapy.append(result)
                for _, client in REPLAYS:
                    if client not in ("aiohttp", FLOOR):
                        replay(paths_file, client)
            binding.append(rated(n, pace.BINDS))
    return {
        "crawls": crawls,
        "staged": staged,
        "scrapy": scrapy,
        "replays": replays,
        "requests": requests,
        "pace": {"never": paced, "binding": binding},
        "wordpress": measure_wordpress(),
    }


def measure_wordpress() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The same year served as WordPress, through the ``wordpress`` layout (the default): each
    round the backfill, then the bare aiohttp replay of its requests."""
    pairs = []
    flavours: tuple[Flavour, ...] = ("wordpress",)
    with ServedSite(
        seed=0, latency_seconds=LATENCY, first=FIRST, last=LAST, flavours=flavours
    ) as server:
        for n in range(WORDPRESS_ROUNDS):
            result, paths = _backfill(
                server, f"wp{n}", SHIPPED, layout="wordpress", listing_path=WORDPRESS_LISTING_PATH
            )
            with _written(paths) as paths_file:
                replayed = _child("replay", "aiohttp", server.base_url, str(paths_file))
            pairs.append((result, replayed))
    return pairs


def _backfill(
    server: ServedSite,
    tag: str,
    transport: str,
    timed: str = "",
    *,
    layout: str = "k2",
    listing_path: str | None = None,
    requests_per_second: float = 0.0,
) -> tuple[dict[str, Any], list[str]]:
    """One backfill child against ``server`` from a fresh database: its result (requests
    counted, and their rate as the server answered them), and the paths it requested."""
    with tempfile.TemporaryDirectory(prefix=f"ingest-bench-cpu{tag}-") as tmp:
        server.take_requested_paths()
        path = listing_path or server.listing_path
        rate = str(requests_per_second)
        result = _child("crawl", server.base_url, path, tmp, transport, timed, layout, "", "", rate)
        assert result["status"] == "succeeded", result
        times = server.answer_times()
        paths = server.take_requested_paths()
        result["requests"] = len(paths)
        result["rate"] = pace.served_rate(paths, times)
        return result, paths


@contextmanager
def _written(paths: list[str]) -> Iterator[Path]:
    """A JSON file of ``paths`` for a replay child, removed after."""
    with tempfile.TemporaryDirectory(prefix="ingest-bench-paths-") as tmp:
        paths_file = Path(tmp) / "paths.json"
        paths_file.write_text(json.dumps(paths), encoding="utf-8")
        yield paths_file


def measure_startup(repetitions: int = 7) -> dict[str, float]:
    """CPU of ``ingest health`` (a migrated database with one run in it) and of
    ``python -c "import sqlalchemy"``, alternating; medians.

    ingest's bytecode is compiled first, as pip compiles an installed package's: a source tree
    run under ``PYTHONDONTWRITEBYTECODE`` (as this machine's shells set it) compiles every
    module it imports at each start, 0.1 s of CPU here that no deployment pays."""
    compileall.compile_dir(Path(INGEST_INIT).parent, quiet=1)
    with tempfile.TemporaryDirectory(prefix="ingest-bench-health-") as tmp:
        config = Path(tmp) / "ingest.toml"
        config.write_text(
            f'[site]\nbase_url = "https://news.example"\n[database]\nurl = "sqlite:///{tmp}/h.db"'
            f'\n[logging]\nfile = "{tmp}/ingest.jsonl"\n',
            encoding="utf-8",
        )
        ingest = [sys.executable, "-m", "ingest", "--config", str(config)]
        subprocess.run([*ingest, "db", "upgrade"], check=True, capture_output=True)
        health: list[float] = []
        sqlalchemy: list[float] = []
        for _ in range(repetitions):
            # A site never crawled is unhealthy: exit 1, measured all the same.
            health.append(_children_cpu([*ingest, "health"], ok=(0, 1)))
            sqlalchemy.append(_children_cpu([sys.executable, "-c", "import sqlalchemy"]))
    return {
        "health": statistics.median(health),
        "sqlalchemy": statistics.median(sqlalchemy),
    }


def run() -> list[Row]:
    crawled = measure_crawls()
    startup = measure_startup()
    return rows(crawled, startup)


def rows(crawled: dict[str, Any], startup: dict[str, float]) -> list[Row]:
    requests = crawled["requests"]
    ms = {
        t: statistics.median(1000 * r["cpu"] / r["requests"] for r in results)
        for t, results in crawled["crawls"].items()
    }
    replay_ms = {
        c: statistics.median(1000 * r["cpu"] / requests for r in rs)
        for c, rs in crawled["replays"].items()
    }
    replay_wall = {
        c: statistics.median(r["wall"] for r in rs) for c, rs in crawled["replays"].items()
    }
    chosen = SHIPPED
    floor = replay_ms["aiohttp"]
    # The target's ratio: round by round, the shipped backfill over the aiohttp replay run
    # right after it (same requests, same minute), then the median of those.
    paired = statistics.median(
        r["cpu"] / a["cpu"]
        for r, a in zip(crawled["crawls"][SHIPPED], crawled["replays"]["aiohttp"], strict=True)
    )
    out = [
        Row(
            "cpu",
            f"backfill {FIRST}..{LAST}, 20 ms/response, concurrency 8: requests",
            f"{requests:,}",
        )
    ]
    for transport in TRANSPORTS:
        mark = " (shipped)" if transport == chosen else ""
        ratio = paired if transport == chosen else ms[transport] / floor
        out.append(
            Row(
                "cpu",
                f"ingest backfill, {transport} transport{mark}: CPU ms per page (x bare aiohttp)",
                f"{ms[transport]:.2f} ({ratio:.1f}x)",
                "<= 3x bare aiohttp" if transport == chosen else "",
                ratio <= 3 if transport == chosen else None,
            )
        )
    # Issue 26's target: the shipped backfill over the floor replay of its requests, paired
    # round by round as above.
    over_floor = statistics.median(
        r["cpu"] / f["cpu"]
        for r, f in zip(crawled["crawls"][SHIPPED], crawled["replays"][FLOOR], strict=True)
    )
    out.append(
        Row(
            "cpu",
            "ingest backfill / the floor (bare aiohttp, a Lexbor parse a page, a batched "
            "write a date), CPU",
            f"{ms[SHIPPED]:.2f} / {replay_ms[FLOOR]:.2f} ms = {over_floor:.2f}",
            f"<= {FLOOR_TARGET}",
            over_floor <= FLOOR_TARGET,
        )
    )
    for name, client in REPLAYS:
        out.append(Row("cpu", f"{name}: CPU ms per request", f"{replay_ms[client]:.2f}"))
    wordpress = crawled["wordpress"]
    wp_ms = statistics.median(1000 * r["cpu"] / r["requests"] for r, _ in wordpress)
    wp_ratio = statistics.median(r["cpu"] / a["cpu"] for r, a in wordpress)
    out.append(
        Row(
            "cpu",
            f"the same year as WordPress, wordpress layout: CPU ms per page (x bare aiohttp), "
            f"{wordpress[-1][0]['requests']:,} requests",
            f"{wp_ms:.2f} ({wp_ratio:.1f}x)",
        )
    )
    scrapy = crawled["scrapy"]
    scrapy_wall: float | None = None
    if scrapy:
        scrapy_ms = statistics.median(1000 * r["cpu"] / r["requests"] for r in scrapy)
        scrapy_wall = statistics.median(r["wall"] for r in scrapy)
        measured = (
            f"{scrapy_ms:.2f} ({scrapy[-1]['requests']:,} requests, {scrapy[-1]['items']:,} items)"
        )
    else:
        measured = f"not measured: no Scrapy interpreter ({SCRAPY_PYTHON_VARIABLE})"
    out.append(
        Row(
            "cpu",
            "Scrapy 2.19 (same site, parsel + sqlite3 pipeline): CPU ms per request",
            measured,
        )
    )
    runs = crawled["staged"]
    for stage in ("parse", "store", "log"):
        per_page = statistics.median(1000 * r["stages"][stage] / r["requests"] for r in runs)
        out.append(Row("cpu", f"stage: {stage}, CPU ms per page", f"{per_page:.2f}"))
    rest = statistics.median(
        1000 * (r["cpu"] - sum(r["stages"].values())) / r["requests"] for r in runs
    )
    out.append(
        Row(
            "cpu",
            "stage: fetch (client, fetcher, asyncio, the rest), CPU ms per page",
            f"{rest:.2f}",
        )
    )
    out += pace.rows(
        crawled["crawls"][chosen],
        crawled["pace"]["never"],
        crawled["pace"]["binding"],
        replay_wall["httpx"],
        scrapy_wall,
    )
    ratio = startup["health"] / startup["sqlalchemy"]
    out.append(
        Row(
            "start-up",
            "ingest health / python -c 'import sqlalchemy', CPU",
            f"{startup['health'] * 1000:.0f} ms / {startup['sqlalchemy'] * 1000:.0f} ms = "
            f"{ratio:.2f}",
            "<= 1.5",
            ratio <= 1.5,
        )
    )
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["crawl"]:
        _crawl_child(*sys.argv[2:11])
    elif sys.argv[1:2] == ["replay"]:
        _replay_child(*sys.argv[2:5])
    else:
        for row in run():
            print(row)
