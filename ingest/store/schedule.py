"""The shared schedule: which site is due, and which daemon replica has claimed it.

Replicas coordinate through this table only. A replica claims due sites in one transaction
(``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two replicas never claim the same row
and never wait on each other), crawls them, and releases each with its next due time. A claim
whose holder is gone (``liveness.is_gone``: a dead process of this host, or one of another host
whose heartbeat the polling replica has watched stand still for the stale limit while it reached
the database itself) is taken over. Each due time is therefore claimed by exactly one replica.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, func, or_, select, update

from ingest.store.engine import dialect_insert
from ingest.store.liveness import Witness, is_gone
from ingest.store.tables import site_schedule as _schedule


class Taken(NamedTuple):
    """A site a replica has just claimed, the time it was due, and the replica that held it
    (gone) if it was taken over."""

    site: str
    next_due_at: datetime
    previous_owner: str | None


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
    witness: Witness,
) -> list[Taken]:
    """Claim up to ``limit`` due sites (earliest first) for ``owner``; the caller commits.

    A site is due when its time has come and nobody holds it, or its holder is gone. Every
    claim of ``sites`` held by another replica is looked at, even with no slot free, so the
    witness keeps watching their heartbeats.

    The rows are read without naming ``sites``: the due and claimed ones are few, and a
    query naming every configured site cost the daemon of 10,000 sites half its CPU (each poll
    bound 10,000 parameters), and past 32,766 sites on SQLite (65,535 on PostgreSQL) could not
    be sent at all.
    """
    s = _schedule.c
    wanted = set(sites)
    rows = conn.execute(
        select(s.site, s.claimed_by, s.heartbeat_at)
        .where(or_(s.next_due_at <= now, s.claimed_by.is_not(None)))
        .order_by(s.next_due_at, s.site)
    ).all()
    free: dict[str, tuple[str | None, datetime | None]] = {}
    for row in rows:
        if row.site not in wanted:
            continue
        holder = row.claimed_by
        # ``owner``'s own claim of a site it is not crawling is an orphan (never the case
        # while the daemon retries a failed release): it is taken again.
        if (
            holder is None
            or holder == owner
            or is_gone(holder, ("claim", row.site), (holder, row.heartbeat_at), witness)
        ):
            free[row.site] = (holder, row.heartbeat_at)
    if limit <= 0 or not free:
        return []
    # Lock and look again: only a row still as it was judged is claimed. The earliest twice
    # ``limit`` are offered: a replica that polls at the same moment and finds the first
    # ``limit`` locked still gets the ones after them.
    offered = list(itertools.islice(free, 2 * limit))
    query = (
        select(s.site, s.next_due_at, s.claimed_by, s.heartbeat_at)
        .where(s.site.in_(offered), s.next_due_at <= now)
        .order_by(s.next_due_at, s.site)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = [
        Taken(row.site, row.next_due_at, row.claimed_by)
        for row in conn.execute(query)
        if free[row.site] == (row.claimed_by, row.heartbeat_at)
    ]
    if claimed:
        conn.execute(
            update(_schedule)
            .where(s.site.in_([c.site for c in claimed]))
            .values(claimed_by=owner, claimed_at=now, heartbeat_at=now)
        )
    return claimed


def next_due_after(conn: Connection, now: datetime) -> datetime | None:
    """The earliest due time after ``now`` of any site (None: none), read on its index."""
    s = _schedule.c
    found: datetime | None = conn.scalar(select(func.min(s.next_due_at)).where(s.next_due_at > now))
    return found


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
