"""Run liveness: heartbeats, abandoned runs and the per-site crawl lock.

A run's ``owner`` is ``host:pid:token``. A run still ``running`` whose owner died without closing
its record (kill -9, power loss, a node lost) is marked ``abandoned`` and its lock freed. Who
counts as dead (``is_gone``) is decided in two ways only:

* a process of this host that no longer exists: at once; a live process of this host never;
* a process of another host: when this process has itself watched its heartbeat stand still
  for the stale limit (one and a half heartbeat intervals) while it reached the database
  without a break (``Witness``). Heartbeats are never compared across clocks.

So a heartbeat missed while the database was unreachable never counts: an outage breaks every
judge's watch, and once the database is back each live process has the whole stale limit to
heartbeat again (each tries again within a quarter interval). The lock is a row per site; on
PostgreSQL a transaction advisory lock guards taking it, so two writers never both see it free.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
import zlib
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from ingest.domain import RunStatus
from ingest.errors import SiteBusyError, SiteHolderSilentError
from ingest.store.tables import runs as _runs
from ingest.store.tables import site_locks as _locks

HEARTBEAT_EVERY = timedelta(seconds=10)


def stale_limit(heartbeat_every: timedelta) -> timedelta:
    """How old a heartbeat may be before its owner counts as dead."""
    return heartbeat_every * 1.5


STALE_AFTER = stale_limit(HEARTBEAT_EVERY)


def this_owner() -> str:
    """A new owner name, ``host:pid:token``: unique per run, even for runs of one process."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_is_dead(owner: str | None) -> bool:
    """True only when the owner is a process of this host that no longer exists."""
    parts = (owner or "").rsplit(":", 2)
    if len(parts) != 3:
        return False
    host, pid, _token = parts
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def owner_is_alive_here(owner: str | None) -> bool:
    """True when the owner is a process of this host that still exists."""
    parts = (owner or "").rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    return not owner_is_dead(owner)


class Verdict(Enum):
    """What a judge may say of another process from what it has seen."""

    ALIVE = "alive"  # a live process of this host, or its heartbeat moved while watched
    WATCHING = "watching"  # not seen silent for the whole stale limit yet
    GONE = "gone"  # gone from this host, or watched silent for the stale limit


