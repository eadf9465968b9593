"""Crawls of one or several sites: plan the window, run each site, report each outcome.

``crawl_sites`` is the one function every entry point calls: ``backfill`` here (the backfill
and the demo), the daemon's ``crawl_once`` and its scheduled runs. Each site runs as its own
``run.SiteRun`` with its own run record, politeness limits and lock; several run side by side
on one event loop, at most ``parallel`` at once. A site that is busy elsewhere is reported as
skipped, and one site's failure never stops another.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import msgspec
import structlog

from ingest.domain import RunKind, utc_now
from ingest.errors import SiteBusyError
from ingest.fetch import Hosts
from ingest.planning import dates_between
from ingest.run import CrawlDeps, SiteRun
from ingest.settings import ArchiveSettings, Settings, SiteSettings
from ingest.store.engine import Database
from ingest.tally import Progress, RunSummary
from ingest.turns import Turns

log = structlog.get_logger("ingest.crawl")

T = TypeVar("T")

# A reparse waits on no network: its dates are CPU work from end to end. Its turns go as soon
# as the loop has run every task that was ready, and on the loop itself: no parse thread to
# hand the pages to, wait for and fight for the GIL; 64 dates in flight (docs/performance.md).
REPARSE_CONCURRENCY = 32
REPARSE_TURN_SIZE = 64

__all__ = [
    "CrawlDeps",
    "Progress",
    "RunSummary",
    "SiteSkipped",
    "backfill",
    "crawl_sites",
    "dates_between",
    "incremental_window",
    "reparse",
    "run_crawl",
    "utc_now",
]


@dataclass(frozen=True, slots=True)
class SiteSkipped:
    """A site not crawled because another live run holds it."""

    site: str
    reason: str


Outcome = RunSummary | SiteSkipped


def incremental_window(
    site: SiteSettings, now: datetime, days: int | None = None
) -> tuple[date, date]:
    """The daemon's window: ``lookback_days`` (or ``days``) before today, in the site's calendar."""
    today = now.astimezone(site.timezone).date()
    back = site.schedule.lookback_days if days is None else days
    return today - timedelta(days=back), today


def run_crawl(
    site: SiteSettings,
    first: date,
    last: date,
    deps: CrawlDeps,
    *,
    kind: RunKind = RunKind.BACKFILL,
    force: bool = False,
) -> RunSummary:
    """Crawl one site's dates from ``first`` to ``last`` inclusive; synchronous.

    A backfill skips complete dates unless ``force``; scheduled and manual runs re-crawl their
    whole window. Listing validators (ETag, Last-Modified) are sent unless ``force``, so an
    unchanged day costs one request. When another live run holds the site, a backfill waits
    for it; scheduled and manual runs raise SiteBusyError.
    """
    return _run(SiteRun(site, deps, kind, first, last, force=force).execute(), deps.turns)


def backfill(
    settings: Settings,
    database: Database,
    first: date,
    last: date,
    *,
    sites: Sequence[SiteSettings] | None = None,
    force: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
) -> list[Outcome]:
    """Crawl ``first`` .. ``last`` of each site (default: every configured site), in parallel."""
    deps = CrawlDeps(
        database,
        on_progress=on_progress,
        heartbeat=settings.schedule.heartbeat,
        hosts=Hosts.for_sites(settings.sites),
        archive=settings.archive,
        health=settings.health,
    )
    return crawl_sites(
        sites or settings.sites,
        lambda _site: (first, last),
        deps,
        kind=RunKind.BACKFILL,
        force=force,
        parallel=settings.schedule.max_parallel_sites,
    )


def reparse(
    settings: Settings,
    database: Database,
    first: date,
    last: date,
    *,
    sites: Sequence[SiteSettings] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> list[Outcome]:
    """Read ``first`` .. ``last`` of each site again from its WARC files, with its layout and
    selectors as configured today: the crawl's own path (parse, dedupe, store, a run record
    of kind ``reparse``), every page answered by the archive (``archive.WarcReplay``), no
    request sent and nothing archived anew. A page the archive lacks fails its date."""
    from ingest.archive.replay import WarcReplay  # FastWARC: only a reparse needs it

    directory = Path(settings.archive.dir)
    chosen = [_replaying(site) for site in (sites or settings.sites)]
    deps = CrawlDeps(
        database,
        on_progress=on_progress,
        heartbeat=settings.schedule.heartbeat,
        hosts=Hosts.for_sites(chosen),
        archive=ArchiveSettings(enabled=False),
        transport=lambda site: WarcReplay(directory, site.name),
        health=settings.health,
        turns=Turns(size=REPARSE_TURN_SIZE, wait_seconds=0.0, on_loop=True),
    )
    return crawl_sites(
        chosen,
        lambda _site: (first, last),
        deps,
        kind=RunKind.REPARSE,
        force=True,
        parallel=settings.schedule.max_parallel_sites,
    )


def _replaying(site: SiteSettings) -> SiteSettings:
    """The site as a reparse reads it: unpaced (nothing goes to the site), one attempt a page.
    robots.txt is the archived one, asked only of the pages the archive lacks
    (``fetch.Archive``)."""
    http = msgspec.structs.replace(
        site.http, requests_per_second=0.0, concurrency=REPARSE_CONCURRENCY, max_attempts=1
    )
    return msgspec.structs.replace(site, http=http)


def crawl_sites(
    sites: Sequence[SiteSettings],
    window: Callable[[SiteSettings], tuple[date, date]],
    deps: CrawlDeps,
    *,
    kind: RunKind,
    force: bool = False,
    parallel: int = 4,
) -> list[Outcome]:
    """Crawl every site over its window, ``parallel`` sites at once, in config order.

    A busy site is skipped (SiteSkipped) for every kind but a backfill, which waits. Once
    every site has ended, the first unexpected error of any site is re-raised.
    """
    return _run(_crawl_sites(sites, window, deps, kind, force, parallel), deps.turns)


def _run(main: Awaitable[T], turns: Turns) -> T:
    """``asyncio.run(main)``, with the parse thread of ``turns`` ended before the event loop
    closes (``Turns.close``)."""

    async def closing() -> T:
        try:
            return await main
        finally:
            turns.close()  # blocks the loop for the turn in flight at most: nothing else runs

    return asyncio.run(closing())


async def _crawl_sites(
    sites: Sequence[SiteSettings],
    window: Callable[[SiteSettings], tuple[date, date]],
    deps: CrawlDeps,
    kind: RunKind,
    force: bool,
    parallel: int,
) -> list[Outcome]:
    gate = asyncio.Semaphore(parallel)

    async def one(site: SiteSettings) -> Outcome:
        first, last = window(site)
        async with gate:
            try:
                return await SiteRun(site, deps, kind, first, last, force=force).execute()
            except SiteBusyError as exc:
                log.warning("run_skipped", site=site.name, reason=str(exc))
                return SiteSkipped(site.name, str(exc))

    results = await asyncio.gather(*(one(site) for site in sites), return_exceptions=True)
    outcomes: list[Outcome] = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        outcomes.append(result)
    return outcomes
