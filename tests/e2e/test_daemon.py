"""The daemon and crash recovery as real processes against the loopback sample site."""

from __future__ import annotations

import itertools
import json
import signal
import time
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ingest.crawl import dates_between
from tests.support.cli import free_port, ingest, start, wait_for, write_config
from tests.support.sample_site import Delay, SampleSiteServer, Status
from tests.support.webhook import Receiver


def runs(config: str, cwd: Path) -> list[dict[str, object]]:
    done = ingest("--config", config, "runs", "--json", "--limit", "100", cwd=cwd)
    if done.returncode == 1 and "ingest db upgrade" in done.stderr:
        return []  # the crawl being watched has not created or migrated the database yet
    assert done.returncode == 0, done.stderr
    listed: list[dict[str, object]] = json.loads(done.stdout)
    return listed


def succeeded(config: str, cwd: Path) -> int:
    return len([r for r in runs(config, cwd) if r["status"] == "succeeded"])


def test_daemon_follows_the_site_and_stops_cleanly_on_sigterm(
    server: SampleSiteServer, tmp_path: Path
) -> None:
    """Scheduled runs every 2 s keep the store equal to the site as it changes; metrics are
    served; SIGTERM exits 0 within 10 s with nothing left running."""
    port = free_port()
    extra = f'[schedule]\ninterval = "2s"\nlookback_days = 1\n[metrics]\nport = {port}\n'
    config = str(write_config(tmp_path, server, extra))
    daemon = start(["--config", config, "run"], tmp_path)
    try:
        wait_for(lambda: succeeded(config, tmp_path) >= 1, 30)
        today = datetime.now(ZoneInfo("Asia/Damascus")).date()
        site = server.site
        site.add_article(today, title_html="Breaking: daemon test", intro_paragraphs=("Now.",))
        changed = site.articles_on(today)[-1]
        site.edit_article(changed.id, intro_paragraphs=("Corrected later.",))
        seen = succeeded(config, tmp_path)
        wait_for(lambda: succeeded(config, tmp_path) >= seen + 2, 30)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            metrics = response.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert response.status == 200
    finally:
        daemon.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        _, stderr = daemon.communicate(timeout=15)
    assert daemon.returncode == 0, stderr
    assert time.monotonic() - stopped_at < 10
    listed = runs(config, tmp_path)
    assert all(r["kind"] == "scheduled" for r in listed)
    assert not any(r["status"] == "running" for r in listed)
    assert "daemon_stopped" in stderr
    assert 'ingest_runs_total{site="cli",status="succeeded"}' in metrics
    assert "ingest_fetch_seconds_bucket" in metrics
    exported = ingest("--config", config, "export", cwd=tmp_path).stdout.splitlines()
    got = {(r["date"], r["title"], r["body"]) for r in map(json.loads, exported)}
    want = {
        (day.isoformat(), r.title, r.body)
        for day in (today - timedelta(days=1), today)
        for r in site.expected_records(day, base_url=server.base_url)
    }
    assert want <= got, "every article of the window, as the site shows it now"


def test_sigterm_during_a_run_records_it_interrupted(
    server: SampleSiteServer, tmp_path: Path
) -> None:
    """A slow run stopped by SIGTERM is recorded interrupted and the process exits 0."""
    server.faults.add(lambda path: path.startswith("/date/"), Delay(1.0), times=None)
    config = str(
        write_config(tmp_path, server, '[schedule]\ninterval = "1h"\nlookback_days = 90\n')
    )
    daemon = start(["--config", config, "run"], tmp_path)
    try:
        wait_for(lambda: any(r["status"] == "running" for r in runs(config, tmp_path)), 60)
        time.sleep(1.0)
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, stderr = daemon.communicate(timeout=15)
    assert daemon.returncode == 0, stderr[-3000:]
    assert [r["status"] for r in runs(config, tmp_path)] == ["interrupted"]


