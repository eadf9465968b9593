"""One run's WARC files: records written whole, synced together, closed whole."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from ingest.archive import WarcFiles, recover, run_files
from ingest.settings import ArchiveSettings

NOW = datetime(2020, 2, 1, 12, 0, tzinfo=UTC)


def exchange(files: WarcFiles, n: int) -> None:
    headers = [("Content-Type", "text/html")]
    files.response(
        f"https://x.example/{n}", {"User-Agent": "t"}, 200, headers, b"<p>%d</p>" % n, NOW
    )


def test_dates_syncing_together_share_one_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = os.fsync

    def counted(descriptor: int) -> None:
        calls.append(descriptor)
        real(descriptor)

    monkeypatch.setattr(os, "fsync", counted)
    files = WarcFiles(tmp_path, "s", 1, 1 << 30)

    async def main() -> None:
        for n in range(20):
            exchange(files, n)
        calls.clear()  # the new file's marker and folder, synced as the file began
        # Twenty dates in flight ask at once: the first fsync is under way when the rest
        # ask, and one more covers them all.
        await asyncio.gather(*(files.sync() for _ in range(20)))
        assert len(calls) <= 2
        exchange(files, 99)
        await files.sync()  # a record written since: synced again
        assert len(calls) <= 3
        await files.sync()  # nothing new: no fsync
        assert len(calls) <= 3

    asyncio.run(main())
    files.close()
    (whole,) = tmp_path.glob("*.warc.gz")
    with whole.open("rb") as file:
        assert sum(1 for _ in ArchiveIterator(file)) == 42  # 21 responses, 21 requests


def test_a_file_cut_off_mid_record_is_cut_back_to_its_last_whole_record(
    tmp_path: Path,
) -> None:
    files = WarcFiles(tmp_path, "site-a", 3, 1 << 30)
    for n in range(3):
        exchange(files, n)
    files.close()
    written = (tmp_path / "site-a-00000003-00001.warc.gz").read_bytes()
    assert not (tmp_path / "site-a.writing").exists(), "a closed file leaves no marker"
    # As a run killed with -9 leaves its file: open, a record cut off halfway, and named by
    # the site's marker.
    killed = WarcFiles(tmp_path, "site-a", 4, 1 << 30)
    exchange(killed, 0)
    assert (tmp_path / "site-a.writing").read_text() == "site-a-00000004-00001.warc.gz.open"
    assert killed._file is not None
    killed._file.close()  # the process died: its descriptor closed, nothing more written
    killed._file = None
    left = tmp_path / "site-a-00000004-00001.warc.gz.open"
    left.write_bytes(written + b"\x1f\x8b\x08\x00 half a record")
    # A site whose name begins the same, with a file being written, is left alone.
    other = WarcFiles(tmp_path, "site-a-b", 1, 1 << 30)
    exchange(other, 0)
    assert recover(tmp_path, "site-a") == ["site-a-00000004-00001.warc.gz"]
    assert (tmp_path / "site-a-00000004-00001.warc.gz").read_bytes() == written
    assert not (tmp_path / "site-a.writing").exists()
    assert recover(tmp_path, "site-a") == [], "nothing left to do, without listing the folder"
    assert (tmp_path / "site-a-b-00000001-00001.warc.gz.open").exists()
    other.close()


def answer_kinds(directory: Path) -> list[tuple[str, str | None]]:
    """Each answer record of the directory's whole files: its type and WARC-Refers-To."""
    kinds = []
    for path in sorted(directory.glob("*.warc.gz")):
        with path.open("rb") as file:
            for record in ArchiveIterator(file):
                if record.rec_type != "request":
                    kinds.append((record.rec_type, record.rec_headers.get_header("WARC-Refers-To")))
    return kinds


def test_a_payload_the_capture_before_holds_is_a_revisit_only_while_that_record_is_kept(
    tmp_path: Path,
) -> None:
    headers = [("Content-Type", "text/html")]
    url = "https://x.example/day"
    first = WarcFiles(tmp_path, "s", 1, 1 << 30)
    kept = first.response(url, {}, 200, headers, b"<p>same</p>", NOW)
    first.close()
    second = WarcFiles(tmp_path, "s", 2, 1 << 30)
    second.expect([kept])
    assert second.response(url, {}, 200, headers, b"<p>same</p>", NOW) == kept
    assert second.response(url, {}, 200, headers, b"<p>new</p>", NOW) != kept
    assert second.response(url, {}, 404, headers, b"<p>same</p>", NOW) != kept
    second.close()
    assert answer_kinds(tmp_path) == [
        ("response", None),
        ("revisit", kept.location.record_id),
        ("response", None),
        ("response", None),
    ]
    # The operator moved the first file away: the same payload is a whole response again.
    (tmp_path / kept.location.file).rename(tmp_path / "moved")
    third = WarcFiles(tmp_path, "s", 3, 1 << 30)
    third.expect([kept])
    assert third.response(url, {}, 200, headers, b"<p>same</p>", NOW) != kept
    third.close()
    assert answer_kinds(tmp_path)[-1] == ("response", None)


def test_robots_txt_is_carried_to_the_next_run_once_its_record_is_on_the_disk(
    tmp_path: Path,
) -> None:
    settings = ArchiveSettings(dir=str(tmp_path))
    robots = "https://x.example/robots.txt"
    first = run_files(settings, "s", 1)
    assert first is not None
    kept = first.response(robots, {}, 200, [], b"User-agent: *\n", NOW)
    assert not (tmp_path / "s.captures.json").exists()  # its record is not closed yet
    first.close()
    second = run_files(settings, "s", 2)
    assert second is not None
    assert second.response(robots, {}, 200, [], b"User-agent: *\n", NOW) == kept
    second.close()
