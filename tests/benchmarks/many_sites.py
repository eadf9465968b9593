"""10,000 sites (issue 26): the settings, ``ingest health`` and the ``/metrics`` scrape.

A config of ``SITES`` ``[[sites]]`` tables (each its own name, host and User-Agent, as
``scale.py`` writes them), and a migrated SQLite database that holds, for every one of those
sites, what a daemon polling it hourly would have left: ``RUNS`` runs an hour apart (one in
ten partial, one in twenty failed, the newest succeeded), the crawl state of its last ``DAYS``
days (one in fifteen failed, the rest complete) and ``ARTICLES_PER_DAY`` articles on each
complete day, and the health figures its last run would have left (``store.figures``, one
row a site). The rows are written straight in (executemany), not crawled: what is timed is
reading them.

Timed, each the median of ``REPEAT``:

* the settings load (``load_settings`` of the file) in a fresh interpreter, which is what
  every command pays;
* the health check of every site (``health.check_sites``) in-process, settings loaded;
* a ``GET /metrics`` over HTTP from the daemon's own server (``metrics.serve_metrics``, the
  health callback ``ingest run`` gives it);
* and, for the figure an operator sees, ``ingest health`` as a subprocess, start to exit.

Run alone: ``python -m tests.benchmarks.many_sites``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.benchmarks.common import Row

SITES = 10_000
RUNS = 48  # two days of hourly polls
DAYS = 30
ARTICLES_PER_DAY = 2
REPEAT = 3
TARGET = 1.0  # seconds, each of the three


def site_name(n: int) -> str:
    return f"site{n:05d}"


def write_config(path: Path, database_url: str, sites: int = SITES) -> Path:
    """``sites`` ``[[sites]]`` tables, each on a loopback host of its own."""
    tables = "".join(
        f'[[sites]]\nname = "{site_name(n)}"\n'
        f'base_url = "http://127.0.{n // 250}.{n % 250 + 1}:8080"\nlayout = "k2"\n'
        f'timezone = "UTC"\n[sites.http]\nuser_agent = "ingest-bench {site_name(n)}"\n'
        for n in range(sites)
    )
    path.write_text(
        f"{tables}[http]\nconcurrency = 2\nrequests_per_second = 4.0\n"
        f'[schedule]\ninterval = "1h"\nlookback_days = 1\n'
        f'[database]\nurl = "{database_url}"\n[logging]\nfile = ""\n',
        encoding="utf-8",
    )
    return path


def populate(database_url: str, sites: int = SITES, now: datetime | None = None) -> None:
    """Every site's runs, crawl state and articles, as described above."""
    from sqlalchemy import create_engine, insert

    from ingest.settings import HealthSettings
    from ingest.store import figures, tables
    from ingest.store.migrate import upgrade_to_head

    now = now or datetime.now(UTC)
    engine = create_engine(database_url)
    upgrade_to_head(engine)
    today = now.date()
    with engine.begin() as connection:
        run_rows = []
        for n in range(sites):
            for r in range(RUNS):
                started = now - timedelta(hours=RUNS - r, minutes=n % 50)
                status = "succeeded"
                if r != RUNS - 1 and r % 10 == 3:
                    status = "partial"
                elif r != RUNS - 1 and r % 20 == 7:
                    status = "failed"
                run_rows.append({
                    "site": site_name(n), "kind": "crawl", "status": status,
                    "started_at": started, "finished_at": started + timedelta(seconds=20),
                    "date_from": today - timedelta(days=1), "date_to": today,
                    "heartbeat_at": started + timedelta(seconds=20),
                    "owner": f"bench:1:{n:x}{r:x}", "dates_total": 2, "dates_done": 2,
                    "error_summary": "HTTP 503" if status != "succeeded" else None,
                })  # fmt: skip
        connection.execute(insert(tables.runs), run_rows)
        states, articles = [], []
        for n in range(sites):
            first_run = n * RUNS + 1  # ids in insertion order
            last_run = first_run + RUNS - 1
            for d in range(DAYS):
                day = today - timedelta(days=d)
                failed = (n + d) % 15 == 4
                count = 0 if failed else ARTICLES_PER_DAY
                states.append({
                    "site": site_name(n), "date": day, "status": "failed" if failed else "complete",
                    "item_count": count, "attempts": 1, "last_attempt_at": now,
                    "last_success_at": None if failed else now,
                    "last_error": "HTTP 503" if failed else None,
                    "failing_since": now - timedelta(hours=2) if failed else None,
                    "last_run_id": last_run,
                })  # fmt: skip
                for i in range(count):
                    title = f"{site_name(n)} {day} story {i}"
                    articles.append({
                        "site": site_name(n), "date": day, "title": title, "title_key": title,
                        "title_digest": f"{n:08x}{d:04x}{i:04x}", "url": f"https://x/{d}/{i}",
                        "category": "news", "body": "body", "body_source": "article",
                        "listing_hash": "h", "published_at": now, "content_hash": "h",
                        "first_seen_at": now, "updated_at": now, "first_run_id": first_run,
                        "last_run_id": last_run,
                    })  # fmt: skip
        connection.execute(insert(tables.crawl_state), states)
        connection.execute(insert(tables.articles), articles)
        # What each site's last run would have left: its health figures (``store.figures``),
        # counted with the thresholds of the config (the defaults).
        basis = figures.QuietBasis.of(HealthSettings(), None)
        names = [site_name(n) for n in range(sites)]
        figures.refresh(connection, names, dict.fromkeys(names, basis))
    engine.dispose()


