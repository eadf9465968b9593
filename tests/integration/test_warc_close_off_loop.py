"""A run closes its WARC files (fsync, rename, the site's ``.captures.json`` replaced and
synced) on a thread, not on the event loop the daemon's other runs share (issue 26). A FIFO
in place of the captures' temporary file stands in for a slow disk: opening it blocks until
someone reads it."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from datetime import date
from pathlib import Path

from ingest.domain import RunKind, RunStatus
from ingest.run import CrawlDeps, SiteRun
from ingest.store.engine import Database
from ingest.store.migrate import upgrade_to_head
from tests.support.sample_site import SampleSiteServer
from tests.support.settings import fast_settings

DAY = date(2020, 2, 1)
TICKS = 20


def test_closing_the_runs_warc_files_leaves_the_event_loop_free(
    server: SampleSiteServer, tmp_path: Path
) -> None:
    settings = fast_settings(server.base_url, server.listing_path, tmp_path)
    database = Database.from_url(settings.database.url)
    upgrade_to_head(database.engine)
    warc = Path(settings.archive.dir)
    warc.mkdir(parents=True)
    stuck = warc / "test.captures.json.tmp"
    os.mkfifo(stuck)
    ticks = [0]

    async def main() -> RunStatus:
        run = asyncio.create_task(
            SiteRun(settings.site, CrawlDeps(database, archive=settings.archive),
                    RunKind.MANUAL, DAY, DAY).execute()
        )  # fmt: skip
        while not run.done():
            await asyncio.sleep(0.005)
            ticks[0] += 1
        return (await run).status

    ticked_while_stuck = [False]

    def release_once_ticked() -> None:
        deadline = time.monotonic() + 60
        while not list(warc.glob("test-*.warc.gz")) and time.monotonic() < deadline:
            time.sleep(0.01)  # the file is renamed: its close is at the captures now
        time.sleep(0.05)
        before = ticks[0]
        until = time.monotonic() + 10
        while ticks[0] < before + TICKS and time.monotonic() < until:
            time.sleep(0.01)
        ticked_while_stuck[0] = ticks[0] >= before + TICKS
        with stuck.open("rb") as reader:  # lets the writer through
            reader.read()

    releaser = threading.Thread(target=release_once_ticked)
    releaser.start()
    try:
        status = asyncio.run(main())
    finally:
        releaser.join()
        database.dispose()
    assert ticked_while_stuck[0], "the loop stood still while the run closed its WARC files"
    assert status is RunStatus.SUCCEEDED
