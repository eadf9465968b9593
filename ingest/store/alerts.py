"""Reads and writes of the webhook alerts, each inside a caller's transaction.

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

from sqlalchemy import ColumnElement, Connection, Row, func, select, update

from ingest.store import runs
from ingest.store.engine import dialect_insert, storable_text
from ingest.store.tables import alert_state, articles
from ingest.store.tables import runs as runs_table

_alerts = alert_state.c


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


def recent_runs(conn: Connection, site: str, limit: int) -> Sequence[Row[Any]]:
    return runs.recent_runs(conn, limit=limit, site=site)


def latest_article_at(conn: Connection, site: str) -> datetime | None:
    """When the site's newest article was first stored."""
    query = select(func.max(articles.c.first_seen_at)).where(articles.c.site == site)
    latest: datetime | None = conn.scalar(query)
    return latest


def first_run_at(conn: Connection, site: str) -> datetime | None:
    query = select(func.min(runs_table.c.started_at)).where(runs_table.c.site == site)
    first: datetime | None = conn.scalar(query)
    return first


def observe(
    conn: Connection, *, site: str, alert: str, state: str, reason: str, ok: str, now: datetime
) -> Pending | None:
    """Record the state just observed; the transition still to deliver, if any.

    A first observation that is ``ok`` counts as delivered: a healthy start is no news.
    """
    reason = storable_text(reason) or ""
    insert = dialect_insert(conn.dialect.name)(alert_state)
    conn.execute(
        insert.values(
            site=site,
            kind=alert,
            state=state,
            reason=reason,
            since=now,
            delivered_state=ok if state == ok else None,
        ).on_conflict_do_nothing(index_elements=["site", "kind"])
    )
    mine = (_alerts.site == site) & (_alerts.kind == alert)
    conn.execute(
        update(alert_state)
        .where(mine, _alerts.state != state)
        .values(state=state, reason=reason, since=now)
    )
    row = conn.execute(select(alert_state).where(mine)).one()
    if row.state == row.delivered_state:
        return None
    return Pending(
        site, alert, row.state, row.reason, row.since, row.delivered_state, row.delivered_at
    )


def _delivered_is(value: str | None) -> ColumnElement[bool]:
    column = _alerts.delivered_state
    return column.is_(None) if value is None else column == value


def claim(conn: Connection, pending: Pending, now: datetime) -> bool:
    """Mark the transition delivered, if no one else did or changed it first."""
    result = conn.execute(
        update(alert_state)
        .where(
            _alerts.site == pending.site,
            _alerts.kind == pending.alert,
            _alerts.state == pending.state,
            _delivered_is(pending.delivered_state),
        )
        .values(delivered_state=pending.state, delivered_at=now)
    )
    return result.rowcount == 1


def release(conn: Connection, pending: Pending, error: str) -> None:
    """The post failed: the transition is pending again, with the error kept."""
    conn.execute(
        update(alert_state)
        .where(
            _alerts.site == pending.site,
            _alerts.kind == pending.alert,
            _alerts.delivered_state == pending.state,
        )
        .values(
            delivered_state=pending.delivered_state,
            delivered_at=pending.delivered_at,
            last_error=storable_text(error),
        )
    )


def delivered(conn: Connection, pending: Pending) -> None:
    conn.execute(
        update(alert_state)
        .where(_alerts.site == pending.site, _alerts.kind == pending.alert)
        .values(last_error=None)
    )
