"""Daemon replicas as real processes, each optionally on a host of its own.

A replica "on another host" runs in a UTS namespace of its own (``unshare --uts``, root only)
with its own host name: its owner names (``host:pid:token``) then name another host, so the
others judge its liveness by its heartbeat alone, as replicas on separate machines do, and
never by looking its process up.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from tests.support.cli import cli_environment


@functools.cache
def hosts_can_be_named() -> bool:
    """True when this process may start a replica under a host name of its own."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--uts", "sh", "-c", "hostname ingest-probe && hostname"],
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.returncode == 0 and probe.stdout.strip() == "ingest-probe"


def start_replica(
    config: Path, log: Path, *, host: str | None = None, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``ingest run`` with its stdout and stderr appended to ``log``; on ``host`` when given."""
    command = [sys.executable, "-m", "ingest", "--config", str(config), "run"]
    if host is not None:
        # exec: the process started is the daemon itself, so its pid is the one signalled.
        command = ["unshare", "--uts", "sh", "-c", f'hostname {host} && exec "$@"', "-", *command]
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            cwd=config.parent,
            env=cli_environment(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_replicas(processes: list[subprocess.Popen[bytes]], timeout: float = 30) -> None:
    """SIGTERM each replica still running, then wait for all (kill those that hang)."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def events(log: Path) -> list[dict[str, Any]]:
    """The JSON events of a replica's log (other lines skipped)."""
    found = []
    for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
        with contextlib.suppress(json.JSONDecodeError):
            event = json.loads(line)
            if isinstance(event, dict) and "event" in event:
                found.append(event)
    return found


def event_counts(*logs: Path) -> Counter[str]:
    return Counter(str(e["event"]) for log in logs for e in events(log))
