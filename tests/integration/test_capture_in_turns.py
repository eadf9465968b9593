"""A crawl's WARC records are built and compressed off the event loop: in the turns on the
parse thread, where the pages' parsing runs warm (docs/performance.md, "The WARC archive's
cost"); each page's place is asked for after its turn, so none is built where the fetches run.
Every stored article's place is still the record of its own page."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from ingest.domain import RunKind, RunStatus
from ingest.run import CrawlDeps, SiteRun
from ingest.store.engine import Database
from ingest.store.migrate import upgrade_to_head
from tests.support.archive import compression_threads
from tests.support.sample_site import SampleSiteServer
from tests.support.settings import fast_settings

FIRST, LAST = date(2020, 2, 1), date(2020, 2, 4)


def test_a_crawls_records_are_compressed_off_the_event_loop_and_placed_right(
    server: SampleSiteServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compressed_on = compression_threads(monkeypatch)
    settings = fast_settings(server.base_url, server.listing_path, tmp_path)
    database = Database.from_url(settings.database.url)
    upgrade_to_head(database.engine)
    deps = CrawlDeps(database, archive=settings.archive)
    run = SiteRun(settings.site, deps, RunKind.MANUAL, FIRST, LAST)
    try:
        summary = asyncio.run(run.execute())
    finally:
        deps.turns.close()
        database.dispose()
    assert summary.status is RunStatus.SUCCEEDED
    loop_thread = threading.main_thread().name
    assert len(compressed_on) > 20
    assert loop_thread not in compressed_on, "records compressed on the event loop"
    with sqlite3.connect(tmp_path / "ingest.db") as db:
        placed = db.execute("SELECT url, warc_file, warc_offset, warc_record_id FROM articles")
        rows = placed.fetchall()
    assert rows
    for url, name, offset, record_id in rows:
        with (tmp_path / "warc" / name).open("rb") as file:
            file.seek(offset)
            record = next(iter(ArchiveIterator(file)))
        assert record.rec_headers.get_header("WARC-Record-ID") == record_id
        assert record.rec_headers.get_header("WARC-Target-URI") == url
