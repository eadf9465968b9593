"""The command line as a user runs it: ``ingest`` as a subprocess with a config file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ingest.sample_site import SampleSiteServer

ROOT = Path(__file__).resolve().parents[2]


def write_config(
    tmp_path: Path, server: SampleSiteServer, extra: str = "", log_format: str = "json"
) -> Path:
    config = tmp_path / "ingest.toml"
    config.write_text(
        f"""
[site]
name = "cli"
base_url = "{server.base_url}"
listing_path = "{server.listing_path}"
layout = "k2"
[http]
requests_per_second = 0
timeout_seconds = 2
backoff_initial_seconds = 0.01
backoff_max_seconds = 0.05
[database]
url = "sqlite:///{tmp_path / "db.sqlite"}"
[logging]
file = "{tmp_path / "ingest.jsonl"}"
format = "{log_format}"
{extra}
"""
    )
    return config


def cli_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without INGEST_ variables, the package importable, ``env``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    environment["PYTHONPATH"] = str(ROOT)
    environment.update(env or {})
    return environment


def ingest(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingest", *args],
        cwd=cwd,
        env=cli_environment(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def start(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``ingest *args`` left running (a daemon): stdout discarded, stderr piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", *args],
        cwd=cwd,
        env=cli_environment(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate: Callable[[], object], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
