"""10,000 sites in one daemon, in steady state (issue 26): hourly polls of a 2-day window with
conditional GET, held for ``HOLD`` seconds with every site due once in that time.

The sites: ``SITES`` ``[[sites]]`` tables, each its own name, User-Agent and loopback host
(127.0.x.y, as ``many_sites`` writes them), all answered by one server child on one port (one
asyncio loop, the days rendered up front, as ``scale.py``'s), ``LATENCY`` a response,
``concurrency = 2``, ``requests_per_second = 4``, ``interval = "1h"``, ``lookback_days = 1``,
``fetch_article_pages = false`` (a poll of an unchanged day stops at its listing's 304 and
never reaches an article page, so the warm-up need not fetch them either), the WARC archive on
(the default), INFO events on stderr to a file, as a container logs.

Steady state is what the daemon finds when every site has run before: the database holds
each site's days and their listings' validators, and each site is due at a time of its own.
So, untimed, ``ingest crawl`` first crawls site 0, and its rows (run, days, listing
validators, articles, the health figures its run's close wrote) are copied to every other
site, host and name replaced: every site serves the same pages, so each copy is what its own
first crawl would store (crawling 10,000 sites first would take longer than the hold). Then
the schedule rows are written: site ``n`` due at ``LEAD + n / SITES * SPREAD`` seconds after
the daemon's launch (``LEAD`` covers its start-up: loading 10,000 sites' settings and the
schedule). ``ingest run`` then holds for
``HOLD`` seconds. Each site's poll is one robots.txt and one conditional GET of each day's
first listing page (a 304); robots.txt is read whole (200), as every run reads it.

Spreading every site's due time over the hold puts the polls of a whole hour into ``SPREAD``
seconds (10,000 polls in 8 minutes: 6x the hourly rate), which is what "every site due in the
hold" asks for; a longer hold at the true hourly rate would take an hour.

Measured:

* lateness: each site's first run after its due time, ``runs.started_at`` minus the due time
  the schedule row held (the daemon claims on that time, ``store.schedule.claim_due``); a site
  with no run by the end counts as late by the end minus its due time;
* the daemon's CPU from ``/proc/PID/stat`` over the hold (from the first due time to the
  end: start-up left out, idle polling in), per 1,000 polls;
* its peak RSS (``VmHWM``) before SIGTERM, and RSS sampled through the hold (growth);
* requests served, conditional ones, log bytes and WARC files per poll;
* on PostgreSQL, the transactions committed and rolled back in the bench's own database over
  the hold (``pg_stat_database``: every client's, the daemon's nearly all), per poll.

Run alone: ``python -m tests.benchmarks.steady [SITES [HOLD_SECONDS]]`` (smaller values to
develop with). As ``python -m tests.benchmarks.steady serve SITES FIRST LAST`` it is the
server child (``scale.py``'s protocol: prints its base URL, answers ``take``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.benchmarks.common import Row
from tests.benchmarks.served import ServerChild

SITES = 10_000
HOLD = 600.0  # seconds the daemon runs, measured
LEAD = 30.0  # seconds from launch to the first due time: the daemon's start-up
TAIL = 60.0  # seconds between the last due time and the end: the last polls' own time
LATENCY = 0.05
CONCURRENCY = 2
RATE = 4.0
LOOKBACK_DAYS = 1  # a 2-day window: yesterday and today
SLOTS = 100  # schedule.max_parallel_sites of the daemon (and of the warm-up crawl)
SEED = 0
# Targets (issue 26).
LATE_TARGET = 60.0
RSS_TARGET = 500e6
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- the server child ----------------------------------------------------------------------


def host(n: int) -> str:
    return f"127.0.{n // 250}.{n % 250 + 1}"


def agent(n: int) -> str:
    return f"ingest-steady-bench/1 site{n:05d}"


def serve(sites: int, first: date, last: date) -> None:
    asyncio.run(_serve(sites, first, last))


async def _serve(sites: int, first: date, last: date) -> None:
    import resource

    from tests.benchmarks.served import KeptAliveSite, _Pages, answer_parent, taken
    from tests.support.sample_site import SampleSite

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # a listening socket a host
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sent: list[tuple[float, str, str, bool]] = []

    def note(target: str, headers: dict[str, str]) -> None:
        conditional = "if-none-match" in headers or "if-modified-since" in headers
        sent.append((time.monotonic(), headers.get("user-agent", ""), target, conditional))

    site = KeptAliveSite(LATENCY, note)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = await asyncio.start_server(site, [host(n) for n in range(sites)], port, backlog=16)
    pages = site.pages = _Pages(SampleSite(seed=SEED), f"http://127.0.0.1:{port}")
    site.rendered.update(pages.prerender(first, last))
    site.rendered["/robots.txt"] = pages.answer("/robots.txt", {})
    async with server:
        await answer_parent({"port": port}, {"take": lambda: taken(sent)})


class Server(ServerChild):
    def __init__(self, sites: int, first: date, last: date) -> None:
        super().__init__("tests.benchmarks.steady", "serve", sites, first, last, stop_seconds=60)

    @property
    def port(self) -> int:
        return int(self.ready["port"])

    def take(self) -> list[tuple[float, str, str, bool]]:
        return [tuple(r) for r in self.ask("take")]


# -- the daemon ----------------------------------------------------------------------------


def site_name(n: int) -> str:
    return f"site{n:05d}"


def write_config(path: Path, sites: int, port: int, database_url: str) -> Path:
    tables = "".join(
        f'[[sites]]\nname = "{site_name(n)}"\nbase_url = "http://{host(n)}:{port}"\n'
        f'layout = "k2"\ntimezone = "UTC"\nfetch_article_pages = false\n'
        f'[sites.http]\nuser_agent = "{agent(n)}"\n'
        for n in range(sites)
    )
    path.write_text(
        f"{tables}"
        f"[http]\nconcurrency = {CONCURRENCY}\nrequests_per_second = {RATE}\n"
        f"timeout_seconds = 10\nbackoff_initial_seconds = 0.05\nbackoff_max_seconds = 0.5\n"
        f'[schedule]\ninterval = "1h"\nlookback_days = {LOOKBACK_DAYS}\n'
        f"max_parallel_sites = {SLOTS}\n"
        f'[database]\nurl = "{database_url}"\n'
        f'[archive]\ndir = "{path.parent / "warc"}"\n'
        f'[logging]\nfile = ""\nlevel = "INFO"\n',
        encoding="utf-8",
    )
    return path


def warm_up(config: Path, log: Path) -> float:
    """Site 0 crawled once by ``ingest crawl`` (``config`` holds it alone): what a daemon finds
    of a site in steady state."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    started = time.perf_counter()
    with log.open("wb") as out:
        subprocess.run(
            [sys.executable, "-m", "ingest", "--config", str(config), "crawl"],
            cwd=config.parent, env=env, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, check=True,
        )  # fmt: skip
    return time.perf_counter() - started


