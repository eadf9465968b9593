"""Run liveness: heartbeats, abandoned runs and the per-site crawl lock.

A run's ``owner`` is ``host:pid:token``. A run still ``running`` whose owner is a dead process on
this host, or, on another host, whose heartbeat is older than the stale limit (one and a half
heartbeat intervals, so a dead replica's work is taken over within two), died without closing
its record (kill -9, power loss, a node lost): any command that notices marks it ``abandoned``
and frees its lock. A live process of this host is never taken for dead, however late its
heartbeat. The lock is a row per site; on PostgreSQL a transaction advisory lock
guards taking it, so two writers never both see it free.
"""

from __future__ import annotations

import os
import secrets
import socket
import zlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from ingest.domain import RunStatus
from ingest.errors import SiteBusyError
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


def is_stale(
    heartbeat: datetime | None, now: datetime, stale_after: timedelta = STALE_AFTER
) -> bool:
    return heartbeat is None or now - heartbeat > stale_after


def is_gone(
    owner: str | None, heartbeat: datetime | None, now: datetime, stale_after: timedelta
) -> bool:
    """The owner died: gone from this host, or silent too long on another."""
    if owner_is_dead(owner):
        return True
    return not owner_is_alive_here(owner) and is_stale(heartbeat, now, stale_after)


def mark_abandoned_runs(
    conn: Connection, now: datetime, stale_after: timedelta = STALE_AFTER
) -> list[int]:
    """Close the records of runs whose process died; return their ids."""
    # Several runs starting at once each look for dead runs: on PostgreSQL a row another
    # transaction is closing is skipped, so each dead run is closed (and logged) once.
    query = select(_runs.c.id, _runs.c.owner, _runs.c.heartbeat_at).where(
        _runs.c.status == RunStatus.RUNNING.value
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    running = conn.execute(query).all()
    dead = [r.id for r in running if is_gone(r.owner, r.heartbeat_at, now, stale_after)]
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
    return dead


def heartbeat(conn: Connection, run_id: int, site: str, owner: str, now: datetime) -> None:
    conn.execute(update(_runs).where(_runs.c.id == run_id).values(heartbeat_at=now))
    conn.execute(
        update(_locks)
        .where(_locks.c.site == site, _locks.c.owner == owner)
        .values(heartbeat_at=now)
    )


def acquire_site_lock(
    conn: Connection, site: str, owner: str, now: datetime, stale_after: timedelta = STALE_AFTER
) -> None:
    """Take the site's crawl lock in the caller's transaction, or raise SiteBusyError."""
    if conn.dialect.name == "postgresql":
        # Held to the end of this transaction: serialises lock-takers across processes.
        key = zlib.crc32(f"ingest-site-lock:{site}".encode())
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    lock = conn.execute(select(_locks).where(_locks.c.site == site)).first()
    if lock is not None:
        if lock.owner != owner and not is_gone(lock.owner, lock.heartbeat_at, now, stale_after):
            what = f"run {lock.run_id}" if lock.run_id else "another process"
            raise SiteBusyError(f"site {site!r} is being crawled by {what} ({lock.owner})")
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
