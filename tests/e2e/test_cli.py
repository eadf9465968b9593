"""The command line as a user runs it: a subprocess, a config file, the loopback sample site."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.support.cli import ROOT, cli_environment, ingest, on_a_terminal, write_config
from tests.support.sample_site import SampleSiteServer, Status


def test_backfill_export_runs(server: SampleSiteServer, tmp_path: Path) -> None:
    """backfill exits 0, export gives UTF-8 JSON lines and CSV, runs --json lists the run."""
    config = str(write_config(tmp_path, server))
    done = ingest(
        "--config", config, "backfill", "--from", "2020-02-01", "--to", "2020-02-03", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "succeeded" in done.stdout
    assert "\r" not in done.stderr, "no progress bar when stderr is not a terminal"

    out = ingest("--config", config, "export", "--format", "jsonl", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert records and {r["date"] for r in records} == {"2020-02-01", "2020-02-02", "2020-02-03"}
    for key in (
        "date",
        "title",
        "url",
        "category",
        "body",
        "published_at",
        "site",
        "first_seen_at",
        "updated_at",
    ):
        assert key in records[0]
    assert "’" in out.stdout, "JSON lines are UTF-8, not ASCII-escaped"
    assert any(
        r["published_at"] and r["published_at"].endswith(("+02:00", "+03:00")) for r in records
    )

    target = tmp_path / "out.csv"
    csv_run = ingest(
        "--config",
        config,
        "export",
        "--format",
        "csv",
        "--from",
        "2020-02-02",
        "--to",
        "2020-02-02",
        "--output",
        str(target),
        cwd=tmp_path,
    )
    assert csv_run.returncode == 0, csv_run.stderr
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows and all(r["date"] == "2020-02-02" for r in rows)

    runs = ingest("--config", config, "runs", "--json", cwd=tmp_path)
    listed = json.loads(runs.stdout)
    assert listed[0]["status"] == "succeeded" and listed[0]["kind"] == "backfill"
    for key in (
        "id",
        "started_at",
        "finished_at",
        "pages_fetched",
        "pages_failed",
        "articles_new",
        "articles_updated",
        "duplicates",
    ):
        assert key in listed[0]
    table = ingest("--config", config, "runs", cwd=tmp_path)
    assert "succeeded" in table.stdout and "STATUS" in table.stdout


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_logs_are_json_lines_with_run_id(
    server: SampleSiteServer, tmp_path: Path, level: str
) -> None:
    """Every event of a run carries run_id, an ISO UTC timestamp and a level; a line per page
    (``page_fetched``) at DEBUG only, a line per date at INFO."""
    config = str(write_config(tmp_path, server, extra=f'level = "{level}"'))
    ingest(
        "--config", config, "backfill", "--from", "2020-02-01", "--to", "2020-02-01", cwd=tmp_path
    )
    events = [json.loads(line) for line in (tmp_path / "ingest.jsonl").read_text().splitlines()]
    names = [e["event"] for e in events]
    for name in ("run_started", "date_done", "run_finished"):
        assert name in names
    if level == "INFO":
        assert "page_fetched" not in names
        return
    in_run = events[names.index("run_started") : names.index("run_finished") + 1]
    assert all(
        "run_id" in e and e["timestamp"].endswith(("Z", "+00:00")) and e["level"] for e in in_run
    )
    fetched = next(e for e in events if e["event"] == "page_fetched")
    assert {"url", "status", "bytes", "elapsed_ms", "attempt"} <= fetched.keys()


def test_failing_date_exits_1(server: SampleSiteServer, tmp_path: Path) -> None:
    """A date that fails every attempt makes the exit code 1 and names the date."""
    config = str(write_config(tmp_path, server))
    server.faults.add("/date/2020/2/2.html", Status(503), times=None)
    done = ingest(
        "--config", config, "backfill", "--from", "2020-02-01", "--to", "2020-02-02", cwd=tmp_path
    )
    assert done.returncode == 1
    assert "partial" in done.stdout and "2020-02-02" in done.stdout


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ('[site]\nbase_url = "nope"\n', "site.base_url"),
        ("[http]\nconcurrency = 'many'\n", "http.concurrency"),
        ("[bogus]\n", "[bogus]"),
        ('[site]\nlisting_path = "/date/{year}.html"\n', "site.listing_path"),
    ],
)
def test_bad_config_exits_2_with_one_line(tmp_path: Path, toml: str, needle: str) -> None:
    """A bad config is refused at start: one line naming the key, exit 2, no traceback."""
    config = tmp_path / "bad.toml"
    config.write_text(toml)
    done = ingest("--config", str(config), "runs", cwd=tmp_path)
    assert done.returncode == 2
    assert needle in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    """A malformed date or a reversed range is one line and exit 2."""
    for args in (
        ("backfill", "--from", "2020-13-01", "--to", "2020-02-01"),
        ("backfill", "--from", "2020-02-02", "--to", "2020-02-01"),
    ):
        done = ingest(
            *args, cwd=tmp_path, env={"INGEST_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
        )
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    """A database that cannot be opened is a one-line error, exit 1."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = ingest(
        "runs", cwd=tmp_path, env={"INGEST_DATABASE_URL": f"sqlite:///{blocker}/sub/x.db"}
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stderr.startswith("ingest: error:")


def test_unsupported_database_is_one_line(tmp_path: Path) -> None:
    """A MySQL URL is refused at start: one line naming the supported forms, exit 2, and
    neither a traceback nor the password."""
    done = ingest(
        "runs", cwd=tmp_path, env={"INGEST_DATABASE_URL": "mysql://ingest:s3cret@db:3306/ingest"}
    )
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "only SQLite and PostgreSQL are supported" in done.stderr
    assert "sqlite:///" in done.stderr and "postgresql+psycopg://" in done.stderr
    assert "Traceback" not in done.stderr and "s3cret" not in done.stderr
    assert "MySQLdb" not in done.stderr


