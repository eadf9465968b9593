"""A run's own transactions (open, plan, finish) wait for the database on a thread, not on the
event loop: in the daemon every site's run shares one loop, and a run that waits on the
database must not stop the others' requests (issue 26, 10,000 sites in one daemon)."""

from __future__ import annotations

import asyncio
import threading
import zlib
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text

from ingest.domain import RunKind, RunStatus
from ingest.run import CrawlDeps, SiteRun
from ingest.store.engine import Database
from ingest.store.migrate import upgrade_to_head
from tests.support.postgres import fresh_postgres
from tests.support.sample_site import SampleSiteServer
from tests.support.settings import fast_settings

DAY = date(2020, 2, 1)
TICKS = 20  # the other work the loop must do while the run waits


def test_a_run_waiting_for_its_lock_leaves_the_event_loop_free(
    server: SampleSiteServer, tmp_path: Path, postgres_url: str
) -> None:
    url = fresh_postgres(postgres_url)
    settings = fast_settings(server.base_url, server.listing_path, tmp_path, database_url=url)
    database = Database.from_url(url)
    upgrade_to_head(database.engine)
    # Another process's transaction holds the advisory lock that guards taking the site's lock
    # (``liveness.acquire_site_lock``): the run's open waits on the database until it ends.
    holder = create_engine(url).connect()
    key = zlib.crc32(f"ingest-site-lock:{settings.site.name}".encode())
    holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
    ticked = threading.Event()

    async def main() -> tuple[int, RunStatus]:
        run = asyncio.create_task(
            SiteRun(settings.site, CrawlDeps(database), RunKind.MANUAL, DAY, DAY).execute()
        )
        ticks = 0
        while ticks < TICKS and not run.done():  # the loop turns while the run waits
            await asyncio.sleep(0.01)
            ticks += 1
        ticked.set()
        summary = await run
        return ticks, summary.status

    def release_once_ticked() -> None:
        ticked.wait(10)  # a loop the run blocks never ticks: released after 10 s anyway
        holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})

    releaser = threading.Thread(target=release_once_ticked)
    releaser.start()
    try:
        ticks, status = asyncio.run(main())
    finally:
        ticked.set()
        releaser.join()
        holder.close()
        holder.engine.dispose()
        database.dispose()
    assert ticks == TICKS, "the loop stood still while the run waited for the database"
    assert status is RunStatus.SUCCEEDED
