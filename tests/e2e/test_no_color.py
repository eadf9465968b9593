"""Colour as a person sees it: on a terminal (a pseudo-terminal here), unless NO_COLOR is set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import on_a_terminal


def logs_on_a_terminal(cwd: Path, env: dict[str, str]) -> str:
    """What ``ingest logs`` writes to standard output when that output is a terminal."""
    code, shown = on_a_terminal(["--config", "ingest.toml", "logs"], cwd, env=env)
    assert code == 0
    return shown


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
    shown = logs_on_a_terminal(tmp_path, {})
    assert "error_event" in shown and "\x1b[31m" in shown


def test_no_color_keeps_a_terminal_plain(tmp_path: Path, log_file: Path) -> None:
    shown = logs_on_a_terminal(tmp_path, {"NO_COLOR": "1"})
    assert "error_event" in shown and "\x1b[" not in shown