def test_db_upgrade_and_demo(tmp_path: Path) -> None:
    """db upgrade migrates; demo ingests the bundled site and prints what it stored."""
    env = {"INGEST_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    up = ingest("db", "upgrade", cwd=tmp_path, env=env)
    assert up.returncode == 0, up.stderr
    demo = ingest("demo", "--from", "2020-02-01", "--to", "2020-02-03", cwd=tmp_path, env=env)
    assert demo.returncode == 0, demo.stderr
    assert "etilaf-sample" in demo.stdout and "articles in all" in demo.stdout
    # The closing lines say where the data went, and each command they name works as printed
    # (here `python -m ingest`: the command as it was run, not an `ingest` the shell may lack).
    command = f"{sys.executable} -m ingest"
    hints = [line.strip() for line in demo.stdout.splitlines() if line.startswith(f"  {command} ")]
    assert f"{command} health --site etilaf-sample" in hints and len(hints) == 4
    for hint in hints:
        shown = subprocess.run(hint.split(), cwd=tmp_path, env=cli_environment(env),
                               capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        assert shown.returncode == 0, (hint, shown.stderr)
    health = ingest("health", "--site", "etilaf-sample", cwd=tmp_path, env=env)
    assert health.stdout.startswith("etilaf-sample: healthy")


def test_progress_bar_on_a_terminal(server: SampleSiteServer, tmp_path: Path) -> None:
    """On a terminal stderr shows a progress bar (dates done / total, new articles)."""
    config = str(write_config(tmp_path, server))
    args = ["--config", config, "backfill", "--from", "2020-02-01", "--to", "2020-02-04"]
    code, shown = on_a_terminal(args, tmp_path, stream="stderr")
    assert code == 0
    assert "4/4 dates" in shown and "new articles" in shown
    assert '"event"' not in shown, "info events stay in the file under a progress bar"


def test_console_format_renders_events_for_people(server: SampleSiteServer, tmp_path: Path) -> None:
    """format = "console" prints readable lines on stderr; the file stays JSON."""
    path = write_config(tmp_path, server, log_format="console")
    done = ingest(
        "--config",
        str(path),
        "backfill",
        "--from",
        "2020-02-01",
        "--to",
        "2020-02-01",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "run_finished" in done.stderr and '{"' not in done.stderr
    first = (tmp_path / "ingest.jsonl").read_text().splitlines()[0]
    assert json.loads(first)["event"]


def test_processes_starting_at_once_on_a_new_database_all_migrate(tmp_path: Path) -> None:
    """Six upgrades at once on a new SQLite file: migrations take turns, none fails. (A
    command that only reads never migrates: see tests/e2e/test_storage_cli.py.)"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    env.update(PYTHONPATH=str(ROOT), INGEST_DATABASE_URL=f"sqlite:///{tmp_path / 'new.db'}")
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "ingest", "db", "upgrade"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(6)
    ]
    assert [p.wait(timeout=60) for p in processes] == [0] * 6


READER_GONE = 141  # 128 + SIGPIPE, as a shell reports a Unix tool that SIGPIPE ended


def backfilled(server: SampleSiteServer, tmp_path: Path, last: date) -> str:
    """A config whose database holds the sample site from 2020-02-01 to ``last``."""
    config = str(write_config(tmp_path, server))
    done = ingest("--config", config, "backfill", "--from", "2020-02-01", "--to", str(last),
                  cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return config


def test_export_into_a_reader_that_stops_after_one_line(
    server: SampleSiteServer, tmp_path: Path
) -> None:
    """`ingest export | head -1`: the first record arrives whole, then ingest stops quietly,
    with 141 as a Unix tool ended by SIGPIPE, when it next writes to the closed pipe."""
    config = backfilled(server, tmp_path, date(2020, 2, 29))
    # A month of records (~240 KB) is several times what a pipe holds (64 KiB on Linux), so
    # the export is still writing when the reader leaves.
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest", "--config", config, "export"],
        cwd=tmp_path,
        env=cli_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    process.stdout.close()
    _, stderr = process.communicate(timeout=60)
    assert json.loads(first)["site"] == "cli"
    assert process.returncode == READER_GONE, (process.returncode, stderr)
    assert stderr == "", stderr  # no traceback, no "internal error": nothing


def test_every_printing_command_stops_quietly_when_its_reader_is_gone(
    server: SampleSiteServer, tmp_path: Path
) -> None:
    """stdout is a pipe whose reader has already left: at its first write each command stops
    with exit 141 and says nothing (`logs --follow` at the latest run's events, before it
    follows)."""
    config = backfilled(server, tmp_path, date(2020, 2, 2))
    commands = [
        ("export",),
        ("export", "--format", "csv"),
        ("runs",),
        ("runs", "--json"),
        ("logs",),
        ("logs", "--follow"),
        ("coverage",),
        ("coverage", "--json"),
        ("health",),
    ]
    noisy: dict[str, tuple[int, str]] = {}
    for command in commands:
        reader, writer = os.pipe()
        os.close(reader)
        try:
            gone = subprocess.run(
                [sys.executable, "-m", "ingest", "--config", config, *command],
                cwd=tmp_path,
                env=cli_environment(),
                stdout=writer,
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
                check=False,
            )
        finally:
            os.close(writer)
        # No traceback, no "internal error": nothing on stderr.
        if (gone.returncode, gone.stderr) != (READER_GONE, ""):
            noisy[" ".join(command)] = (gone.returncode, gone.stderr)
    assert noisy == {}