def clone_site_zero(url: str, sites: int, port: int) -> None:
    """Site 0's rows (its run, days, listing validators, articles, health figures) copied to
    every other site, its host and name in each text put in place of site 0's. Every site
    serves the same pages, so each copy is what its own first crawl would have stored, in
    seconds instead of an hour of crawling. (The copies' listing captures name site 0's WARC
    files, which hold the very payloads.)"""
    from sqlalchemy import create_engine, insert, select

    from ingest.store import tables

    def moved(row: dict[str, Any], n: int) -> dict[str, Any]:
        out = {}
        for key, value in row.items():
            if isinstance(value, str):
                value = value.replace(f"{host(0)}:{port}", f"{host(n)}:{port}")
                if key == "site":
                    value = site_name(n)
            out[key] = value
        return out

    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            (run,) = connection.execute(select(tables.runs)).mappings().all()
            run = {k: v for k, v in run.items() if k != "id"}
            connection.execute(insert(tables.runs), [moved(run, n) for n in range(1, sites)])
            run_ids = dict(connection.execute(select(tables.runs.c.site, tables.runs.c.id)).all())
            copied = (tables.crawl_state, tables.http_validators, tables.articles,
                      tables.site_figures)  # fmt: skip
            for table in copied:
                rows = [dict(r) for r in connection.execute(select(table)).mappings()]
                copies = []
                for n in range(1, sites):
                    for row in rows:
                        copy = moved({k: v for k, v in row.items() if k != "id"}, n)
                        for key in ("last_run_id", "first_run_id"):
                            if key in copy:
                                copy[key] = run_ids[site_name(n)]
                        copies.append(copy)
                for chunk in range(0, len(copies), 5000):
                    connection.execute(insert(table), copies[chunk : chunk + 5000])
    finally:
        engine.dispose()