def test_sigterm_while_pages_are_parsed_ends_the_process_in_order(
    server: SampleSiteServer, tmp_path: Path
) -> None:
    """SIGTERM while the parse thread has work, at a few moments: each stop exits 0, and the
    parse thread and the event loop are ended by the daemon itself, none of them left to the
    interpreter's exit (an unclosed loop there is a ResourceWarning; a crash, a fault dump)."""
    log = tmp_path / "ingest.jsonl"
    config = str(
        write_config(tmp_path, server, '[schedule]\ninterval = "1s"\nlookback_days = 60\n')
    )
    environment = {"PYTHONWARNINGS": "always::ResourceWarning", "PYTHONFAULTHANDLER": "1"}
    for parsed in (1, 20, 60):
        log.unlink(missing_ok=True)
        # A database of its own each time: the days are parsed anew, not answered 304 (an
        # unchanged date's date_done is DEBUG).
        for stored in tmp_path.glob("db.sqlite*"):
            stored.unlink()
        daemon = start(["--config", config, "run"], tmp_path, environment)
        try:
            wait_for(
                lambda n=parsed: log.exists() and log.read_text().count('"date_done"') >= n, 60
            )
        finally:
            daemon.send_signal(signal.SIGTERM)
            _, stderr = daemon.communicate(timeout=30)
        assert daemon.returncode == 0, stderr[-3000:]
        assert "Fatal Python error" not in stderr, stderr[-3000:]
        assert "ResourceWarning" not in stderr, stderr[-3000:]


