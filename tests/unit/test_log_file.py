"""The log file rotates by size and survives being moved away by logrotate; what a site put in
an event reaches the console inert and the file exact."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import structlog

from ingest.logs import _LogFile, close_logging, configure_logging
from ingest.settings import LoggingSettings


def test_rotates_by_size_keeping_backups(tmp_path: Path) -> None:
    """Past max_bytes the file becomes .1, older ones shift, at most `backups` are kept."""
    path = tmp_path / "ingest.jsonl"
    log = _LogFile(path, max_bytes=100, backups=2)
    for n in range(30):
        log.write(f'{{"n": {n}, "pad": "{"x" * 20}"}}\n')
    log.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["ingest.jsonl", "ingest.jsonl.1", "ingest.jsonl.2"]
    assert all(p.stat().st_size <= 140 for p in tmp_path.iterdir())
    assert '"n": 29' in path.read_text() or '"n": 29' in (tmp_path / "ingest.jsonl.1").read_text()


def test_reopens_after_external_rotation(tmp_path: Path) -> None:
    """When the file is moved away, the next event goes to a new file at the same path."""
    path = tmp_path / "ingest.jsonl"
    log = _LogFile(path, max_bytes=0, backups=0)
    log.write("first\n")
    path.rename(tmp_path / "ingest.jsonl.old")
    log.write("second\n")
    log.close()
    assert path.read_text() == "second\n"
    assert (tmp_path / "ingest.jsonl.old").read_text() == "first\n"


# Escape sequences (7-bit and C1), controls, bidi overrides: what a terminal would act on.
HOSTILE = {"url": "http://site/a\x1b[2J\x1b]0;pwned\x07", "title": "x\x9b31m\u202eRTL\x7f"}
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_console_lines_are_inert_and_the_file_exact(tmp_path: Path) -> None:
    """The console format prints site text with its controls replaced (structlog's renderer
    shows a value without spaces as it is); the file's JSON escapes the C1 and bidi controls
    too, and reads back exactly."""
    path = tmp_path / "ingest.jsonl"
    stream = io.StringIO()
    configure_logging(LoggingSettings(format="console", file=str(path)), stream=stream)
    try:
        structlog.get_logger("test").warning("article_parse_failed", **HOSTILE)
    finally:
        close_logging()
        structlog.reset_defaults()  # the next test logs nowhere near this one's closed file
    shown = stream.getvalue()
    assert "article_parse_failed" in shown and "pwned" not in shown and "RTL" in shown
    assert not UNSAFE.findall(shown.rstrip("\n")), repr(shown)
    written = path.read_text(encoding="utf-8")
    assert not UNSAFE.findall(written.rstrip("\n")), repr(written)
    event = json.loads(written)
    assert {key: event[key] for key in HOSTILE} == HOSTILE
