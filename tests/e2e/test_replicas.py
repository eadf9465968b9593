"""Daemon replicas on one PostgreSQL, as real processes: they split the sites, never crawl a
site twice in one tick, take over a killed replica's sites, and SQLite refuses a second daemon."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Row, create_engine, select
from sqlalchemy.exc import ProgrammingError

from ingest.store import tables
from tests.support.postgres import fresh_postgres
from tests.support.replicas import hosts_can_be_named, start_replica
from tests.support.sample_site import SampleSite, SampleSiteServer

SITES = 12
INTERVAL = 3.0
HEARTBEAT = 2.0


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    return fresh_postgres(postgres_url)


def write_config(
    tmp_path: Path, server: SampleSiteServer, url: str, *, lookback: int, sites: int = SITES
) -> Path:
    tables = "".join(
        f'[[sites]]\nname = "site{n:02d}"\nbase_url = "{server.base_url}"\nlayout = "k2"\n'
        for n in range(sites)
    )
    config = tmp_path / "replicas.toml"
    config.write_text(
        f"{tables}"
        f"[http]\nrequests_per_second = 0\ntimeout_seconds = 5\nbackoff_initial_seconds = 0.05\n"
        f'[schedule]\ninterval = "{INTERVAL:g}s"\nlookback_days = {lookback}\n'
        f"max_parallel_sites = 3\nheartbeat_seconds = {HEARTBEAT:g}\n"
        f'[database]\nurl = "{url}"\n[logging]\nfile = ""\n'
    )
    return config


def all_runs(url: str) -> list[Row[Any]]:
    """Every run so far; none while the first replica is still creating the schema."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(tables.runs).order_by(tables.runs.c.started_at)))
    except ProgrammingError:
        return []
    finally:
        engine.dispose()


def process_of(run: Row[Any]) -> str:
    return (run.owner or "").rsplit(":", 1)[0]


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=30)


def test_two_replicas_share_twelve_sites_once_per_tick(tmp_path: Path, pg_url: str) -> None:
    """Over a few ticks: every site crawled, no site twice in a tick or twice at once, and
    each replica ran at least a third of the site-runs."""
    with SampleSiteServer(SampleSite(seed=3), latency_seconds=0.02) as server:
        config = write_config(tmp_path, server, pg_url, lookback=1)
        processes = [start_replica(config, tmp_path / f"replica{n}.log") for n in range(2)]
        try:
            # Start-up (imports, the schema) takes its time on a busy machine: count ticks from
            # the first run, and watch a few once every site has run.
            deadline = time.monotonic() + 60
            while len({r.site for r in all_runs(pg_url)}) < SITES:
                assert time.monotonic() < deadline, "every site runs at start"
                time.sleep(0.2)
            time.sleep(3 * INTERVAL)
        finally:
            stop(processes)
    runs = all_runs(pg_url)
    assert runs[-1].finished_at is not None
    ticks = (runs[-1].finished_at - runs[0].started_at).total_seconds() / INTERVAL
    assert [p.returncode for p in processes] == [0, 0]
    runs = [r for r in runs if r.status != "interrupted"]
    by_site: dict[str, list[Row[Any]]] = {}
    for run in runs:
        by_site.setdefault(run.site, []).append(run)
    assert len(by_site) == SITES, "every site was crawled"
    for site, site_runs in by_site.items():
        assert all(r.status == "succeeded" for r in site_runs), site
        # One run per tick (a run may start late in its tick, so count rather than space them).
        assert 2 <= len(site_runs) <= ticks + 1, f"{site}: {len(site_runs)} runs in {ticks:.1f}"
        for earlier, later in itertools.pairwise(site_runs):
            assert earlier.finished_at is not None
            assert later.started_at >= earlier.finished_at, f"{site} crawled twice at once"
    shares = Counter(process_of(run) for run in runs)
    assert len(shares) == 2, shares
    # Both take part, about evenly: every replica wakes as the tick's sites fall due, not only
    # the one whose runs end first (33 of 48 on one were seen while only a run's end woke it).
    assert min(shares.values()) >= len(runs) / 3, shares


