"""The command line as a user runs it: ``ingest`` as a subprocess with a config file."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from ingest.sample_site import SampleSiteServer

ROOT = Path(__file__).resolve().parents[2]


def write_site_config(
    tmp_path: Path, site: str, http: str, *, database: str = "db.sqlite", logging: str = ""
) -> Path:
    """``tmp_path``'s ``ingest.toml`` for one site: ``[site]`` with ``site`` (its keys, then
    any sub-tables), ``[http]`` with ``http``, the SQLite file ``database`` and the log file
    ``ingest.jsonl`` in ``tmp_path``; ``logging``: more keys of ``[logging]``, then any tables
    that follow it."""
    config = tmp_path / "ingest.toml"
    config.write_text(
        f"""
[site]
{site}
[http]
{http}
[database]
url = "sqlite:///{tmp_path / database}"
[logging]
file = "{tmp_path / "ingest.jsonl"}"
{logging}
""",
        encoding="utf-8",
    )
    return config


def write_config(
    tmp_path: Path, server: SampleSiteServer, extra: str = "", log_format: str = "json"
) -> Path:
    """The sample site as a K2 site named ``cli``, with quick retries; ``extra``: tables."""
    site = f'''name = "cli"
base_url = "{server.base_url}"
listing_path = "{server.listing_path}"
layout = "k2"'''
    http = """requests_per_second = 0
timeout_seconds = 2
backoff_initial_seconds = 0.01
backoff_max_seconds = 0.05"""
    return write_site_config(tmp_path, site, http, logging=f'format = "{log_format}"\n{extra}')


def exported(config: Path) -> list[dict[str, Any]]:
    """Every article ``ingest export --format jsonl`` gives for ``config``, each a dict."""
    done = ingest("--config", str(config), "export", "--format", "jsonl", cwd=config.parent)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


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


def on_a_terminal(
    args: list[str],
    cwd: Path,
    *,
    env: dict[str, str] | None = None,
    stream: Literal["stdout", "stderr"] = "stdout",
) -> tuple[int, str]:
    """``ingest *args`` with its ``stream`` on a terminal (a pseudo-terminal) and the other
    stream discarded: its exit code, and what it wrote to the terminal."""
    import pty

    main, child = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "ingest", *args],
            cwd=cwd,
            env=cli_environment(env),
            stdout=child if stream == "stdout" else subprocess.DEVNULL,
            stderr=child if stream == "stderr" else subprocess.DEVNULL,
        )
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = process.wait(timeout=60)
    finally:
        os.close(main)
    return code, b"".join(chunks).decode()


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
