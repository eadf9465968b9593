"""The log file rotates by size and survives being moved away by logrotate."""

from __future__ import annotations

from pathlib import Path

from ingest.logs import _LogFile


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
