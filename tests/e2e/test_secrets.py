"""Secrets stay secret, and what the product writes is its owner's alone.

The credentials of ``database.url``, ``http.proxy`` and ``alerts.url`` hold ``/``, ``@``, ``:``
and ``%`` (the database's with a raw ``/`` and ``:``, as SQLAlchemy accepts them). Every command
runs as a user runs it, under umask 022, through successes, failures and outages; then every
stream it wrote and every file under its folder (names and contents) is searched for them.
"""

from __future__ import annotations

import signal
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support.cli import cli_environment, free_port, wait_for
from tests.support.postgres import fresh_postgres
from tests.support.sample_site import SampleSiteServer
from tests.support.servers import closed_port
from tests.support.webhook import Receiver

# Each secret begins and ends with a marker found nowhere else, so a part of one shows too.
MARKERS = ("Dbh3ad", "Dbt4il", "Pxh3ad", "Pxt4il", "Whk7oken")
DB_PASSWORD = "Dbh3ad/x:y%40z%25Dbt4il"  # as written: a raw / and :, an @ and a % encoded
PROXY_PASSWORD = "Pxh3ad%2Fx%3Ay%40z%25Pxt4il"  # an http URL needs all four encoded
SECRETS = (
    *MARKERS,
    DB_PASSWORD,
    "Dbh3ad/x:y@z%Dbt4il",
    PROXY_PASSWORD,
    "Pxh3ad/x:y@z%Pxt4il",
)


class Session:
    """``ingest`` run as a user runs it (umask 022), every stream it writes kept."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.streams: list[tuple[str, str]] = []

    def __call__(self, config: Path, *args: str, code: int | None = 0) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "ingest", "--config", str(config), *args],
            cwd=self.root,
            env=cli_environment(),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            umask=0o022,
        )
        self.streams += [(f"{args} stdout", done.stdout), (f"{args} stderr", done.stderr)]
        if code is not None:
            assert done.returncode == code, f"{args}: {done.returncode} {done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
        return done.stdout

    def daemon(self, config: Path, port: int, until: object) -> str:
        """``ingest run`` until ``until()`` holds; what ``/healthz`` said meanwhile."""
        process = subprocess.Popen(
            [sys.executable, "-m", "ingest", "--config", str(config), "run"],
            cwd=self.root,
            env=cli_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            umask=0o022,
        )
        healthz = ""
        try:
            assert callable(until)
            wait_for(until, timeout=60)

            def answered() -> bool:
                nonlocal healthz
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as reply:
                        healthz = reply.read().decode()
                except urllib.error.HTTPError as reply:
                    healthz = reply.read().decode()
                except OSError:
                    return False
                return True

            wait_for(answered, timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            stdout, stderr = process.communicate(timeout=60)
        self.streams += [("run stdout", stdout), ("run stderr", stderr), ("/healthz", healthz)]
        assert process.returncode == 0, stderr
        return healthz


def _config(path: Path, server: SampleSiteServer, database: str, proxy: str, extra: str) -> Path:
    path.write_text(
        f"""
