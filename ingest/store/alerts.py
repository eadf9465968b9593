"""Reads and writes of the webhook alerts, each inside a caller's unit of work.

``alert_state`` keeps, per site and alert, the state last observed and the state last
delivered; a transition is pending while they differ. A sender claims a pending transition by
a compare-and-set on ``delivered_state`` before it posts, so two checks at once (daemon
threads, replicas) never both send it; a failed post puts the old value back for the next
check to retry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select, update
from sqlalchemy.orm import Session

from ingest.store import runs
from ingest.store.engine import dialect_insert
from ingest.store.models import AlertState, Article, Run


@dataclass(frozen=True, slots=True)
class Pending:
    """A transition observed but not delivered yet."""

    site: str
    alert: str
    state: str
    reason: str | None
    since: datetime
    delivered_state: str | None
    delivered_at: datetime | None


def recent_runs(session: Session, site: str, limit: int) -> Sequence[Row[Any]]:
    return runs.recent_runs(session, limit=limit, site=site)


def latest_article_at(session: Session, site: str) -> datetime | None:
    """When the site's newest article was first stored."""
    return session.scalar(select(func.max(Article.first_seen_at)).where(Article.site == site))


def first_run_at(session: Session, site: str) -> datetime | None:
    return session.scalar(select(func.min(Run.started_at)).where(Run.site == site))


def observe(
    session: Session, *, site: str, alert: str, state: str, reason: str, ok: str, now: datetime
) -> Pending | None:
    """Record the state just observed; the transition still to deliver, if any.

    A first observation that is ``ok`` counts as delivered: a healthy start is no news.
    """
    insert = dialect_insert(session.get_bind().dialect.name)(AlertState)
    session.execute(
        insert.values(
            site=site,
            kind=alert,
            state=state,
            reason=reason,
            since=now,
            delivered_state=ok if state == ok else None,
        ).on_conflict_do_nothing(index_elements=["site", "kind"])
    )
    session.execute(
        update(AlertState)
        .where(AlertState.site == site, AlertState.kind == alert, AlertState.state != state)
        .values(state=state, reason=reason, since=now)
    )
    row = session.get(AlertState, (site, alert), populate_existing=True)
    assert row is not None
    if row.state == row.delivered_state:
        return None
    return Pending(
        site, alert, row.state, row.reason, row.since, row.delivered_state, row.delivered_at
    )


def _delivered_is(value: str | None) -> ColumnElement[bool]:
    column = AlertState.delivered_state
    return column.is_(None) if value is None else column == value


def claim(session: Session, pending: Pending, now: datetime) -> bool:
    """Mark the transition delivered, if no one else did or changed it first."""
    result = session.execute(
        update(AlertState)
        .where(
            AlertState.site == pending.site,
            AlertState.kind == pending.alert,
            AlertState.state == pending.state,
            _delivered_is(pending.delivered_state),
        )
        .values(delivered_state=pending.state, delivered_at=now)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def release(session: Session, pending: Pending, error: str) -> None:
    """The post failed: the transition is pending again, with the error kept."""
    session.execute(
        update(AlertState)
        .where(
            AlertState.site == pending.site,
            AlertState.kind == pending.alert,
            AlertState.delivered_state == pending.state,
        )
        .values(
            delivered_state=pending.delivered_state,
            delivered_at=pending.delivered_at,
            last_error=error,
        )
    )


def delivered(session: Session, pending: Pending) -> None:
    session.execute(
        update(AlertState)
        .where(AlertState.site == pending.site, AlertState.kind == pending.alert)
        .values(last_error=None)
    )
