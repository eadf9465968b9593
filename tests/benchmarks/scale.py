"""Scale (issue 10): many sites in one daemon, and two daemon replicas on one PostgreSQL;
then 10,000 sites' settings, health and metrics (``many_sites``, issue 26), and one daemon
holding 10,000 sites in steady state (``steady``, issue 26).

``SITES`` sites, each its own ``[[sites]]`` table (its own name, so its own run, lock and
schedule row) on a host of its own (``site_url``: 127.0.0.1, 127.0.0.2, ..., every one the same
loopback server on one port; sites on one host would share its politeness slot), which answers
every request after ``LATENCY``. The server is a child process (one asyncio loop, the week rendered
up front, as in ``served.py``); it tells the sites apart by their User-Agent (each site sets
its own) and stamps each response, so the request rate, each site's own rate and any page a
site fetched twice are counted where the requests land.

Phases, each from a freshly migrated database, each ``ingest run`` a real subprocess
(INFO events on stderr, sent to a file, as a container would log):

1. one daemon, ``SLOTS`` sites at once, until every site's first run has finished (the
   ``runs`` table, polled); then its peak RSS (``VmHWM``), SIGTERM, and its CPU from
   ``os.wait4``'s rusage;
2. an idle daemon on the same database (every site already ran, next due in ``INTERVAL``),
   stopped after the same wall time: start-up and idle polling, taken off phase 1's CPU;
3. ``REPLICAS`` daemons on one PostgreSQL database with ``REPLICA_SLOTS`` each, the same
   sites and week, until every site's first run has finished.

Run as ``python -m tests.benchmarks.scale serve FIRST LAST`` it is the server child: it prints
its base URL, then answers each ``take`` line on stdin with the JSON list of ``[time, agent,
path]`` of the responses sent since the previous one, and stops at end of input.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.benchmarks.common import Row
from tests.benchmarks.served import ServerChild

SITES = 100
LATENCY = 0.05  # seconds the server waits before each response
CONCURRENCY = 2  # http.concurrency of every site
RATE = 4.0  # http.requests_per_second of every site
LOOKBACK_DAYS = 6  # a week: today and the 6 days before (UTC)
SLOTS = SITES  # schedule.max_parallel_sites of the one daemon: every site at once
REPLICAS = 2
# Each replica claims as many due sites as it has free slots, so a replica with SITES slots
# that polls first takes every site. Both together get the one daemon's SLOTS.
REPLICA_SLOTS = SLOTS // REPLICAS
INTERVAL = "1h"  # no second tick within a phase: a second run of a site is a duplicate
PHASE_DEADLINE = 90.0  # seconds; a phase not done by then is stopped and reported unfinished
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SEED = 0


# -- the server child ----------------------------------------------------------------------


def serve(first: date, last: date) -> None:
    asyncio.run(_serve(first, last))


async def _serve(first: date, last: date) -> None:
    from tests.benchmarks.served import KeptAliveSite, _Pages, answer_parent, taken
    from tests.support.sample_site import SampleSite

    sent: list[tuple[float, str, str]] = []

    def note(target: str, headers: dict[str, str]) -> None:
        sent.append((time.monotonic(), headers.get("user-agent", ""), target))

    site = KeptAliveSite(LATENCY, note)
    with socket.socket() as probe:  # a port free on 127.0.0.1, then taken on every address
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hosts = [urlsplit(site_url(f"http://127.0.0.1:{port}", n)).hostname for n in range(SITES)]
    # Every site keeps up to CONCURRENCY connections open: a backlog for all of them at once.
    server = await asyncio.start_server(site, hosts, port, backlog=4 * CONCURRENCY)
    pages = site.pages = _Pages(SampleSite(seed=SEED), f"http://127.0.0.1:{port}")
    site.rendered.update(pages.prerender(first, last))
    site.rendered["/robots.txt"] = pages.answer("/robots.txt", {})
    async with server:
        await answer_parent({"base_url": pages.base_url}, {"take": lambda: taken(sent)})


class Server(ServerChild):
    """The server child, around a ``with``."""

    def __init__(self, first: date, last: date) -> None:
        super().__init__("tests.benchmarks.scale", "serve", first, last)

    @property
    def base_url(self) -> str:
        return str(self.ready["base_url"])

    def take(self) -> list[tuple[float, str, str]]:
        """``(time, user agent, path)`` of every response since the previous call."""
        return [tuple(r) for r in self.ask("take")]


# -- the daemons ---------------------------------------------------------------------------


def agent(n: int) -> str:
    return f"ingest-scale-bench/1 site{n:03d}"


def site_url(base_url: str, n: int) -> str:
    """Site ``n``'s base URL: the server's, on loopback address 127.0.0.(n + 1)."""
    parts = urlsplit(base_url)
    return parts._replace(netloc=f"127.0.0.{n + 1}:{parts.port}").geturl()


def write_config(path: Path, base_url: str, database_url: str, slots: int) -> Path:
    tables = "".join(
        f'[[sites]]\nname = "site{n:03d}"\nbase_url = "{site_url(base_url, n)}"\nlayout = "k2"\n'
        f'timezone = "UTC"\n[sites.http]\nuser_agent = "{agent(n)}"\n'
        for n in range(SITES)
    )
    path.write_text(
        f"{tables}"
        f"[http]\nconcurrency = {CONCURRENCY}\nrequests_per_second = {RATE}\n"
        f"timeout_seconds = 10\nbackoff_initial_seconds = 0.05\nbackoff_max_seconds = 0.5\n"
        f'[schedule]\ninterval = "{INTERVAL}"\nlookback_days = {LOOKBACK_DAYS}\n'
        f"max_parallel_sites = {slots}\n"
        f'[database]\nurl = "{database_url}"\n'
        f'[logging]\nfile = ""\nlevel = "INFO"\n',
        encoding="utf-8",
    )
    return path


def start_daemon(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ingest", "--config", str(config), "run"],
            cwd=config.parent, env=env, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


def peak_rss_bytes(pid: int) -> int:
    """The process's own peak RSS (``VmHWM``), read while it is alive."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM (Linux only)")