def schedule_spread(url: str, sites: int, first_due: datetime, spread: float) -> list[datetime]:
    """Each site's schedule row, as a daemon leaves it after a run: unclaimed, due at a time of
    its own, ``first_due`` + n / sites x ``spread``. The due times."""
    from sqlalchemy import create_engine, delete, func, insert, select

    from ingest.store import tables

    dues = [first_due + timedelta(seconds=spread * n / sites) for n in range(sites)]
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            last = dict(
                connection.execute(
                    select(tables.runs.c.site, func.max(tables.runs.c.id)).group_by(
                        tables.runs.c.site
                    )
                ).all()
            )
            connection.execute(delete(tables.site_schedule))
            connection.execute(
                insert(tables.site_schedule),
                [
                    {
                        "site": site_name(n),
                        "next_due_at": due,
                        "last_run_id": last.get(site_name(n)),
                    }
                    for n, due in enumerate(dues)
                ],
            )
    finally:
        engine.dispose()
    return dues


def first_runs_after(url: str, since: datetime) -> dict[str, datetime]:
    """Each site's first run started at or after ``since``: its start."""
    from sqlalchemy import create_engine, func, select

    from ingest.store import tables

    r = tables.runs.c
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(r.site, func.min(r.started_at)).where(r.started_at >= since).group_by(r.site)
            ).all()
    finally:
        engine.dispose()
    return {site: _utc(started) for site, started in rows}


def run_count_after(url: str, since: datetime) -> tuple[int, dict[str, int]]:
    from sqlalchemy import create_engine, func, select

    from ingest.store import tables

    r = tables.runs.c
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            by_status = dict(
                connection.execute(
                    select(r.status, func.count()).where(r.started_at >= since).group_by(r.status)
                ).all()
            )
    finally:
        engine.dispose()
    return sum(by_status.values()), by_status


def transactions(url: str) -> tuple[int, int]:
    """Transactions committed and rolled back in the database so far, and the sessions
    (connections) opened to it (PostgreSQL; 0 on SQLite). The statistics are flushed by each
    backend within a second or so of its work."""
    from sqlalchemy import create_engine, text

    if not url.startswith("postgresql"):
        return 0, 0
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            query = "SELECT xact_commit + xact_rollback, sessions FROM pg_stat_database"
            found = connection.execute(text(f"{query} WHERE datname = current_database()"))
            xacts, sessions = found.one()
            return int(xacts), int(sessions)
    finally:
        engine.dispose()


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU so far (``/proc/PID/stat``, every thread)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@dataclass
class Hold:
    sites: int
    hold: float
    warm_up: float
    dues: list[datetime]
    started: dict[str, datetime]
    ended_at: datetime
    cpu: float  # over the hold
    cpu_total: float  # start-up included
    peak_rss: int
    rss: list[tuple[float, int]]  # (seconds since the first due time, VmRSS)
    sent: list[tuple[float, str, str, bool]]
    runs: int
    statuses: dict[str, int]
    log_bytes: int
    log_lines: int
    warc_files: int
    warc_bytes: int
    other_files: int
    fds: int
    exit_code: int
    engine: str
    load: tuple[float, float]  # load average at start and end
    xacts: tuple[int, int]  # PostgreSQL transactions and sessions over the hold (0: SQLite)

    def lateness(self) -> list[float]:
        out = []
        for n, due in enumerate(self.dues):
            started = self.started.get(site_name(n))
            out.append(((started or self.ended_at) - due).total_seconds())
        return out

    @property
    def missing(self) -> int:
        return sum(1 for n in range(self.sites) if site_name(n) not in self.started)


