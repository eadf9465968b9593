"""The daemon and a database that goes away, on a private PostgreSQL these tests stop and start:
two replicas (on hosts of their own) through a 20 s outage take nobody for dead, and a daemon
started while the database is down waits for it."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Row, create_engine, select
from sqlalchemy.exc import SQLAlchemyError

from ingest.store import tables
from tests.support.cli import free_port, ingest, wait_for, write_config
from tests.support.postgres import PrivatePostgres
from tests.support.replicas import (
    event_counts,
    events,
    hosts_can_be_named,
    start_replica,
    stop_replicas,
)
from tests.support.sample_site import SampleSite, SampleSiteServer

SITES = 4
HEARTBEAT = 2.0  # stale limit 3 s: a 20 s outage is almost seven of them
OUTAGE_SECONDS = 20.0

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    try:
        yield server
    finally:
        server.remove()


def replicas_config(tmp_path: Path, server: SampleSiteServer, url: str) -> Path:
    sites = "".join(
        f'[[sites]]\nname = "site{n}"\nbase_url = "{server.base_url}"\nlayout = "k2"\n'
        for n in range(SITES)
    )
    config = tmp_path / "replicas.toml"
    config.write_text(
        f"{sites}"
        "[http]\nrequests_per_second = 0\nconcurrency = 1\ntimeout_seconds = 5\n"
        "backoff_initial_seconds = 0.05\n"
        '[schedule]\ninterval = "3s"\nlookback_days = 3\nmax_parallel_sites = 3\n'
        f"heartbeat_seconds = {HEARTBEAT:g}\n"
        f'[database]\nurl = "{url}"\n[logging]\nfile = ""\n'
    )
    return config


def all_runs(url: str) -> list[Row[Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(tables.runs).order_by(tables.runs.c.id)))
    except SQLAlchemyError:
        return []  # the schema is not there yet, or the server is down
    finally:
        engine.dispose()


def crawled_since(url: str, moment: datetime) -> int:
    """How many sites have a run that succeeded after ``moment``."""
    done = {r.site for r in all_runs(url) if r.status == "succeeded" and r.finished_at > moment}
    return len(done)


def test_a_20s_outage_takes_no_replica_for_dead(postgres: PrivatePostgres, tmp_path: Path) -> None:
    """PostgreSQL stopped for 20 s while two replicas (hosts "replica-a" and "replica-b")
    crawl four sites, three slots each (so each has a slot free to take the other's sites):
    no claim taken over, no run abandoned or skipped, every site crawled again after the
    outage, and both exit 0 on SIGTERM."""
    if not hosts_can_be_named():
        pytest.skip("needs root and unshare to give each replica a host name of its own")
    url = postgres.new_database("replica_outage")
    logs = [tmp_path / "replica-a.log", tmp_path / "replica-b.log"]
    # Each request takes half a second: runs are in progress when the database goes away.
    with SampleSiteServer(SampleSite(seed=5), latency_seconds=0.5) as server:
        config = replicas_config(tmp_path, server, url)
        replicas = [
            start_replica(config, logs[0], host="replica-a"),
            start_replica(config, logs[1], host="replica-b"),
        ]
        try:
            deadline = time.monotonic() + 90
            while len({r.site for r in all_runs(url) if r.status == "running"}) < SITES:
                assert time.monotonic() < deadline, "the replicas crawl every site at once"
                assert all(p.poll() is None for p in replicas), "a replica exited"
                time.sleep(0.2)
            postgres.stop()
            time.sleep(OUTAGE_SECONDS)
            postgres.start()
            back = datetime.now(UTC)
            # Five stale limits with the database back (any takeover would have happened by
            # then), and until every site has been crawled since.
            settle = time.monotonic() + 5 * 1.5 * HEARTBEAT
            deadline = time.monotonic() + 90
            while time.monotonic() < settle or crawled_since(url, back) != SITES:
                assert time.monotonic() < deadline, "every site is crawled after the outage"
                assert all(p.poll() is None for p in replicas), "no replica exited on its own"
                time.sleep(0.5)
        finally:
            stop_replicas(replicas)
    assert [p.returncode for p in replicas] == [0, 0]
    counts = event_counts(*logs)
    assert counts["database_unavailable"] >= 1, "the outage reached the runs"
    for event in ("claim_taken_over", "site_taken_over", "runs_abandoned", "run_skipped"):
        assert counts[event] == 0, f"{event}: {counts[event]}"
    runs = all_runs(url)
    assert "abandoned" not in {r.status for r in runs}
    owners = {r.owner.split(":")[0] for r in runs if r.owner}
    assert owners == {"replica-a", "replica-b"}, owners


def count(log: Path, name: str) -> int:
    return sum(e["event"] == name for e in events(log))


def healthz(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_run_started_while_the_database_is_down_waits_for_it(
    postgres: PrivatePostgres, tmp_path: Path
) -> None:
    """`ingest run` started with PostgreSQL down: one `database_waiting` per attempt (never the
    password), /healthz 503 "waiting for the database"; once the server is up it crawls, and
    SIGTERM ends it 0. A one-shot command meanwhile exits 1 with one line."""
    secret = "s3cret-pass"
    url = postgres.new_database("waits").replace("postgres@", f"postgres:{secret}@")
    port = free_port()
    log = tmp_path / "daemon.log"
    with SampleSiteServer(SampleSite(seed=1)) as server:
        config = write_config(
            tmp_path, server, f'[metrics]\nport = {port}\n[schedule]\ninterval = "1h"\n'
        )
        postgres.stop()
        try:
            daemon = start_replica(config, log, env={"INGEST_DATABASE_URL": url})
            try:
                wait_for(lambda: count(log, "database_waiting") >= 3, timeout=60)
                status, body = healthz(port)
                assert status == 503 and body.startswith("waiting for the database"), body
                assert "cannot reach the database (postgresql 127.0.0.1" in body
                one_shot = ingest("--config", str(config), "health", cwd=tmp_path,
                                  env={"INGEST_DATABASE_URL": url})  # fmt: skip
                assert one_shot.returncode == 1
                assert one_shot.stderr.startswith("ingest: error: cannot reach the database")
                assert len(one_shot.stderr.strip().splitlines()) == 1
            finally:
                postgres.start()
            wait_for(lambda: count(log, "run_finished") >= 1, timeout=90)
            assert daemon.poll() is None
        finally:
            stop_replicas([daemon])
    assert daemon.returncode == 0
    waiting = [e for e in events(log) if e["event"] == "database_waiting"]
    assert [e["attempt"] for e in waiting] == list(range(1, len(waiting) + 1))
    assert count(log, "database_reached") == 1
    assert [e["status"] for e in events(log) if e["event"] == "run_finished"] == ["succeeded"]
    text = log.read_text()
    assert secret not in text and "Traceback" not in text


def test_run_stopped_while_waiting_for_the_database_exits_0(
    postgres: PrivatePostgres, tmp_path: Path
) -> None:
    """SIGTERM while the daemon waits for its database: exit 0 within seconds."""
    url = postgres.new_database("stopped_waiting")
    log = tmp_path / "daemon.log"
    with SampleSiteServer(SampleSite(seed=1)) as server:
        config = write_config(tmp_path, server)
        postgres.stop()
        try:
            daemon = start_replica(config, log, env={"INGEST_DATABASE_URL": url})
            try:
                wait_for(lambda: count(log, "database_waiting") >= 1, timeout=60)
                stopping = time.monotonic()
            finally:
                stop_replicas([daemon])
        finally:
            postgres.start()
    assert daemon.returncode == 0
    assert time.monotonic() - stopping < 5
    assert count(log, "daemon_stopped") == 1