def alive(process: subprocess.Popen[bytes]) -> bool:
    """Still running; unlike ``Popen.poll`` this never reaps it (``stop`` reads its rusage)."""
    flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
    return os.waitid(os.P_PID, process.pid, flags) is None


def stop(process: subprocess.Popen[bytes]) -> tuple[float, int]:
    """SIGTERM if still running, reap with ``os.wait4``: its user + system CPU seconds and
    exit code."""
    if alive(process):
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            process.kill()
            pid, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.05)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, process.returncode


@dataclass
class RunRow:
    site: str
    owner: str
    status: str
    started_at: datetime
    finished_at: datetime | None


def read_runs(url: str) -> list[RunRow]:
    from sqlalchemy import create_engine, select

    from ingest.store import tables

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(
                    tables.runs.c.site,
                    tables.runs.c.owner,
                    tables.runs.c.status,
                    tables.runs.c.started_at,
                    tables.runs.c.finished_at,
                )
            )
            return [
                RunRow(
                    r.site,
                    r.owner.rsplit(":", 1)[0] if r.owner else "",
                    r.status,
                    r.started_at,
                    r.finished_at,
                )
                for r in rows
            ]
    finally:
        engine.dispose()


def wait_first_runs(url: str, processes: list[subprocess.Popen[bytes]], started: float) -> bool:
    """Until every site has a finished run (True), a daemon died, or the deadline (False)."""
    from sqlalchemy import create_engine, distinct, func, select

    from ingest.store import tables

    engine = create_engine(url)
    query = select(func.count(distinct(tables.runs.c.site))).where(
        tables.runs.c.finished_at.is_not(None)
    )
    try:
        while time.perf_counter() - started < PHASE_DEADLINE:
            with engine.connect() as connection:
                if connection.scalar(query) == SITES:
                    return True
            if not all(alive(p) for p in processes):
                return False
            time.sleep(0.2)
        return False
    finally:
        engine.dispose()


