"""The daemon: one APScheduler job, the incremental crawl, until SIGTERM or SIGINT.

The job runs once at start and then every ``[schedule] interval`` (or on ``[schedule] cron``),
never two at once (``max_instances=1``), missed runs coalesced into one, late runs within
``misfire_grace_seconds`` still run. A signal stops the scheduler, tells the run in progress
to stop (it commits the dates it finished and records ``interrupted``), and the process exits.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from typing import Any

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ingest.crawl import CrawlDeps, RunSummary, incremental_window, run_crawl, utc_now
from ingest.domain import RunKind
from ingest.errors import IngestError, SiteBusyError
from ingest.settings import Settings
from ingest.store.engine import Database

log = structlog.get_logger("ingest.daemon")

# How long a stopping run may take to commit what it finished before the process gives up.
STOP_TIMEOUT_SECONDS = 8.0


def crawl_once(
    settings: Settings,
    database: Database,
    *,
    kind: RunKind,
    days: int | None = None,
    stop: threading.Event | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> RunSummary:
    """The incremental crawl: the last ``lookback_days`` (or ``days``) up to today.

    ``clock`` decides what "today" is (tests pin it); records are stamped with real time.
    """
    first, last = incremental_window(settings, clock(), days)
    deps = CrawlDeps(settings, database, stop=stop)
    return run_crawl(first, last, deps, kind=kind)


def _trigger(settings: Settings) -> Any:
    schedule = settings.schedule
    tz = settings.site.tz
    jitter = schedule.jitter_seconds or None
    if schedule.cron is not None:
        return CronTrigger.from_crontab(schedule.cron, timezone=tz), jitter
    return IntervalTrigger(seconds=schedule.interval_delta.total_seconds(), timezone=tz), jitter


def run_daemon(
    settings: Settings,
    database: Database,
    *,
    stop: threading.Event | None = None,
    on_started: Callable[[], None] | None = None,
) -> None:
    """Run scheduled crawls until ``stop`` is set (the CLI sets it on SIGTERM/SIGINT)."""
    stop = stop or threading.Event()

    def job() -> None:
        if stop.is_set():
            return
        try:
            crawl_once(settings, database, kind=RunKind.SCHEDULED, stop=stop)
        except SiteBusyError as exc:
            log.warning("run_skipped", reason=str(exc))
        except IngestError as exc:
            log.error("run_failed_to_start", reason=str(exc))
        except Exception:
            log.exception("run_crashed_in_daemon")

    trigger, jitter = _trigger(settings)
    scheduler = BackgroundScheduler(timezone=settings.site.tz)
    scheduler.add_job(
        job,
        trigger=trigger,
        id="incremental-crawl",
        name="incremental crawl",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=settings.schedule.misfire_grace_seconds,
        next_run_time=datetime.now(settings.site.tz),
        jitter=jitter,
    )
    scheduler.start()
    log.info(
        "daemon_started",
        interval=None if settings.schedule.cron else settings.schedule.interval,
        cron=settings.schedule.cron,
        lookback_days=settings.schedule.lookback_days,
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
