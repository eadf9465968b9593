"""The daemon: each site's incremental crawl on its schedule, until SIGTERM or SIGINT.

The schedule lives in the database (``site_schedule``), so any number of daemon replicas on
one PostgreSQL share the sites without a coordinator of their own:

1. At start a replica adds a row for each configured site it does not find (due at once).
2. Every poll (a quarter of a heartbeat, at most 5 s; sooner when a run ends or the next site
   falls due, at most four a second) it claims as many due sites as it has free slots
   (``schedule.max_parallel_sites``), with ``SELECT ... FOR UPDATE SKIP LOCKED``: each due time
   goes to exactly one replica, and replicas never wait on each other. Every replica wakes as
   a site falls due, so each has its turn at a tick's sites, not only the one whose runs end
   first.
3. Each claimed site is crawled as a task on the replica's one event loop (one thread, one
   engine and one log stream for the process: a hundred sites cost the CPU of their pages, not
   of a hundred loops taking turns), then released, in the run's closing transaction, with its
   next due time: the next tick of its ``interval`` or ``cron`` after now, plus jitter. Ticks
   missed while the site ran late or the machine slept are coalesced into that one run.
4. The replica heartbeats its claims, and every poll watches the others' claims and runs
   (``liveness.Witness``). A replica that dies (kill -9, a node lost) stops heartbeating; once
   a replica polling with a free slot has watched its heartbeat stand still for one and a half
   intervals, itself reaching the database throughout, it takes the claims over, marks the
   runs ``abandoned`` and frees their locks (a dead process of this host: at once). A
   heartbeat missed while the database was away never counts: the outage broke every
   watcher's watch too. A release that failed (an outage) is retried at each poll.
5. A signal stops the polling, tells the runs in progress to stop (each commits the dates it
   finished and records ``interrupted``), and hands the claims back, due at once, so another
   replica picks the sites up (a rolling restart loses no tick).

On SQLite there is one daemon per database file: a second is refused at start. Each replica
deletes old run records hourly (``store.retention``, ``[database]`` ``keep_runs``).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Connection

from ingest import alerts
from ingest.crawl import CrawlDeps, Outcome, crawl_sites, incremental_window, utc_now
from ingest.daemon_events import started_sites
from ingest.daemon_start import one_daemon_per_sqlite_file
from ingest.domain import RunKind
from ingest.errors import IngestError, SiteBusyError, StorageError
from ingest.fetch import Hosts
from ingest.run import SiteRun
from ingest.settings import Settings, SiteSettings
from ingest.store import liveness, retention
from ingest.store import schedule as shared
from ingest.store.engine import Database
from ingest.turns import Turns

log = structlog.get_logger("ingest.daemon")

# How often the daemon checks the webhook alerts besides after each run.
ALERT_CHECK_SECONDS = 60.0
# How long a stopping run may take to commit what it finished before the process gives up.
STOP_TIMEOUT_SECONDS = 8.0
# Threads for the runs' own transactions and file closes (``asyncio.to_thread``): each waits
# on the database or the disk, not the CPU. The loop's default, cores + 4, queued them.
RUN_THREADS = 16
# The shortest time between two polls: a run that ends wakes the poll to fill its slot, but
# many ending together share one.
POLL_GAP_SECONDS = 0.25


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
    ``days``) up to today, sites in parallel. ``clock`` decides what "today" is (tests pin it);
    records are stamped with real time."""
    now = clock()
    return crawl_sites(
        sites or settings.sites,
        lambda site: incremental_window(site, now, days),
        CrawlDeps(
            database,
            stop=stop,
            heartbeat=settings.schedule.heartbeat,
            hosts=Hosts.for_sites(settings.sites),
            archive=settings.archive,
            health=settings.health,
        ),
        kind=kind,
        parallel=settings.schedule.max_parallel_sites,
    )