@dataclass
class Phase:
    """What one phase measured."""

    wall: float  # launch to every site's first run finished
    finished: bool
    cpu: list[float]
    peak_rss: list[int]
    exit_codes: list[int]
    sent: list[tuple[float, str, str]]
    runs: list[RunRow]
    logs: list[Path] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return sum(1 for _, _, path in self.sent if path != "/robots.txt")

    @property
    def rate(self) -> float:
        times = [t for t, _, _ in self.sent]
        return len(times) / (max(times) - min(times))

    def attainable_rate(self, per_site: float) -> tuple[float, int]:
        """The request rate the per-site limits allow this workload, and the busiest site's
        requests: every site at its limit from the same instant, so the span is the busiest
        site's (its requests after the first, at ``per_site`` a second)."""
        requests = Counter(who for _, who, _ in self.sent)
        busiest = max(requests.values())
        return len(self.sent) / ((busiest - 1) / per_site), busiest

    def site_rates(self) -> list[float]:
        """Each site's own requests / its own first-to-last span."""
        times: dict[str, list[float]] = defaultdict(list)
        for t, who, _ in self.sent:
            times[who].append(t)
        return [(len(ts) - 1) / (max(ts) - min(ts)) for ts in times.values() if len(ts) > 1]

    def duplicates(self) -> tuple[int, int, int]:
        """Second runs of a site (all in one tick), overlapping runs of one site, and pages one
        site fetched more than once."""
        by_site: dict[str, list[RunRow]] = defaultdict(list)
        for run in sorted(self.runs, key=lambda r: r.started_at):
            by_site[run.site].append(run)
        again = sum(len(runs) - 1 for runs in by_site.values())
        overlapping = sum(
            1
            for runs in by_site.values()
            for a, b in itertools.pairwise(runs)
            if a.finished_at is None or b.started_at < a.finished_at
        )
        fetched = Counter((who, path) for _, who, path in self.sent)
        twice = sum(n - 1 for n in fetched.values() if n > 1)
        return again, overlapping, twice


def run_phase(
    server: Server, url: str, workdir: Path, name: str, replicas: int, slots: int
) -> Phase:
    config = write_config(workdir / f"{name}.toml", server.base_url, url, slots)
    logs = [workdir / f"{name}{n}.log" for n in range(replicas)]
    server.take()
    started = time.perf_counter()
    processes = [start_daemon(config, log) for log in logs]
    try:
        finished = wait_first_runs(url, processes, started)
        wall = time.perf_counter() - started
        peaks = [peak_rss_bytes(p.pid) if alive(p) else 0 for p in processes]
    finally:
        stopped = [stop(p) for p in processes]
    return Phase(
        wall, finished, [cpu for cpu, _ in stopped], peaks, [code for _, code in stopped],
        server.take(), read_runs(url), logs,
    )  # fmt: skip


def one_loop_crawl(server: Server, url: str, workdir: Path) -> Phase:
    """The baseline: the same sites and week by ``ingest crawl`` in one process, whose
    ``crawl_sites`` runs every site on one event loop (the daemon gives each run a thread
    and an event loop of its own)."""
    config = write_config(workdir / "crawl.toml", server.base_url, url, SLOTS)
    log = workdir / "crawl.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    server.take()
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ingest", "--config", str(config), "crawl",
             "--days", str(LOOKBACK_DAYS)],
            cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    peak = 0
    while alive(process) and time.perf_counter() - started < PHASE_DEADLINE:
        with contextlib.suppress(OSError, RuntimeError):  # exiting: no VmHWM left to read
            peak = max(peak, peak_rss_bytes(process.pid))
        time.sleep(0.2)
    wall = time.perf_counter() - started
    finished = not alive(process)
    cpu, code = stop(process)  # SIGTERM only if still running at the deadline
    return Phase(wall, finished, [cpu], [peak], [code], server.take(), read_runs(url), [log])


