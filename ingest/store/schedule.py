"""The shared schedule: which site is due, and which daemon replica has claimed it.

Replicas coordinate through this table only. A replica claims due sites in one transaction
(``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two replicas never claim the same row
and never wait on each other), crawls them, and releases each with its next due time. A claim
whose heartbeat is older than the stale limit belongs to a replica that died: the next replica
to poll takes it over. Each due time is therefore claimed by exactly one replica.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Connection, or_, select, update

from ingest.store.engine import dialect_insert
from ingest.store.tables import site_schedule as _schedule


class Claimed(NamedTuple):
    """A site a replica has just claimed, and the time it was due."""

    site: str
    next_due_at: datetime


def ensure_sites(conn: Connection, sites: Iterable[str], now: datetime) -> None:
    """A row per configured site; a new site is due at once (it runs when the daemon starts)."""
    rows = [{"site": site, "next_due_at": now} for site in sites]
    if rows:
        insert = dialect_insert(conn.dialect.name)(_schedule)
        conn.execute(insert.on_conflict_do_nothing(index_elements=["site"]), rows)


def claim_due(
    conn: Connection,
    sites: Sequence[str],
    owner: str,
    now: datetime,
    *,
    limit: int,
    stale_after: timedelta,
) -> list[Claimed]:
    """Claim up to ``limit`` due sites (earliest first) for ``owner``; the caller commits.

    A site is due when its time has come and nobody holds it, or its holder stopped
    heartbeating (a replica that died).
    """
    if limit <= 0 or not sites:
        return []
    s = _schedule.c
    query = (
        select(s.site, s.next_due_at)
        .where(
            s.site.in_(sites),
            s.next_due_at <= now,
            or_(
                s.claimed_by.is_(None),
                s.heartbeat_at.is_(None),
                s.heartbeat_at < now - stale_after,
            ),
        )
        .order_by(s.next_due_at, s.site)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = [Claimed(site, due) for site, due in conn.execute(query)]
    if claimed:
        conn.execute(
            update(_schedule)
            .where(s.site.in_([c.site for c in claimed]))
            .values(claimed_by=owner, claimed_at=now, heartbeat_at=now)
        )
    return claimed


def heartbeat(conn: Connection, owner: str, now: datetime) -> None:
    """Keep every claim of ``owner`` alive."""
    conn.execute(update(_schedule).where(_schedule.c.claimed_by == owner).values(heartbeat_at=now))


def release(
    conn: Connection, site: str, owner: str, *, next_due_at: datetime, run_id: int | None
) -> bool:
    """Give the site back with its next due time; False when the claim was taken over."""
    values: dict[str, object] = {
        "claimed_by": None,
        "claimed_at": None,
        "heartbeat_at": None,
        "next_due_at": next_due_at,
    }
    if run_id is not None:
        values["last_run_id"] = run_id
    result = conn.execute(
        update(_schedule)
        .where(_schedule.c.site == site, _schedule.c.claimed_by == owner)
        .values(**values)
    )
    return bool(result.rowcount)


def release_all(conn: Connection, owner: str) -> None:
    """A stopping replica hands back its claims, due at once, for the others to take."""
    conn.execute(
        update(_schedule)
        .where(_schedule.c.claimed_by == owner)
        .values(claimed_by=None, claimed_at=None, heartbeat_at=None)
    )
