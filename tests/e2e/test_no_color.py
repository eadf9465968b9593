"""Colour as a person sees it: on a terminal (a pseudo-terminal here), unless NO_COLOR is set."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import cli_environment


def on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """What ``ingest ARGS`` writes to standard output when that output is a terminal."""
    main, child = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "ingest", *args],
            cwd=cwd,
            env=cli_environment(env),
            stdout=child,
            stderr=subprocess.DEVNULL,
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
        assert process.wait(timeout=60) == 0
    finally:
        os.close(main)
    return b"".join(chunks).decode()


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    log = tmp_path / "ingest.jsonl"
    events = [
        {"timestamp": "2026-01-01T00:00:00Z", "level": level, "event": f"{level}_event"}
        for level in ("info", "warning", "error")
    ]
    log.write_text("".join(json.dumps(event) + "\n" for event in events))
    (tmp_path / "ingest.toml").write_text(f'[logging]\nfile = "{log}"\n')
    return log


def test_logs_are_coloured_on_a_terminal(tmp_path: Path, log_file: Path) -> None:
    shown = on_a_terminal(["--config", "ingest.toml", "logs"], tmp_path, {})
    assert "error_event" in shown and "\x1b[31m" in shown


def test_no_color_keeps_a_terminal_plain(tmp_path: Path, log_file: Path) -> None:
    shown = on_a_terminal(["--config", "ingest.toml", "logs"], tmp_path, {"NO_COLOR": "1"})
    assert "error_event" in shown and "\x1b[" not in shown