def test_kill_9_backfill_is_abandoned_and_rerun_completes(
    server: SampleSiteServer, tmp_path: Path
) -> None:
    """kill -9 mid-backfill: reading commands leave the run as it is, the next crawl marks it
    abandoned and completes the range."""
    server.faults.add(lambda path: path.startswith("/date/2020/3/"), Delay(0.3), times=None)
    config = str(write_config(tmp_path, server))
    backfill = start(
        ["--config", config, "backfill", "--from", "2020-02-01", "--to", "2020-03-31"], tmp_path
    )
    try:
        wait_for(lambda: any(r["dates_done"] for r in runs(config, tmp_path)), 30)
    finally:
        backfill.kill()
        backfill.communicate(timeout=10)
    assert runs(config, tmp_path)[0]["status"] == "running", "a reader marks nothing"
    done = ingest(
        "--config", config, "backfill", "--from", "2020-02-01", "--to", "2020-03-31", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert [r["status"] for r in runs(config, tmp_path)] == ["succeeded", "abandoned"]
    export = ingest("--config", config, "export", cwd=tmp_path)
    records = [json.loads(line) for line in export.stdout.splitlines()]
    keys = [(r["date"], r["title"]) for r in records]
    assert len(keys) == len(set(keys)), "nothing doubled"
    days = dates_between(date(2020, 2, 1), date(2020, 3, 31))
    expected = sum(len(server.site.expected_records(d, base_url=server.base_url)) for d in days)
    assert len(records) == expected, "nothing lost"


def test_health_exit_codes(server: SampleSiteServer, tmp_path: Path) -> None:
    """No database yet is an error naming `db upgrade`; no run yet is unhealthy; after a good
    crawl healthy; --json gives the figures."""
    config = str(write_config(tmp_path, server))
    missing = ingest("--config", config, "health", cwd=tmp_path)
    assert missing.returncode == 1 and "ingest db upgrade" in missing.stderr
    assert ingest("--config", config, "db", "upgrade", cwd=tmp_path).returncode == 0
    before = ingest("--config", config, "health", cwd=tmp_path)
    assert before.returncode == 1
    assert before.stdout.startswith("cli: unhealthy: no run has succeeded")
    assert ingest("--config", config, "crawl", "--days", "1", cwd=tmp_path).returncode == 0
    after = ingest("--config", config, "health", "--json", cwd=tmp_path)
    assert after.returncode == 0, after.stdout
    figures = json.loads(after.stdout)
    (site,) = figures["sites"]
    assert figures["healthy"] is True and site["last_success"]["status"] == "succeeded"
    assert site["site"] == "cli"
    time.sleep(1.2)
    stale = ingest("--config", config, "health", "--max-age", "1s", cwd=tmp_path)
    assert stale.returncode == 1 and "no successful run for" in stale.stdout


def test_logs_command_renders_a_run(server: SampleSiteServer, tmp_path: Path) -> None:
    """ingest logs shows the latest run's events for a person; --errors filters."""
    config = str(write_config(tmp_path, server))
    ingest(
        "--config", config, "backfill", "--from", "2020-02-01", "--to", "2020-02-02", cwd=tmp_path
    )
    shown = ingest("--config", config, "logs", cwd=tmp_path)
    assert shown.returncode == 0
    assert "run_started" in shown.stdout and "run_finished" in shown.stdout
    assert "run=1" in shown.stdout and "{" not in shown.stdout.splitlines()[0]
    errors = ingest("--config", config, "logs", "1", "--errors", cwd=tmp_path)
    assert "run_started" not in errors.stdout


def test_daemon_sends_a_webhook_alert_when_a_site_goes_down(
    server: SampleSiteServer, tmp_path: Path
) -> None:
    """`ingest run` with [alerts]: the site fails twice in a row, one alert arrives, once."""
    receiver = Receiver()
    server.faults.add(lambda path: path.startswith("/date/"), Status(503), times=None)
    config = str(
        write_config(
            tmp_path,
            server,
            extra=f'[schedule]\ninterval = "1s"\nlookback_days = 0\n'
            f'[alerts]\nurl = "{receiver.url}"\nafter_failures = 2\nbackoff_seconds = 0.01\n',
        )
    )
    daemon = start(["--config", config, "run"], tmp_path)
    try:
        wait_for(lambda: receiver.bodies, timeout=40)
        time.sleep(3)  # more failed runs: still the one alert
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.communicate(timeout=30)
        receiver.close()
    (alert,) = receiver.bodies
    assert alert["site"] == "cli" and alert["state"] == "firing"
    failed = [r for r in runs(config, tmp_path) if r["status"] == "failed"]
    assert len(failed) >= 3


def test_a_run_that_ends_frees_its_slot_for_the_next_due_site_at_once(
    server: SampleSiteServer, tmp_path: Path
) -> None:
    """One slot, three sites due: each run starts as the one before it ends, not at the next
    poll of the interval (a quarter heartbeat: 5 s here)."""
    sites = "".join(
        f'[[sites]]\nname = "s{n}"\nbase_url = "{server.base_url}"\n'
        f'listing_path = "{server.listing_path}"\nlayout = "k2"\n'
        for n in range(3)
    )
    config = tmp_path / "ingest.toml"
    config.write_text(
        f"{sites}[http]\nrequests_per_second = 0\ntimeout_seconds = 2\n"
        f'[schedule]\ninterval = "1h"\nlookback_days = 0\nmax_parallel_sites = 1\n'
        f"heartbeat_seconds = 20\n"
        f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite"}"\n'
        f'[logging]\nfile = "{tmp_path / "ingest.jsonl"}"\n'
    )
    daemon = start(["--config", str(config), "run"], tmp_path)
    try:
        wait_for(lambda: succeeded(str(config), tmp_path) == 3, 60)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.communicate(timeout=30)
    done = sorted(runs(str(config), tmp_path), key=lambda r: str(r["started_at"]))
    gaps = [
        (
            datetime.fromisoformat(str(b["started_at"]))
            - datetime.fromisoformat(str(a["finished_at"]))
        )
        for a, b in itertools.pairwise(done)
    ]
    assert len(gaps) == 2 and max(gaps) < timedelta(seconds=2), gaps


def test_an_idle_daemon_wakes_as_the_next_site_falls_due(
    server: SampleSiteServer, tmp_path: Path
) -> None:
    """A site due every 3 s: its next run starts as it falls due, not at the next poll of the
    interval (a quarter heartbeat: 5 s here), so replicas idle at a tick all take their turn."""
    config = tmp_path / "ingest.toml"
    config.write_text(
        f'[site]\nname = "s"\nbase_url = "{server.base_url}"\n'
        f'listing_path = "{server.listing_path}"\nlayout = "k2"\n'
        f"[http]\nrequests_per_second = 0\ntimeout_seconds = 2\n"
        f'[schedule]\ninterval = "3s"\nlookback_days = 0\nheartbeat_seconds = 20\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite"}"\n'
        f'[logging]\nfile = "{tmp_path / "ingest.jsonl"}"\n'
    )
    daemon = start(["--config", str(config), "run"], tmp_path)
    try:
        wait_for(lambda: succeeded(str(config), tmp_path) >= 2, 60)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.communicate(timeout=30)
    first, second = sorted(runs(str(config), tmp_path), key=lambda r: str(r["started_at"]))[:2]
    late = (
        datetime.fromisoformat(str(second["started_at"]))
        - datetime.fromisoformat(str(first["started_at"]))
        - timedelta(seconds=3)
    )
    assert late < timedelta(seconds=1.5), late
