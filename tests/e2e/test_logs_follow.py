"""`ingest logs --follow`: new events as they are written, across a rotation, until Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.cli import ROOT


def event(run_id: int, name: str, level: str = "info", site: str = "a") -> str:
    return json.dumps({"timestamp": "2026-01-01T00:00:00Z", "level": level, "event": name,
                       "run_id": run_id, "site": site}) + "\n"  # fmt: skip


def read_until(process: subprocess.Popen[str], marker: str, timeout: float = 20) -> str:
    """Lines of the follower's output up to the one holding ``marker``."""
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        assert time.monotonic() < deadline, f"{marker!r} never shown; got {seen!r}"
        seen += process.stdout.readline()
    return seen


def test_follow_prints_new_events_across_rotation_and_stops_on_interrupt(tmp_path: Path) -> None:
    """Only events written after it started, filtered by --site, through a logrotate-style
    move; SIGINT ends it with exit 0."""
    log = tmp_path / "ingest.jsonl"
    log.write_text(event(1, "old_event"))
    config = tmp_path / "ingest.toml"
    config.write_text(f'[logging]\nfile = "{log}"\n[database]\nurl = "sqlite:///{tmp_path}/db"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    env["PYTHONPATH"] = str(ROOT)
    follower = subprocess.Popen(
        [sys.executable, "-u", "-m", "ingest", "--config", str(config), "logs", "--follow",
         "--site", "a"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        shown = read_until(follower, "old_event")  # the latest run is shown first
        time.sleep(1.0)  # the follower is now at the end of the file
        with log.open("a") as handle:
            handle.write(event(2, "other_site_event", site="b"))
            handle.write(event(2, "fresh_event"))
        shown += read_until(follower, "fresh_event")
        log.rename(tmp_path / "ingest.jsonl.1")
        log.write_text(event(3, "after_rotation", level="warning"))
        shown += read_until(follower, "after_rotation")
        follower.send_signal(signal.SIGINT)
        assert follower.wait(timeout=10) == 0
    finally:
        if follower.poll() is None:
            follower.kill()
        follower.communicate()
    assert "other_site_event" not in shown
    assert "run=3" in shown and "WARNING" in shown