def median_seconds(work: Callable[[], object], repeat: int = REPEAT) -> tuple[float, float]:
    """Wall and CPU (this process's, every thread: SQLite works in it) seconds, medians."""
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


_LOAD = (
    "import sys, time\n"
    "from ingest.settings import load_settings\n"
    "started, cpu = time.perf_counter(), time.process_time()\n"
    "settings = load_settings(sys.argv[1])\n"
    "print(time.perf_counter() - started, time.process_time() - cpu, len(settings.sites))\n"
)


def settings_load_seconds(config: Path) -> tuple[float, float]:
    """``load_settings`` in a fresh interpreter (imports not counted): wall and CPU seconds,
    medians of REPEAT."""
    walls, cpus = [], []
    for _ in range(REPEAT):
        out = subprocess.run([sys.executable, "-c", _LOAD, str(config)], check=True,
                             capture_output=True, text=True).stdout.split()  # fmt: skip
        assert int(out[2]) == SITES, out
        walls.append(float(out[0]))
        cpus.append(float(out[1]))
    return statistics.median(walls), statistics.median(cpus)


def measure(workdir: Path) -> dict[str, float | int]:
    from ingest import health
    from ingest.metrics import MetricsCollector, serve_metrics
    from ingest.settings import load_settings
    from ingest.store.engine import Database

    url = f"sqlite:///{workdir / 'many.db'}"
    # SITES read now, not when the defaults were bound: a run with a smaller SITES gets it.
    config = write_config(workdir / "many.toml", url, SITES)
    started = time.perf_counter()
    populate(url, SITES)
    out: dict[str, float | int] = {"populate": time.perf_counter() - started}
    print(f"many sites: database written in {out['populate']:.0f} s", flush=True)
    out["load"], out["load_cpu"] = settings_load_seconds(config)
    settings = load_settings(config)
    database = Database.from_url(url)
    try:
        reports = health.check_sites(settings, database)
        out["healthy"] = sum(r.healthy for r in reports)
        out["health"], out["health_cpu"] = median_seconds(
            lambda: health.check_sites(settings, database)
        )
        server = serve_metrics(MetricsCollector(), "127.0.0.1", 0,
                               lambda: health.check_sites(settings, database))  # fmt: skip
        port = server.server_address[1]

        def scrape() -> bytes:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60) as r:
                body: bytes = r.read()
                return body

        try:
            out["series"] = scrape().count(b"\ningest_health{")
            out["scrape"], out["scrape_cpu"] = median_seconds(scrape)
        finally:
            server.shutdown()
            server.server_close()
    finally:
        database.dispose()
    started = time.perf_counter()
    command = [sys.executable, "-m", "ingest", "--config", str(config), "health"]
    subprocess.run(command, cwd=workdir, capture_output=True, check=False)
    out["command"] = time.perf_counter() - started
    return out


def rows(m: dict[str, float | int]) -> list[Row]:
    what = f"{SITES:,} sites"
    db = f"{RUNS} runs, {DAYS} days, {ARTICLES_PER_DAY * DAYS} articles a site, SQLite"
    return [
        Row("scale", f"{what}: settings load (load_settings, fresh interpreter), wall (CPU)",
            f"{m['load']:.2f} s ({m['load_cpu']:.2f} s)", "< 1 s", m["load"] < TARGET),
        Row("scale", f"{what}: health of every site, wall (CPU) ({db})",
            f"{m['health']:.2f} s ({m['health_cpu']:.2f} s; {m['healthy']:,} healthy)", "< 1 s",
            m["health"] < TARGET),
        Row("scale", f"{what}: GET /metrics from the daemon's server, wall (CPU)",
            f"{m['scrape']:.2f} s ({m['scrape_cpu']:.2f} s; {m['series']:,} ingest_health"
            " series)", "< 1 s", m["scrape"] < TARGET),
        Row("scale", f"{what}: `ingest health` as a subprocess, start to exit",
            f"{m['command']:.2f} s"),
    ]  # fmt: skip


def run() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="ingest-bench-many-") as tmp:
        measured = measure(Path(tmp))
    print(f"many sites: {measured}", flush=True)
    return rows(measured)


if __name__ == "__main__":
    from tests.benchmarks.run import table

    print(table(run()))