@pytest.mark.parametrize("hosts", ["one host", "two hosts"])
def test_a_killed_replica_is_taken_over_and_its_runs_abandoned(
    tmp_path: Path, pg_url: str, hosts: str
) -> None:
    """kill -9 one replica mid-crawl: within two heartbeats the other (with free slots) runs
    its sites, and the killed replica's runs are recorded abandoned. On one host the dead
    process is looked up; on two (host names of their own) its heartbeat is watched."""
    if hosts == "two hosts" and not hosts_can_be_named():
        pytest.skip("needs root and unshare to give each replica a host name of its own")
    with SampleSiteServer(SampleSite(seed=3), latency_seconds=0.5) as server, ExitStack() as stack:
        config = write_config(tmp_path, server, pg_url, lookback=6, sites=3)
        named = hosts == "two hosts"
        first = start_replica(config, tmp_path / "first.log", host="first" if named else None)
        stack.callback(stop, [first])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            running = [r for r in all_runs(pg_url) if r.status == "running"]
            if len(running) == 3:
                break
            time.sleep(0.2)
        assert len(running) == 3, "the first replica holds three sites"
        second_log = tmp_path / "second.log"
        second = start_replica(config, second_log, host="second" if named else None)
        stack.callback(stop, [second])
        # The second replica is up and polling (nothing of the first's is due): on a busy
        # machine its start-up alone can take seconds.
        deadline = time.monotonic() + 60
        while '"daemon_started"' not in second_log.read_text():
            assert time.monotonic() < deadline, "the second replica starts"
            time.sleep(0.1)
        time.sleep(1.0)
        # Killed mid-crawl: its first runs may have ended while the second started (the
        # next ones come every interval).
        victim = process_of(running[0])
        deadline = time.monotonic() + 30
        while not any(r.status == "running" for r in all_runs(pg_url) if process_of(r) == victim):
            assert time.monotonic() < deadline, "the first replica crawls again"
            time.sleep(0.05)
        first.kill()
        first.wait()
        killed_at = datetime.now().astimezone()
        # The first replica's runs still open when it died (one may have finished before).
        running = [r for r in all_runs(pg_url) if process_of(r) == victim and not r.finished_at]
        assert running, "the first replica died mid-crawl"
        held = {r.site for r in running}
        taken: dict[str, float] = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and set(taken) != held:
            for run in all_runs(pg_url):
                other = process_of(run) != victim
                if run.site in held and other and run.started_at >= killed_at:
                    taken.setdefault(run.site, (run.started_at - killed_at).total_seconds())
            time.sleep(0.1)
        assert set(taken) == held, f"taken over: {taken}"
        # Two heartbeats, plus a poll and a run's start on a machine the suite keeps busy.
        assert max(taken.values()) <= 2 * HEARTBEAT + 1.5, taken
        statuses = {r.id: r.status for r in all_runs(pg_url)}
        assert all(statuses[r.id] == "abandoned" for r in running), statuses


def test_a_second_daemon_on_one_sqlite_file_is_refused(
    server: SampleSiteServer, tmp_path: Path
) -> None:
    """SQLite holds one daemon: the second exits 1 with a line saying so and naming the first."""
    config = write_config(tmp_path, server, f"sqlite:///{tmp_path / 'one.db'}", lookback=0)
    first = start_replica(config, tmp_path / "first.log")
    lock = tmp_path / "one.db.daemon-lock"
    try:
        # The first holds the file once it has written its name into the lock (a fixed wait
        # was too short on a machine the suite keeps busy).
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text().strip()):
            assert time.monotonic() < deadline and first.poll() is None, "first never started"
            time.sleep(0.1)
        env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
        second = subprocess.run(
            [sys.executable, "-m", "ingest", "--config", str(config), "run"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    finally:
        stop([first])
    assert second.returncode == 1
    assert "another daemon" in second.stderr and "use PostgreSQL" in second.stderr
    assert "Traceback" not in second.stderr
    assert first.returncode == 0
