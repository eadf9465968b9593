"""A database outage in the middle of a backfill, on a private PostgreSQL this test can stop.

The server is started with ``initdb`` and ``pg_ctl`` as the ``postgres`` user, in a temporary
directory, on a free port; stopping it (``pg_ctl stop -m fast``) is what a fail-over or a
minor-version upgrade does to a running crawl.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ingest.planning import dates_in_flight
from tests.support.cli import ROOT, ingest, write_config
from tests.support.listings import LISTING
from tests.support.postgres import PrivatePostgres
from tests.support.sample_site import SampleSite, SampleSiteServer

FIRST, LAST = date(2020, 1, 1), date(2020, 3, 31)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def slow_site() -> Iterator[SampleSiteServer]:
    """The sample site with some latency: three months take a few seconds."""
    with SampleSiteServer(SampleSite(seed=0), latency_seconds=0.03) as running:
        yield running


def events(log: Path) -> list[dict[str, object]]:
    found = []
    for line in log.read_text().splitlines() if log.exists() else []:
        with contextlib.suppress(json.JSONDecodeError):
            found.append(json.loads(line))
    return found


@contextlib.contextmanager
def backfill(config: Path, tmp_path: Path, url: str) -> Iterator[subprocess.Popen[str]]:
    """The backfill of the range as a process, its stdout in ``stdout.txt``; killed if the
    test fails first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    env.update(PYTHONPATH=str(ROOT), INGEST_DATABASE_URL=url)
    args = ["backfill", "--from", FIRST.isoformat(), "--to", LAST.isoformat()]
    with (tmp_path / "stdout.txt").open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ingest", "--config", str(config), *args],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()


def wait_for_dates(log: Path, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while sum(e["event"] == "date_done" for e in events(log)) < count:
        assert process.poll() is None, "the backfill ended before the outage"
        assert time.monotonic() < deadline
        time.sleep(0.05)


def first_requests(server: SampleSiteServer) -> dict[date, float]:
    """When each date's listing was first asked for."""
    first: dict[date, float] = {}
    for record in server.requests:
        match = LISTING.match(record.path)
        if match:
            first.setdefault(date(int(match[1]), int(match[2]), int(match[3])), record.time)
    return first


def listing_dates_between(server: SampleSiteServer, start: float, end: float) -> set[date]:
    found = ((LISTING.match(record.path), record.time) for record in server.requests)
    return {date(int(m[1]), int(m[2]), int(m[3])) for m, when in found if m and start < when < end}


def export_equals_the_site(
    config: Path, tmp_path: Path, url: str, server: SampleSiteServer
) -> None:
    exported = ingest("--config", str(config), "export", cwd=tmp_path,
                      env={"INGEST_DATABASE_URL": url})  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    got = [
        (r["date"], r["title"], r["body"]) for r in map(json.loads, exported.stdout.splitlines())
    ]
    assert len(got) == len(set(got)), "nothing doubled"
    want = [
        (day.isoformat(), r.title, r.body)
        for day in (FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1))
        for r in server.site.expected_records(day, base_url=server.base_url)
    ]
    assert sorted(got) == sorted(want), "nothing lost"


def runs(url: str) -> list[tuple[int, str, str | None]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, status, error_summary FROM runs ORDER BY id"))
        found = [(int(r[0]), str(r[1]), r[2]) for r in rows]
    engine.dispose()
    return found


@pytest.mark.slow
def test_run_rides_out_a_database_restart(
    postgres: PrivatePostgres, slow_site: SampleSiteServer, tmp_path: Path
) -> None:
    """PostgreSQL stopped for 6 s mid-backfill: the same run carries on and succeeds; it
    logged database_unavailable and database_back once each; while the database was down no
    more dates fetched than the run had in flight; the export is the site, nothing lost or
    doubled."""
    url = postgres.new_database("ride_out")
    config = write_config(tmp_path, slow_site)
    log = tmp_path / "ingest.jsonl"
    with backfill(config, tmp_path, url) as process:
        wait_for_dates(log, 15, process)
        postgres.stop()
        stopped = time.time()
        time.sleep(6)
        restarting = time.time()
        postgres.start()
        assert process.wait(timeout=120) == 0, (tmp_path / "stdout.txt").read_text()
    names = [e["event"] for e in events(log)]
    assert names.count("database_unavailable") == 1
    assert names.count("database_back") == 1
    assert [(run_id, status) for run_id, status, _ in runs(url)] == [(1, "succeeded")]
    # Dates in flight at the stop may go on fetching (a date taken just before it may send
    # its first request, queued behind the others', after it); no other date starts.
    in_flight = dates_in_flight(4)  # the test config: 4 requests
    started = first_requests(slow_site)
    assert len([day for day, when in started.items() if stopped < when < restarting]) <= in_flight
    assert len(listing_dates_between(slow_site, stopped, restarting)) <= in_flight
    export_equals_the_site(config, tmp_path, url, slow_site)


@pytest.mark.slow
def test_outage_longer_than_the_timeout_fails_the_run_and_a_rerun_completes(
    postgres: PrivatePostgres, slow_site: SampleSiteServer, tmp_path: Path
) -> None:
    """outage_timeout = 4s, PostgreSQL down for 5 s: the run ends failed with the reason as
    the command's last line; its record, written once the database is back, says failed;
    a plain rerun completes the range exactly."""
    url = postgres.new_database("give_up")
    config = write_config(tmp_path, slow_site)
    config.write_text(
        config.read_text().replace("[database]\n", '[database]\noutage_timeout = "4s"\n')
    )
    log = tmp_path / "ingest.jsonl"
    with backfill(config, tmp_path, url) as process:
        wait_for_dates(log, 15, process)
        postgres.stop()
        time.sleep(5)
        postgres.start()
        assert process.wait(timeout=120) == 1
    last = (tmp_path / "stdout.txt").read_text().strip().splitlines()[-1]
    assert "failed: database unavailable for more than 4s" in last
    ((_, status, summary),) = runs(url)
    assert status == "failed" and (summary or "").startswith("database unavailable")
    again = ingest("--config", str(config), "backfill", "--from", FIRST.isoformat(), "--to",
                   LAST.isoformat(), cwd=tmp_path, env={"INGEST_DATABASE_URL": url})  # fmt: skip
    assert again.returncode == 0, again.stdout
    assert [status for _, status, _ in runs(url)] == ["failed", "succeeded"]
    export_equals_the_site(config, tmp_path, url, slow_site)
