"""The daemon: one APScheduler job per site, the incremental crawl, until SIGTERM or SIGINT.

Each site's job runs once at start and then every ``interval`` (or on ``cron``) of its own
schedule, never two at once (``max_instances=1``), missed runs coalesced into one, late runs
within ``misfire_grace_seconds`` still run. A pool of ``schedule.max_parallel_sites`` threads
runs the jobs, so one slow or failing site never delays another's schedule. A signal stops the
scheduler, tells the runs in progress to stop (each commits the dates it finished and records
``interrupted``), and the process exits.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from typing import Any

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ingest.crawl import (
    CrawlDeps,
    Outcome,
    crawl_sites,
    incremental_window,
    run_crawl,
    utc_now,
)
from ingest.domain import RunKind
from ingest.errors import IngestError, SiteBusyError
from ingest.settings import Settings, SiteSettings
from ingest.store.engine import Database

log = structlog.get_logger("ingest.daemon")

# How long a stopping run may take to commit what it finished before the process gives up.
STOP_TIMEOUT_SECONDS = 8.0


def crawl_once(
    settings: Settings,
    database: Database,
    *,
    kind: RunKind,
    sites: tuple[SiteSettings, ...] | None = None,
    days: int | None = None,
    stop: threading.Event | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> list[Outcome]:
    """The incremental crawl of each site (default: all): its last ``lookback_days`` (or
    ``days``) up to today, sites in parallel.

    ``clock`` decides what "today" is (tests pin it); records are stamped with real time.
    """
    now = clock()
    return crawl_sites(
        sites or settings.sites,
        lambda site: incremental_window(site, now, days),
        CrawlDeps(database, stop=stop),
        kind=kind,
        parallel=settings.schedule.max_parallel_sites,
    )


def _trigger(site: SiteSettings) -> Any:
    schedule, tz = site.schedule, site.tz
    if schedule.cron is not None:
        return CronTrigger.from_crontab(schedule.cron, timezone=tz)
    return IntervalTrigger(seconds=schedule.interval_delta.total_seconds(), timezone=tz)


def run_daemon(
    settings: Settings,
    database: Database,
    *,
    stop: threading.Event | None = None,
    on_started: Callable[[], None] | None = None,
) -> None:
    """Run scheduled crawls until ``stop`` is set (the CLI sets it on SIGTERM/SIGINT)."""
    stop = stop or threading.Event()

    def job(site: SiteSettings) -> None:
        if stop.is_set():
            return
        first, last = incremental_window(site, utc_now())
        try:
            run_crawl(site, first, last, CrawlDeps(database, stop=stop), kind=RunKind.SCHEDULED)
        except SiteBusyError as exc:
            log.warning("run_skipped", site=site.name, reason=str(exc))
        except IngestError as exc:
            log.error("run_failed_to_start", site=site.name, reason=str(exc))
        except Exception:
            log.exception("run_crashed_in_daemon", site=site.name)

    schedule = settings.schedule
    workers = ThreadPoolExecutor(max_workers=schedule.max_parallel_sites)
    scheduler = BackgroundScheduler(executors={"default": workers})
    for site in settings.sites:
        scheduler.add_job(
            job,
            args=(site,),
            trigger=_trigger(site),
            id=f"crawl:{site.name}",
            name=f"incremental crawl of {site.name}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=schedule.misfire_grace_seconds,
            next_run_time=datetime.now(site.tz),
            jitter=schedule.jitter_seconds or None,
        )
    scheduler.start()
    log.info(
        "daemon_started",
        sites=[
            {
                "site": site.name,
                "interval": None if site.schedule.cron else site.schedule.interval,
                "cron": site.schedule.cron,
                "lookback_days": site.schedule.lookback_days,
            }
            for site in settings.sites
        ],
        max_parallel_sites=schedule.max_parallel_sites,
    )
    if on_started is not None:
        on_started()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        log.info("daemon_stopping")
        # The run in progress sees ``stop`` within a fraction of a second, drops the dates in
        # flight and records itself interrupted; wait for that, but not forever.
        stopper = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
        stopper.start()
        stopper.join(STOP_TIMEOUT_SECONDS)
        log.info("daemon_stopped", clean=not stopper.is_alive())


def install_stop_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set ``stop`` instead of killing the process mid-write."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("signal_received", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