[site]
name = "secrets"
base_url = "{server.base_url}"
listing_path = "{server.listing_path}"
layout = "k2"
[http]
proxy = "{proxy}"
requests_per_second = 0
timeout_seconds = 2
max_attempts = 2
backoff_initial_seconds = 0.01
backoff_max_seconds = 0.05
[database]
url = "{database}"
outage_timeout = "1s"
[logging]
file = "{path.parent / "state" / "logs" / "ingest.jsonl"}"
{extra}
""",
        encoding="utf-8",
    )
    return path


def test_no_stream_and_no_file_holds_a_secret(
    server: SampleSiteServer, tmp_path: Path, postgres_url: str
) -> None:
    """backfill, crawl, runs, health, export, coverage, inspect, logs, db, run with /healthz
    and a webhook alert, through a proxy that works and one that does not, a database that
    is there and one that is not, a database URL that is wrong: no secret anywhere."""
    plain = make_url(fresh_postgres(postgres_url))
    where = f"{plain.host}:{plain.port or 5432}/{plain.database}"
    database = f"postgresql+psycopg://{plain.username}:{DB_PASSWORD}@{where}"
    proxy_host = server.base_url.split("://", 1)[1]
    proxy = f"http://scout:{PROXY_PASSWORD}@{proxy_host}"
    dead_proxy = f"http://scout:{PROXY_PASSWORD}@127.0.0.1:{closed_port()}"
    receiver = Receiver()
    receiver.url = receiver.url.replace("secret-token", "Whk7oken")
    receiver.statuses = [500]  # the first delivery fails: its error is logged and kept
    port = free_port()
    alerts = (
        f'[alerts]\nurl = "{receiver.url}"\nafter_failures = 1\nbackoff_seconds = 0.01\n'
        f'max_attempts = 1\n[schedule]\ninterval = "1s"\nlookback_days = 0\n'
        f"[metrics]\nport = {port}\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    good = _config(tmp_path / "good.toml", server, database, proxy, "")
    failing = _config(tmp_path / "failing.toml", server, database, dead_proxy, alerts)
    gone = database.replace(f":{plain.port or 5432}/", f":{closed_port()}/")
    unreachable = _config(tmp_path / "unreachable.toml", server, gone, proxy, "")
    bad_port = database.replace(f":{plain.port or 5432}/", ":notaport/")
    misconfigured = _config(tmp_path / "misconfigured.toml", server, bad_port, proxy, "")
    ingest = Session(tmp_path)
    try:
        ingest(good, "db", "upgrade")
        ingest(good, "backfill", "--from", "2020-02-01", "--to", "2020-02-02")
        assert server.paths_requested(), "the pages came through the proxy"
        ingest(good, "crawl", "--days", "0")
        ingest(good, "export", "--output", str(out / "all.jsonl"))
        ingest(good, "export", "--format", "csv")
        ingest(good, "coverage", "--svg", str(out / "calendar.svg"))
        ingest(good, "coverage", "--json")
        ingest(good, "inspect", "--date", "2020-02-01", "--article")
        ingest(good, "inspect", "--json", "--date", "2020-02-02")
        ingest(good, "db", "backup", str(out / "copy.db"), code=2)  # PostgreSQL: pg_dump
        ingest(failing, "crawl", "--days", "0", code=1)
        healthz = ingest.daemon(failing, port, lambda: receiver.bodies)
        assert healthz, "/healthz answered"
        for config in (good, failing):
            ingest(config, "runs", code=None)
            ingest(config, "runs", "--json", code=None)
            ingest(config, "health", code=None)
            ingest(config, "health", "--json", code=None)
            ingest(config, "logs", code=None)
            ingest(config, "logs", "--errors", code=None)
        ingest(unreachable, "health", code=1)
        ingest(unreachable, "crawl", "--days", "0", code=1)
        ingest(misconfigured, "health", code=2)
    finally:
        receiver.close()

    written = [(name, text) for name, text in ingest.streams]
    configs = {good, failing, unreachable, misconfigured}
    for path in sorted(tmp_path.rglob("*")):
        written.append(("a file name", str(path.relative_to(tmp_path))))
        if path.is_file() and path not in configs:
            written.append((str(path), path.read_bytes().decode("utf-8", "replace")))
    leaks = [(name, s) for name, text in written for s in SECRETS if s in text]
    assert not leaks, leaks
    assert any("command_started" in text for _, text in written)
    assert any("notaport" in text for _, text in ingest.streams), "the bad port is named"


def test_what_the_product_creates_is_owner_only(server: SampleSiteServer, tmp_path: Path) -> None:
    """Under umask 022: the SQLite database (and its -wal, -shm, locks), the log files (a
    rotated one too) and a backup are 0600; every folder made for them 0700. A folder that
    was there keeps its mode."""
    existing = tmp_path / "existing"
    existing.mkdir(mode=0o755)
    existing.chmod(0o755)
    database = existing / "data" / "deep" / "ingest.db"
    log_file = existing / "logs" / "ingest.jsonl"
    config = tmp_path / "ingest.toml"
    config.write_text(
        f"""
[site]
name = "modes"
base_url = "{server.base_url}"
listing_path = "{server.listing_path}"
layout = "k2"
[http]
requests_per_second = 0
[database]
url = "sqlite:///{database}"
[logging]
file = "{log_file}"
max_bytes = 1500
backups = 2
""",
        encoding="utf-8",
    )
    ingest = Session(tmp_path)
    ingest(config, "backfill", "--from", "2020-02-01", "--to", "2020-02-03")
    ingest(config, "db", "backup", str(existing / "backups" / "copy.db"))

    files = [p for p in existing.rglob("*") if p.is_file()]
    folders = [p for p in existing.rglob("*") if p.is_dir()]
    names = {p.name for p in files}
    assert {"ingest.db", "ingest.db.migrate-lock", "ingest.jsonl", "ingest.jsonl.1"} <= names
    assert "copy.db" in names
    assert {p.name for p in folders} == {"data", "deep", "logs", "backups"}
    modes = {str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode) for p in files}
    assert modes == dict.fromkeys(modes, 0o600), modes
    modes = {str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode) for p in folders}
    assert modes == dict.fromkeys(modes, 0o700), modes
    assert stat.S_IMODE(existing.stat().st_mode) == 0o755


def test_a_bad_database_url_is_a_config_error(tmp_path: Path) -> None:
    """A port that is no number, a raw ``@`` in the password (SQLAlchemy would take the rest
    of the password for the host): exit 2, one line saying what is wrong, no traceback, no
    part of the password."""
    cases = {
        "postgresql://u@h:notaport/db": "the port 'notaport' is not a number",
        "postgresql://u:p@Dbt4il@h/db": "write an '@' in the user name or password as %40",
    }
    for url, says in cases.items():
        done = subprocess.run(
            [sys.executable, "-m", "ingest", "health"],
            cwd=tmp_path,
            env=cli_environment({"INGEST_DATABASE_URL": url}),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("ingest: config error: database.url: ")
        assert says in done.stderr
        assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
        assert "Dbt4il" not in done.stderr


def test_a_site_name_longer_than_the_database_holds_is_a_config_error(tmp_path: Path) -> None:
    """101 characters: exit 2, one line saying the limit, before anything is crawled."""
    config = tmp_path / "ingest.toml"
    config.write_text(
        f'[site]\nname = "{"n" * 101}"\nbase_url = "http://127.0.0.1:1"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite"}"\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ingest",
            "--config",
            str(config),
            "backfill",
            "--from",
            "2020-02-01",
            "--to",
            "2020-02-01",
        ],
        cwd=tmp_path,
        env=cli_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == "ingest: config error: site.name is 101 characters long: at most 100\n"
    assert not (tmp_path / "db.sqlite").exists()