def idle_cpu(url: str, workdir: Path, base_url: str, seconds: float) -> float:
    """A daemon on a database where no site is due, stopped after ``seconds``: its CPU."""
    config = write_config(workdir / "idle.toml", base_url, url, SLOTS)
    process = start_daemon(config, workdir / "idle.log")
    try:
        time.sleep(seconds)
    finally:
        cpu, _ = stop(process)
    return cpu


@contextlib.contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """A migrated database of this bench's own, dropped after: PostgreSQL, or a SQLite file."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from ingest.store.engine import Database
    from ingest.store.migrate import upgrade_to_head

    admin = None
    name = f"ingest_bench_scale_{os.getpid()}_{secrets.token_hex(4)}"
    if kind == "sqlite":
        url = f"sqlite:///{workdir / f'{name}.db'}"
    else:
        admin = create_engine(postgres_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(postgres_url()).set(database=name).render_as_string(hide_password=False)
    try:
        db = Database.from_url(url)
        upgrade_to_head(db.engine)  # before the daemons start: no phase measures migrations
        db.dispose()
        yield url
    finally:
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def postgres_url() -> str:
    return os.environ.get("INGEST_TEST_POSTGRES_URL") or POSTGRES_URL


def postgres_reachable() -> bool:
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url(), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def measure() -> dict[str, Any]:
    today = datetime.now(UTC).date()
    # A day either side: the week is the daemon's "today" in UTC when it starts.
    first, last = today - timedelta(days=LOOKBACK_DAYS + 1), today + timedelta(days=1)
    kind = "postgresql" if postgres_reachable() else "sqlite"
    out: dict[str, Any] = {"engine": kind}
    with (
        tempfile.TemporaryDirectory(prefix="ingest-bench-scale-") as tmp,
        Server(first, last) as server,
    ):
        workdir = Path(tmp)
        with database(kind, workdir) as url:
            out["one"] = one = run_phase(server, url, workdir, "one", 1, SLOTS)
            out["idle"] = idle_cpu(url, workdir, server.base_url, one.wall)
        with database(kind, workdir) as url:
            out["crawl"] = one_loop_crawl(server, url, workdir)
        if kind == "postgresql":
            with database(kind, workdir) as url:
                out["replicas"] = run_phase(
                    server, url, workdir, "replica", REPLICAS, REPLICA_SLOTS
                )
        for phase in (out["one"], out["crawl"], out.get("replicas")):
            if phase is not None and (not phase.finished or any(phase.exit_codes)):
                tails = [log.read_text(errors="replace")[-3000:] for log in phase.logs]
                print("scale: a phase did not finish cleanly:\n" + "\n".join(tails))
    return out


# -- the rows ------------------------------------------------------------------------------


def run() -> list[Row]:
    # 10,000 sites: settings, health, /metrics; then one daemon holding them, in steady state
    from tests.benchmarks import many_sites, steady

    return rows(measure()) + many_sites.run() + steady.run()


def rows(m: dict[str, Any]) -> list[Row]:
    one: Phase = m["one"]
    per_site = min(RATE, CONCURRENCY / LATENCY)
    bound = SITES * per_site
    requests = len(one.sent)
    what = (
        f"{SITES} sites x 7 days, {LATENCY * 1000:.0f} ms/response, concurrency {CONCURRENCY}, "
        f"{RATE:g} req/s each ({m['engine']})"
    )
    out = [
        Row(
            "scale",
            f"{what}: requests served (pages + robots.txt)",
            f"{requests:,} ({requests / SITES:.1f} per site)",
        ),
    ]
    attainable, busiest = one.attainable_rate(per_site)
    ratio = one.rate / attainable
    out.append(
        Row(
            "scale",
            f"one daemon, {SLOTS} slots: request rate / sum of per-site limits "
            f"(min({RATE:g}, {CONCURRENCY}/{LATENCY:g} s) x {SITES})",
            f"{one.rate:.0f} / {bound:.0f} req/s = {one.rate / bound:.2f}",
        )
    )
    out.append(
        Row(
            "scale",
            "one daemon: request rate / what the limits allow these sites (every site at its "
            f"limit at once, the busiest, {busiest} requests, setting the span)",
            f"{one.rate:.0f} / {attainable:.0f} req/s = {ratio:.2f}",
            ">= 0.9",
            ratio >= 0.9 and one.finished,
        )
    )
    crawl: Phase = m["crawl"]
    out.append(
        Row(
            "scale",
            "baseline: `ingest crawl` of the same sites and week, one event loop: rate / limits",
            f"{crawl.rate:.0f} / {bound:.0f} req/s = {crawl.rate / bound:.2f}",
        )
    )
    rates = one.site_rates()
    out.append(
        Row(
            "scale",
            "one daemon: each site's own rate, median (slowest)",
            f"{statistics.median(rates):.2f} ({min(rates):.2f}) req/s, limit {per_site:g}",
        )
    )
    busy = one.cpu[0] - m["idle"]
    out.append(
        Row(
            "scale",
            "one daemon: CPU s per 1,000 pages (daemon - idle daemon, same wall)",
            f"{1000 * busy / one.pages:.2f} ({one.cpu[0]:.1f} s - {m['idle']:.1f} s, "
            f"{one.pages:,} pages)",
        )
    )
    busy = crawl.cpu[0] - m["idle"]
    out.append(
        Row(
            "scale",
            "baseline: `ingest crawl`, one event loop: CPU s per 1,000 pages (- idle daemon)",
            f"{1000 * busy / crawl.pages:.2f} ({crawl.cpu[0]:.1f} s - {m['idle']:.1f} s, "
            f"{crawl.pages:,} pages)",
        )
    )
    peak = one.peak_rss[0] / 1e6
    out.append(Row("scale", "one daemon: peak RSS (VmHWM)", f"{peak:.0f} MB", "< 250 MB",
                   0 < peak < 250))  # fmt: skip
    status = "" if one.finished else " (UNFINISHED at the deadline)"
    out.append(
        Row(
            "scale",
            "one daemon: wall, start to every site's first run finished",
            f"{one.wall:.1f} s{status}",
        )
    )
    two: Phase | None = m.get("replicas")
    if two is None:
        out.append(Row("replicas", "skipped: no PostgreSQL reachable", ""))
        return out
    ratio = two.wall / one.wall
    status = "" if two.finished else " (UNFINISHED at the deadline)"
    out.append(
        Row(
            "replicas",
            f"{REPLICAS} replicas x {REPLICA_SLOTS} slots, one PostgreSQL: wall / one daemon",
            f"{two.wall:.1f} s / {one.wall:.1f} s = {ratio:.2f}{status}",
        )
    )
    shares = Counter(run.owner for run in two.runs)
    split = " / ".join(f"{n}" for _, n in shares.most_common())
    out.append(
        Row(
            "replicas",
            "site-runs per replica (owner host:pid)",
            f"{split} of {len(two.runs)} ({len(shares)} owners)",
        )
    )
    again, overlapping, twice = two.duplicates()
    total = again + overlapping + twice
    out.append(
        Row(
            "replicas",
            "duplicate crawls: 2nd run in the tick / overlapping runs / page fetched twice",
            f"{again} / {overlapping} / {twice}",
            "0",
            total == 0 and two.finished,
        )
    )
    out.append(
        Row(
            "replicas",
            "request rate / sum of per-site limits",
            f"{two.rate:.0f} / {bound:.0f} req/s = {two.rate / bound:.2f}",
        )
    )
    peaks = " / ".join(f"{p / 1e6:.0f}" for p in two.peak_rss)
    out.append(
        Row(
            "replicas",
            "CPU s (start-up included), both replicas / one daemon; peak RSS each",
            f"{sum(two.cpu):.1f} s / {one.cpu[0]:.1f} s; {peaks} MB",
        )
    )
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(date.fromisoformat(sys.argv[2]), date.fromisoformat(sys.argv[3]))
    else:
        from tests.benchmarks.run import table

        print(table(run()))
