"""One run's WARC files: records written whole, synced together, closed whole."""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from ingest.archive import WarcFiles, WarcLocation, recover, run_files
from ingest.settings import ArchiveSettings
from ingest.turns import Turns
from tests.support.archive import compression_threads

NOW = datetime(2020, 2, 1, 12, 0, tzinfo=UTC)


def exchange(files: WarcFiles, n: int) -> None:
    headers = [("Content-Type", "text/html")]
    files.response(
        f"https://x.example/{n}", {"User-Agent": "t"}, 200, headers, b"<p>%d</p>" % n, NOW
    ).result()


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
        exchange(files, 0)
        await files.sync()  # the file's first: its marker and folder too
        calls.clear()
        for n in range(1, 20):
            exchange(files, n)
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


def test_a_new_files_names_are_made_durable_by_its_first_sync_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beginning a file syncs nothing where the fetch runs; the first sync (on its thread,
    before any row may point into the file) syncs the site's marker and the folder too."""
    synced: list[tuple[str, bool]] = []  # the name, and whether on the event loop's thread
    real = os.fsync

    def watched(descriptor: int) -> None:
        name = Path(f"/proc/self/fd/{descriptor}").readlink().name
        synced.append((name, threading.current_thread() is threading.main_thread()))
        real(descriptor)

    monkeypatch.setattr(os, "fsync", watched)
    files = WarcFiles(tmp_path, "s", 1, 1 << 30)

    async def main() -> None:
        exchange(files, 0)
        assert (tmp_path / "s.writing").read_text() == "s-00000001-00001.warc.gz.open"
        assert synced == [], "the file's start synced on the event loop"
        await files.sync()
        assert sorted(synced) == [
            ("s-00000001-00001.warc.gz.open", False),
            ("s.writing", False),
            (tmp_path.name, False),
        ]
        exchange(files, 1)
        await files.sync()  # the names are durable: the file alone
        assert synced[3:] == [("s-00000001-00001.warc.gz.open", False)]

    asyncio.run(main())
    files.close()


def test_in_turns_records_are_built_on_the_parse_thread_and_written_in_the_order_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Taking an exchange down builds nothing; the turn after it builds, compresses and writes
    its records on the parse thread, in order, before the turn's tasks go on."""
    compressed_on = compression_threads(monkeypatch)
    turns = Turns(size=4, wait_seconds=0.05)
    files = WarcFiles(tmp_path, "s", 1, 1 << 30)
    files.build_in(turns)
    urls = [f"https://x.example/{n}" for n in range(10)]

    async def main() -> list[WarcLocation]:
        taken = [
            files.response(url, {}, 200, [], b"<p>%d</p>" % n, NOW) for n, url in enumerate(urls)
        ]
        assert compressed_on == []
        await turns.run(lambda: None)  # a page's parse: the records went first, in its turn
        assert all(exchange.captured is not None for exchange in taken)
        await files.sync()
        return [exchange.result().location for exchange in taken]

    try:
        places = asyncio.run(main())
    finally:
        turns.close()
        files.close()
    assert len(compressed_on) == 20
    assert all(name.startswith("ingest-parse") for name in compressed_on), compressed_on
    assert [place.offset for place in places] == sorted({place.offset for place in places})
    with (tmp_path / places[0].file).open("rb") as file:
        for url, place in zip(urls, places, strict=True):
            file.seek(place.offset)
            record = next(iter(ArchiveIterator(file)))
            assert record.rec_headers.get_header("WARC-Target-URI") == url
            assert record.rec_headers.get_header("WARC-Record-ID") == place.record_id


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
    kept = first.response(url, {}, 200, headers, b"<p>same</p>", NOW).result()
    first.close()
    second = WarcFiles(tmp_path, "s", 2, 1 << 30)
    second.expect([kept])
    assert second.response(url, {}, 200, headers, b"<p>same</p>", NOW).result() == kept
    assert second.response(url, {}, 200, headers, b"<p>new</p>", NOW).result() != kept
    assert second.response(url, {}, 404, headers, b"<p>same</p>", NOW).result() != kept
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
    assert third.response(url, {}, 200, headers, b"<p>same</p>", NOW).result() != kept
    third.close()
    assert answer_kinds(tmp_path)[-1] == ("response", None)


def test_robots_txt_is_carried_to_the_next_run_once_its_record_is_on_the_disk(
    tmp_path: Path,
) -> None:
    settings = ArchiveSettings(dir=str(tmp_path))
    robots = "https://x.example/robots.txt"
    first = run_files(settings, "s", 1)
    assert first is not None
    kept = first.response(robots, {}, 200, [], b"User-agent: *\n", NOW).result()
    assert not (tmp_path / "s.captures.json").exists()  # its record is not closed yet
    first.close()
    second = run_files(settings, "s", 2)
    assert second is not None
    assert second.response(robots, {}, 200, [], b"User-agent: *\n", NOW).result() == kept
    second.close()