def measure(sites: int = SITES, hold: float = HOLD) -> Hold:
    from tests.benchmarks import scale

    spread = max(1.0, hold - LEAD - TAIL)
    today = datetime.now(UTC).date()
    first, last = today - timedelta(days=LOOKBACK_DAYS + 1), today + timedelta(days=1)
    kind = "postgresql" if scale.postgres_reachable() else "sqlite"
    with (
        tempfile.TemporaryDirectory(prefix="ingest-bench-steady-") as tmp,
        Server(sites, first, last) as server,
    ):
        workdir = Path(tmp)
        with scale.database(kind, workdir) as url:
            config = write_config(workdir / "steady.toml", sites, server.port, url)
            started = time.perf_counter()
            warm_up(write_config(workdir / "one.toml", 1, server.port, url), workdir / "warm.log")
            clone_site_zero(url, sites, server.port)
            warmed = time.perf_counter() - started
            print(f"steady: warmed up in {warmed:.0f} s; holding {hold:.0f} s", flush=True)
            server.take()
            warc = workdir / "warc"
            before = {p.name for p in warc.iterdir()} if warc.exists() else set()
            log = workdir / "steady.log"
            launch = datetime.now(UTC)
            first_due = launch + timedelta(seconds=LEAD)
            dues = schedule_spread(url, sites, first_due, spread)
            load_start = os.getloadavg()[0]
            xacts_start = transactions(url)
            process = scale.start_daemon(config, log)
            profiler = _profile(process.pid, hold)
            samples: list[tuple[float, int]] = []
            cpu_at_first_due = 0.0
            try:
                end = time.monotonic() + hold
                first_due_mono = time.monotonic() + LEAD
                while (now := time.monotonic()) < end and scale.alive(process):
                    if cpu_at_first_due == 0.0 and now >= first_due_mono:
                        cpu_at_first_due = cpu_seconds(process.pid)
                    samples.append((now - first_due_mono, rss_bytes(process.pid)))
                    time.sleep(min(5.0, max(0.0, end - now)))
                ended_at = datetime.now(UTC)
                cpu_end = cpu_seconds(process.pid) if scale.alive(process) else 0.0
                peak = scale.peak_rss_bytes(process.pid) if scale.alive(process) else 0
                fds = (
                    len(list(Path(f"/proc/{process.pid}/fd").iterdir()))
                    if scale.alive(process)
                    else 0
                )
            finally:
                cpu_total, code = scale.stop(process)
                if profiler is not None:
                    profiler.wait(timeout=60)
            load_end = os.getloadavg()[0]
            time.sleep(1.5)  # the daemon's backends flush their statistics as they end
            xacts_end = transactions(url)
            xacts = (xacts_end[0] - xacts_start[0], xacts_end[1] - xacts_start[1])
            sent = server.take()
            started = first_runs_after(url, launch)
            runs, statuses = run_count_after(url, launch)
            files = [p for p in warc.iterdir() if p.name not in before]
            warcs = [p for p in files if ".warc.gz" in p.name]
            text = log.read_bytes()
            # The daemon's own lines from launch to the end (its stop is left out).
            result = Hold(
                sites, hold, warmed, dues, started, ended_at, cpu_end - cpu_at_first_due,
                cpu_total, peak, samples, sent, runs, statuses, len(text), text.count(b"\n"),
                len(warcs), sum(p.stat().st_size for p in warcs), len(files) - len(warcs), fds,
                code, kind, (load_start, load_end), xacts,
            )  # fmt: skip
            if code or result.missing:
                print("steady: the daemon's log ends:\n" + text[-3000:].decode(errors="replace"))
            return result


