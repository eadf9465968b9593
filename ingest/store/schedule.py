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

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ingest.store.engine import dialect_insert
from ingest.store.models import SiteSchedule


def ensure_sites(session: Session, sites: Iterable[str], now: datetime) -> None:
    """A row per configured site; a new site is due at once (it runs when the daemon starts)."""
    rows = [{"site": site, "next_due_at": now} for site in sites]
    if rows:
        insert = dialect_insert(session.get_bind().dialect.name)(SiteSchedule)
        session.execute(insert.on_conflict_do_nothing(index_elements=["site"]), rows)


def claim_due(
    session: Session,
    sites: Sequence[str],
    owner: str,
    now: datetime,
    *,
    limit: int,
    stale_after: timedelta,
) -> list[SiteSchedule]:
    """Claim up to ``limit`` due sites (earliest first) for ``owner``; the caller commits.

    A site is due when its time has come and nobody holds it, or its holder stopped
    heartbeating (a replica that died).
    """
    if limit <= 0 or not sites:
        return []
    query = (
        select(SiteSchedule)
        .where(
            SiteSchedule.site.in_(sites),
            SiteSchedule.next_due_at <= now,
            or_(
                SiteSchedule.claimed_by.is_(None),
                SiteSchedule.heartbeat_at.is_(None),
                SiteSchedule.heartbeat_at < now - stale_after,
            ),
        )
        .order_by(SiteSchedule.next_due_at, SiteSchedule.site)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = list(session.scalars(query))
    for row in claimed:
        row.claimed_by = owner
        row.claimed_at = now
        row.heartbeat_at = now
    session.flush()
    return claimed


def heartbeat(session: Session, owner: str, now: datetime) -> None:
    """Keep every claim of ``owner`` alive."""
    session.execute(
        update(SiteSchedule).where(SiteSchedule.claimed_by == owner).values(heartbeat_at=now)
    )


def release(
    session: Session, site: str, owner: str, *, next_due_at: datetime, run_id: int | None
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
    result = session.execute(
        update(SiteSchedule)
        .where(SiteSchedule.site == site, SiteSchedule.claimed_by == owner)
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


def release_all(session: Session, owner: str) -> None:
    """A stopping replica hands back its claims, due at once, for the others to take."""
    session.execute(
        update(SiteSchedule)
        .where(SiteSchedule.claimed_by == owner)
        .values(claimed_by=None, claimed_at=None, heartbeat_at=None)
    )