def next_due(site: SiteSettings, due: datetime, now: datetime, jitter_seconds: int = 0) -> datetime:
    """The site's first tick after ``now``: its cron's next time, or the next multiple of its
    interval after the tick it was due at; plus up to ``jitter_seconds``."""
    schedule = site.schedule
    if schedule.cron is not None:
        trigger = CronTrigger.from_crontab(schedule.cron, timezone=site.timezone)
        following: datetime = trigger.get_next_fire_time(None, now)
    else:
        step = schedule.interval
        missed = max(0, int((now - due) / step))
        following = due + (missed + 1) * step
    return following + timedelta(seconds=random.uniform(0, jitter_seconds))


def run_daemon(
    settings: Settings,
    database: Database,
    *,
    stop: threading.Event | None = None,
    on_started: Callable[[], None] | None = None,
) -> None:
    """Run scheduled crawls until ``stop`` is set (the CLI sets it on SIGTERM/SIGINT)."""
    stop = stop or threading.Event()
    with one_daemon_per_sqlite_file(database):
        replica = Replica(settings, database, stop)
        replica.serve(on_started)


class Replica:
    """This process's share of the sites: claims, crawls, heartbeats, releases."""

    def __init__(self, settings: Settings, database: Database, stop: threading.Event) -> None:
        self.settings = settings
        self.database = database
        self.stop = stop
        # host:pid:token, like a run's owner: runs and health name the replica that ran them.
        self.owner = liveness.this_owner()
        self.sites = {site.name: site for site in settings.sites}
        self.heartbeat = settings.schedule.heartbeat
        self.slots = settings.schedule.max_parallel_sites
        # Every site run of this replica is a task on this one loop, in its own thread; their
        # CPU work takes shared turns (``turns``).
        self.loop = asyncio.new_event_loop()
        self.loop.set_default_executor(ThreadPoolExecutor(RUN_THREADS, "site-runs-io"))
        self.turns = Turns()
        # One slot per host for all of them, and robots.txt read once per host for the runs
        # under way (``fetch.hosts``).
        self.hosts = Hosts.for_sites(settings.sites)
        self.loop_thread = threading.Thread(
            target=self.loop.run_forever, name="site-runs", daemon=True
        )
        self.active: set[str] = set()
        # Sites whose run ended but whose claim could not be released yet: next due, run id.
        self.unreleased: dict[str, tuple[datetime, int | None]] = {}
        # A heartbeat that failed is tried again at the next poll, not a whole interval later.
        self.beat_owed = False
        # The schedule has a row for every configured site (added by the first poll that can).
        self.sites_listed = False
        self.schedule_down = False
        self.lock = threading.Lock()
        self.idle = threading.Event()
        self.idle.set()
        # Set as a run ends: its slot is free, the poll need not wait its interval to fill it.
        self.freed = threading.Event()

    def serve(self, on_started: Callable[[], None] | None) -> None:
        self.loop_thread.start()
        poll = min(5.0, max(0.2, self.heartbeat.total_seconds() / 4))
        threading.Thread(target=self._polling, args=(poll,), name="poll", daemon=True).start()
        scheduler = BackgroundScheduler()
        scheduler.add_job(self.beat, "interval", seconds=self.heartbeat.total_seconds(),
                          id="heartbeat", max_instances=1, coalesce=True)  # fmt: skip
        if self.settings.alerts.enabled:
            # Besides the check after each run: deliveries that failed are retried, and the
            # "nothing new" alert needs no run to fire.
            scheduler.add_job(self.check_alerts, "interval", seconds=ALERT_CHECK_SECONDS,
                              id="alerts", max_instances=1, coalesce=True)  # fmt: skip
        retention.schedule_purge(scheduler, self.database, self.settings.database)  # hourly
        scheduler.start()
        log.info(
            "daemon_started",
            owner=self.owner,
            **started_sites(self.settings.sites),
            max_parallel_sites=self.slots,
        )
        if on_started is not None:
            on_started()
        try:
            while not self.stop.wait(0.5):
                pass
        finally:
            log.info("daemon_stopping", owner=self.owner)
            scheduler.shutdown(wait=False)
            # The runs in progress see ``stop`` within a fraction of a second, drop the dates
            # in flight and record themselves interrupted; wait for that, but not forever.
            clean = self.idle.wait(STOP_TIMEOUT_SECONDS)
            # Whatever the runs left on the loop is cancelled and awaited, as asyncio.run does,
            # so that no task is destroyed pending when the loop closes.
            with contextlib.suppress(Exception):
                leftovers = asyncio.run_coroutine_threadsafe(_cancel_leftovers(), self.loop)
                leftovers.result(STOP_TIMEOUT_SECONDS)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.loop_thread.join(STOP_TIMEOUT_SECONDS)
            # The parse thread ends before the loop closes, and the loop closes before the
            # interpreter finalizes: none of them is left to the interpreter's exit.
            self.turns.close()
            if not self.loop_thread.is_alive():
                with self.lock:  # a poll still under way starts no run on it
                    self.loop.close()
            self._hand_back()
            log.info("daemon_stopped", clean=clean)

    def _polling(self, every: float) -> None:
        """Poll every ``every`` seconds, and sooner when a run ends or the next site falls due,
        until stopped. (A slot left free for a quarter heartbeat cost the 10,000-site daemon a
        share of its runs. Woken by its runs' ends alone, the replica whose runs ended first
        claimed most of each tick, an idle one's next poll coming up to ``every`` later.)"""
        while not self.stop.is_set():
            self.freed.clear()
            upcoming = None
            try:
                upcoming = self.poll()
            except Exception:  # the poll must go on, as the scheduler's jobs do
                log.exception("poll_crashed")
            wait = every
            if upcoming is not None:  # the gap ends as the site falls due
                until = (upcoming - utc_now()).total_seconds() - POLL_GAP_SECONDS
                wait = max(0.0, min(every, until))
            self.freed.wait(wait)
            self.stop.wait(POLL_GAP_SECONDS)

    def poll(self) -> datetime | None:
        """Watch the other replicas' claims and runs, and claim as many due sites as there are
        free slots, and start their runs. The next time a site falls due (None: none read)."""
        if self.stop.is_set():
            return None
        if self.beat_owed:
            self.beat()
        with self.lock:
            free = self.slots - len(self.active)
            idle = [n for n in self.sites if n not in self.active and n not in self.unreleased]
        try:
            self._release_again()
            with self.database.transaction() as tx:
                if not self.sites_listed:
                    shared.ensure_sites(tx.connection, self.sites, utc_now())
                abandoned = liveness.mark_abandoned_runs(
                    tx.connection, utc_now(), self.database.witness
                )
                claimed = shared.claim_due(
                    tx.connection, idle, self.owner, utc_now(), limit=free,
                    witness=self.database.witness,
                )  # fmt: skip
                upcoming = shared.next_due_after(tx.connection, utc_now())
                tx.commit()
        except StorageError as exc:
            if not self.schedule_down:  # once an outage, not every poll
                log.warning("schedule_unavailable", reason=str(exc))
            self.schedule_down = True
            return None
        self.sites_listed, self.schedule_down = True, False
        if abandoned:
            log.warning("runs_abandoned", run_ids=abandoned)
        now, grace = utc_now(), timedelta(seconds=self.settings.schedule.misfire_grace_seconds)
        for name, due_at, previous in claimed:
            if previous is not None and previous != self.owner:
                log.warning("site_taken_over", site=name, previous_owner=previous)
            if now - due_at > grace:
                late = round((now - due_at).total_seconds())
                log.warning("run_late", site=name, late_seconds=late, due_at=due_at.isoformat())
            with self.lock:
                if self.loop.is_closed():
                    break  # the daemon stopped meanwhile: its hand-back releases the claim
                self.active.add(name)
                self.idle.clear()
                asyncio.run_coroutine_threadsafe(self._crawl(self.sites[name], due_at), self.loop)
        return upcoming

    def check_alerts(self, site: SiteSettings | None = None) -> None:
        """Webhook alerts on health transitions, of ``site`` (default: every site); never
        raises, never fails a run."""
        if self.settings.alerts.enabled:
            chosen = None if site is None else [site]
            alerts.check_and_notify(self.settings, self.database, now=utc_now(), sites=chosen)

    def beat(self) -> None:
        try:
            with self.database.transaction() as tx:
                shared.heartbeat(tx.connection, self.owner, utc_now())
                tx.commit()
        except StorageError as exc:
            if not self.beat_owed:
                log.warning("heartbeat_failed", owner=self.owner, reason=str(exc))
            self.beat_owed = True
        else:
            self.beat_owed = False

    async def _crawl(self, site: SiteSettings, due: datetime) -> None:
        run_id, run = None, None
        # The claim is released in the run's close transaction: (kept, next due) once it is.
        released: list[tuple[bool, datetime]] = []

        def release_with_close(conn: Connection, closed_run: int) -> None:
            following = self._following(site, due)
            kept = shared.release(conn, site.name, self.owner, next_due_at=following,
                                  run_id=closed_run)  # fmt: skip
            released[:] = [(kept, following)]

        try:
            first, last = incremental_window(site, utc_now())
            deps = CrawlDeps(
                self.database,
                stop=self.stop,
                heartbeat=self.heartbeat,
                turns=self.turns,
                hosts=self.hosts,
                archive=self.settings.archive,
                health=self.settings.health,
                marks_abandoned=False,  # every poll does
                on_close=release_with_close,
            )
            run = SiteRun(site, deps, RunKind.SCHEDULED, first, last)
            run_id = (await run.execute()).run_id
        except SiteBusyError as exc:
            log.warning("run_skipped", site=site.name, reason=str(exc))
        except IngestError as exc:
            log.error("run_failed_to_start", site=site.name, reason=str(exc))
        except Exception:
            log.exception("run_crashed_in_daemon", site=site.name)
        finally:
            try:
                if run is not None and run.record_saved and released:
                    self._released(site.name, *released[0])
                else:  # on a thread: a round trip to the database stalls no other site's run
                    following = self._following(site, due)
                    await asyncio.to_thread(self._release, site.name, following, run_id)
            finally:
                with self.lock:
                    self.active.discard(site.name)
                    if not self.active:
                        self.idle.set()
                self.freed.set()
            if run_id is not None and self.settings.alerts.enabled:
                # A webhook post blocks: off the loop the other sites' runs share. The run
                # changed only its own site's alerts: the timer checks every site.
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(None, self.check_alerts, site)

    def _following(self, site: SiteSettings, due: datetime) -> datetime:
        """The site's next due time; stopping: its due time kept, so another replica runs it
        at once."""
        if self.stop.is_set():
            return due
        return next_due(site, due, utc_now(), self.settings.schedule.jitter_seconds)

    def _release(self, site: str, following: datetime, run_id: int | None) -> None:
        try:
            self._release_claim(site, following, run_id)
        except StorageError as exc:
            # Kept claimed (and heartbeated) until a poll can release it: only the poll
            # touches it from now on.
            log.warning("schedule_release_failed", site=site, reason=str(exc))
            with self.lock:
                self.unreleased[site] = (following, run_id)

    def _release_again(self) -> None:
        """Release the claims whose release failed; StorageError while it still cannot."""
        with self.lock:
            pending = dict(self.unreleased)
        for site, (following, run_id) in pending.items():
            self._release_claim(site, following, run_id)
            with self.lock:
                self.unreleased.pop(site, None)

    def _release_claim(self, site: str, following: datetime, run_id: int | None) -> None:
        with self.database.transaction() as tx:
            kept = shared.release(
                tx.connection, site, self.owner, next_due_at=following, run_id=run_id
            )
            tx.commit()
        self._released(site, kept, following)

    def _released(self, site: str, kept: bool, following: datetime) -> None:
        if not kept:
            log.warning("claim_taken_over", site=site, owner=self.owner)
        else:
            # DEBUG: the run's run_finished is the poll's one INFO line.
            log.debug("site_scheduled", site=site, next_due_at=following.isoformat())

    def _hand_back(self) -> None:
        try:
            with self.database.transaction() as tx:
                shared.release_all(tx.connection, self.owner)
                tx.commit()
        except StorageError as exc:
            log.warning("schedule_release_failed", reason=str(exc))


async def _cancel_leftovers() -> None:
    """Cancel every task on the running loop but this one, and wait for them to end."""
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