class Witness:
    """What this process has itself seen: whether it reached the database without a break, and
    how long each heartbeat it looked at has stood still since it first saw it.

    ``Database`` reports every transaction (``reached``, ``lost``); the judges
    (``mark_abandoned_runs``, ``acquire_site_lock``, the schedule's claims) ask ``judge``. A
    break is a failure to reach the database, or a silence of this process's own longer than
    ``gap`` (a process paused, a machine that slept: an outage may have hidden in it). A break
    forgets everything watched before it, so no silence that an outage may explain is counted.
    Thread-safe: the daemon's threads share one. Durations are this process's monotonic clock.
    """

    def __init__(
        self, heartbeat: timedelta = HEARTBEAT_EVERY, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stale_after = stale_limit(heartbeat).total_seconds()
        self.gap = contact_gap(heartbeat)
        self._clock = clock
        self._lock = threading.Lock()
        self._unbroken_since: float | None = None
        self._last_contact = 0.0
        # key -> (heartbeat, when first seen, when last looked at)
        self._seen: dict[Hashable, tuple[object, float, float]] = {}

    def reached(self) -> None:
        """This process just reached the database."""
        now = self._clock()
        with self._lock:
            if self._unbroken_since is None or now - self._last_contact > self.gap:
                self._unbroken_since = now
                self._seen.clear()
            self._last_contact = now

    def lost(self) -> None:
        """This process could not reach the database: what it watched no longer counts."""
        with self._lock:
            self._unbroken_since = None
            self._seen.clear()

    def unbroken_seconds(self) -> float:
        """How long this process has reached the database without a break (0: not now)."""
        now = self._clock()
        with self._lock:
            if self._unbroken_since is None or now - self._last_contact > self.gap:
                return 0.0
            return now - self._unbroken_since

    def judge(self, key: Hashable, heartbeat: object) -> Verdict:
        """The verdict on the heartbeat stored under ``key`` (a run, a claim), looked at now."""
        now = self._clock()
        with self._lock:
            if self._unbroken_since is None or now - self._last_contact > self.gap:
                return Verdict.WATCHING
            seen = self._seen.get(key)
            if seen is None or seen[0] != heartbeat:
                self._seen[key] = (heartbeat, now, now)
                if len(self._seen) > _PRUNE_ABOVE:
                    self._prune(now)
                return Verdict.WATCHING if seen is None else Verdict.ALIVE
            self._seen[key] = (heartbeat, seen[1], now)
            return Verdict.GONE if now - seen[1] > self.stale_after else Verdict.WATCHING

    def _prune(self, now: float) -> None:
        """Forget what was not looked at lately (runs that finished, sites released)."""
        keep_after = now - 4 * max(self.stale_after, self.gap)
        self._seen = {k: v for k, v in self._seen.items() if v[2] >= keep_after}


# Past this many heartbeats watched, those not looked at lately are forgotten.
_PRUNE_ABOVE = 4096


def contact_gap(heartbeat: timedelta) -> float:
    """The longest silence of a judge's own that is not a break: twice the daemon's poll (a
    quarter heartbeat), and never under the 1 s a waiting backfill looks again."""
    return min(10.0, max(2.0, heartbeat.total_seconds() / 2))


def verdict(owner: str | None, key: Hashable, heartbeat: object, witness: Witness) -> Verdict:
    """Whether ``owner``, whose heartbeat under ``key`` is ``heartbeat``, is alive."""
    if owner_is_dead(owner):
        return Verdict.GONE
    if owner_is_alive_here(owner):
        return Verdict.ALIVE
    return witness.judge(key, heartbeat)


def is_gone(owner: str | None, key: Hashable, heartbeat: object, witness: Witness) -> bool:
    return verdict(owner, key, heartbeat, witness) is Verdict.GONE


def mark_abandoned_runs(conn: Connection, now: datetime, witness: Witness) -> list[int]:
    """Close the records of runs whose process died; return their ids.

    Every running run is looked at, so a process that calls this regularly (the daemon, each
    poll) watches them all. A run is closed only if its heartbeat is still the one judged,
    and on PostgreSQL a row another transaction holds is skipped: each dead run is closed, and
    logged, once.
    """
    running = conn.execute(
        select(_runs.c.id, _runs.c.site, _runs.c.owner, _runs.c.heartbeat_at).where(
            _runs.c.status == RunStatus.RUNNING.value
        )
    ).all()
    judged = {
        r.id: r.heartbeat_at
        for r in running
        if is_gone(r.owner, ("run", r.id), r.heartbeat_at, witness)
    }
    if not judged:
        return []
    query = select(_runs.c.id, _runs.c.status, _runs.c.heartbeat_at).where(_runs.c.id.in_(judged))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    dead = [
        r.id
        for r in conn.execute(query)
        if r.status == RunStatus.RUNNING.value and r.heartbeat_at == judged[r.id]
    ]
    sites = {r.site for r in running if r.id in dead}
    if dead:
        conn.execute(
            update(_runs)
            .where(_runs.c.id.in_(dead))
            .values(
                status=RunStatus.ABANDONED.value,
                finished_at=now,
                error_summary="abandoned: the process running it stopped without closing it",
            )
        )
        conn.execute(delete(_locks).where(_locks.c.run_id.in_(dead)))
        # Not at import: figures reads the verdict, whose package reads the store (engine).
        from ingest.store import figures

        # Dates the dead run committed may have changed the quiet signals: left to be
        # judged afresh until the site's next run ends.
        figures.refresh(conn, sites)
    return dead


def heartbeat(conn: Connection, run_id: int, site: str, owner: str, now: datetime) -> None:
    """The run's and its lock's heartbeat, one value for both (judges watch either)."""
    conn.execute(update(_runs).where(_runs.c.id == run_id).values(heartbeat_at=now))
    conn.execute(
        update(_locks)
        .where(_locks.c.site == site, _locks.c.owner == owner)
        .values(heartbeat_at=now)
    )


def acquire_site_lock(
    conn: Connection, site: str, owner: str, now: datetime, witness: Witness
) -> None:
    """Take the site's crawl lock in the caller's transaction, or raise SiteBusyError
    (``SiteHolderSilentError`` while its holder, on another host, is being watched)."""
    if conn.dialect.name == "postgresql":
        # Held to the end of this transaction: serialises lock-takers across processes.
        key = zlib.crc32(f"ingest-site-lock:{site}".encode())
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    lock = conn.execute(select(_locks).where(_locks.c.site == site)).first()
    if lock is not None:
        if lock.owner != owner:
            # A lock and its run share one heartbeat: what was watched of either counts.
            watched = ("run", lock.run_id) if lock.run_id else ("lock", site, lock.owner)
            found = verdict(lock.owner, watched, lock.heartbeat_at, witness)
            if found is not Verdict.GONE:
                what = f"run {lock.run_id}" if lock.run_id else "another process"
                busy = SiteHolderSilentError if found is Verdict.WATCHING else SiteBusyError
                raise busy(f"site {site!r} is being crawled by {what} ({lock.owner})")
        conn.execute(delete(_locks).where(_locks.c.site == site))
    try:
        conn.execute(
            insert(_locks).values(site=site, owner=owner, acquired_at=now, heartbeat_at=now)
        )
    except IntegrityError as exc:
        # Another process took the lock between our read and our insert.
        raise SiteBusyError(f"site {site!r} was just locked by another run") from exc


def attach_run_to_lock(conn: Connection, site: str, owner: str, run_id: int) -> None:
    conn.execute(
        update(_locks).where(_locks.c.site == site, _locks.c.owner == owner).values(run_id=run_id)
    )


def release_site_lock(conn: Connection, site: str, owner: str) -> None:
    conn.execute(delete(_locks).where(_locks.c.site == site, _locks.c.owner == owner))


def stuck_runs(
    conn: Connection, now: datetime, stale_after: timedelta = STALE_AFTER
) -> list[Row[Any]]:
    """Runs still 'running' whose heartbeat stopped: nothing has closed them yet (rows with
    the ``runs`` columns)."""
    query = select(_runs).where(
        _runs.c.status == RunStatus.RUNNING.value,
        or_(_runs.c.heartbeat_at.is_(None), _runs.c.heartbeat_at < now - stale_after),
    )
    return list(conn.execute(query))