def _profile(pid: int, hold: float) -> subprocess.Popen[bytes] | None:
    """With ``INGEST_BENCH_PYSPY=FILE`` (py-spy installed beside the interpreter): the daemon's
    stacks over the hold, collapsed, into FILE. A development aid, off in ``make bench``."""
    out = os.environ.get("INGEST_BENCH_PYSPY")
    if not out:
        return None
    spy = Path(sys.executable).with_name("py-spy")
    argv = [str(spy), "record", "-p", str(pid), "-d", str(int(hold - 2)), "-r", "50", "-f",
            "raw", "-o", out, "--nonblocking", "--threads"]  # fmt: skip
    return subprocess.Popen(argv)


# -- the rows ------------------------------------------------------------------------------


def rows(m: Hold) -> list[Row]:
    late = sorted(m.lateness())
    polls = m.runs
    worst = late[-1] if late else float("inf")
    p99 = late[min(len(late) - 1, int(0.99 * len(late)))] if late else float("inf")
    what = (
        f"{m.sites:,} sites, hourly, 2-day window, every site due once in a {m.hold / 60:.0f}-min "
        f"hold ({m.engine}, load {m.load[0]:.1f}-{m.load[1]:.1f})"
    )
    conditional = sum(1 for *_, c in m.sent if c)
    growth = ""
    if len(m.rss) > 4:
        quarter = len(m.rss) // 4
        early = statistics.median(r for _, r in m.rss[:quarter])
        late_rss = statistics.median(r for _, r in m.rss[-quarter:])
        growth = f"; RSS first / last quarter {early / 1e6:.0f} / {late_rss / 1e6:.0f} MB"
    status = ", ".join(f"{k} {v:,}" for k, v in sorted(m.statuses.items()))
    return [
        Row("steady", f"{what}: polls (runs started) / sites; by status",
            f"{polls:,} / {m.sites:,}; {status}"),
        Row("steady", "lateness, run start - due time: worst (99th pct, median); sites never run",
            f"{worst:.1f} s ({p99:.1f}, {statistics.median(late):.1f} s); {m.missing}",
            f"<= {LATE_TARGET:.0f} s", worst <= LATE_TARGET and m.missing == 0),
        Row("steady", "daemon peak RSS (VmHWM)" + growth, f"{m.peak_rss / 1e6:.0f} MB",
            f"< {RSS_TARGET / 1e6:.0f} MB", 0 < m.peak_rss < RSS_TARGET),
        Row("steady", "daemon CPU per 1,000 polls (over the hold, start-up left out)",
            f"{1000 * m.cpu / max(polls, 1):.1f} s ({m.cpu:.0f} s for {polls:,}; "
            f"{m.cpu_total:.0f} s with start-up)"),
        Row("steady", "requests served per poll (conditional); warm-up (site 0 crawled, cloned)",
            f"{len(m.sent) / max(polls, 1):.2f} ({conditional / max(len(m.sent), 1):.0%}); "
            f"{m.warm_up:.0f} s"),
        Row("steady", "log per poll: bytes (lines); WARC files per poll (bytes each); other files",
            f"{m.log_bytes / max(polls, 1):,.0f} ({m.log_lines / max(polls, 1):.1f}); "
            f"{m.warc_files / max(polls, 1):.2f} ({m.warc_bytes / max(m.warc_files, 1):,.0f}); "
            f"{m.other_files:,}"),
        Row("steady", "PostgreSQL transactions per poll; connections opened (over the hold)",
            f"{m.xacts[0] / max(polls, 1):.1f}; {m.xacts[1]:,}" if m.xacts[0] else "n/a (SQLite)"),
        Row("steady", "daemon open file descriptors at the end; exit code",
            f"{m.fds}; {m.exit_code}"),
    ]  # fmt: skip


def run(sites: int = SITES, hold: float = HOLD) -> list[Row]:
    return rows(measure(sites, hold))


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]), date.fromisoformat(sys.argv[3]), date.fromisoformat(sys.argv[4]))
    else:
        from tests.benchmarks.run import table

        args = sys.argv[1:]
        sites = int(args[0]) if args else SITES
        hold = float(args[1]) if len(args) > 1 else HOLD
        print(table(run(sites, hold)))
