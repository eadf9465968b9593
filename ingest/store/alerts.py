"""Reads and writes of the webhook alerts, each inside a caller's transaction.

``alert_state`` keeps, per site and alert, the state last observed and the state last
delivered; a transition is pending while they differ. A sender claims a pending transition by
a compare-and-set on ``delivered_state`` before it posts, so two checks at once (daemon
threads, replicas) never both send it; a failed post puts the old value back for the next
check to retry.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, bindparam, func, select, update

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


def recent_runs_by_site(
    conn: Connection, sites: Collection[str] | None, limit: int
) -> dict[str, list[Row[Any]]]:
    """Each site's (default: every site's) ``limit`` newest runs, newest first, in one read:
    their ``id``, ``site`` and ``status`` (``runs.recent_runs_by_site``); ``newest_records``
    reads the whole records of the few an alert quotes."""
    return runs.recent_runs_by_site(conn, limit=limit, sites=sites)


def newest_records(
    conn: Connection,
    recent: dict[str, list[Row[Any]]],
    sites: Collection[str],
    skip: Collection[str],
) -> dict[str, Row[Any]]:
    """The whole record of each of ``sites``' newest run among ``recent``'s whose status is
    not in ``skip``, by site, in one read (none for a site without one)."""
    newest = {}
    for site in sites:
        run = next((run for run in recent.get(site, ()) if run.status not in skip), None)
        if run is not None:
            newest[site] = run.id
    records = runs.runs_by_id(conn, newest.values()) if newest else {}
    return {site: records[run_id] for site, run_id in newest.items() if run_id in records}


def latest_article_by_site(conn: Connection, sites: Collection[str] | None) -> dict[str, datetime]:
    """When each site's (default: every site's) newest article was first stored; a site
    without articles is left out."""
    query = select(articles.c.site, func.max(articles.c.first_seen_at)).group_by(articles.c.site)
    if sites is not None:
        query = query.where(articles.c.site.in_(sorted(sites)))
    return {site: latest for site, latest in conn.execute(query)}


def first_run_by_site(conn: Connection, sites: Collection[str] | None) -> dict[str, datetime]:
    """When each site's (default: every site's) oldest run kept started; a site without runs
    is left out."""
    started = runs_table.c.started_at
    query = select(runs_table.c.site, func.min(started)).group_by(runs_table.c.site)
    if sites is not None:
        query = query.where(runs_table.c.site.in_(sorted(sites)))
    return {site: first for site, first in conn.execute(query)}


@dataclass(frozen=True, slots=True)
class Observation:
    """One alert's state as a check just judged it."""

    site: str
    alert: str
    state: str
    reason: str


def observe(
    conn: Connection,
    observations: Sequence[Observation],
    *,
    ok: str,
    now: datetime,
    sites: Collection[str] | None,
) -> list[Pending]:
    """Record the states just observed; the transitions still to deliver, in the order of
    ``observations``. ``sites`` names the sites observed (None: every site's rows are read).

    A first observation that is ``ok`` counts as delivered: a healthy start is no news. Only
    the rows whose state changed are written, so a check that finds nothing new writes
    nothing: one read whatever the number of sites, and, once something changed, an insert of
    the missing rows, an update of the changed ones and a second read."""
    known = _states(conn, sites)
    missing: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for seen in observations:
        row = known.get((seen.site, seen.alert))
        if row is not None and row.state == seen.state:
            continue
        values = {"b_site": seen.site, "b_kind": seen.alert, "b_state": seen.state,
                  "b_reason": storable_text(seen.reason) or ""}  # fmt: skip
        changed.append(values)
        if row is None:
            missing.append(values)
    if missing:
        # Another check may insert the same rows meanwhile: theirs stay, and the update
        # below moves them to this state, as it does any other row.
        insert = dialect_insert(conn.dialect.name)(alert_state).on_conflict_do_nothing(
            index_elements=["site", "kind"]
        )
        conn.execute(
            insert,
            [
                {"site": v["b_site"], "kind": v["b_kind"], "state": v["b_state"],
                 "reason": v["b_reason"], "since": now,
                 "delivered_state": ok if v["b_state"] == ok else None}
                for v in missing
            ],
        )  # fmt: skip
    if changed:
        conn.execute(
            update(alert_state)
            .where(
                _alerts.site == bindparam("b_site"),
                _alerts.kind == bindparam("b_kind"),
                _alerts.state != bindparam("b_state"),
            )
            .values(state=bindparam("b_state"), reason=bindparam("b_reason"), since=now),
            changed,
        )
        known = _states(conn, sites)
    pending = []
    for seen in observations:
        row = known.get((seen.site, seen.alert))
        if row is not None and row.state != row.delivered_state:
            pending.append(Pending(seen.site, seen.alert, row.state, row.reason, row.since,
                                   row.delivered_state, row.delivered_at))  # fmt: skip
    return pending


def _states(conn: Connection, sites: Collection[str] | None) -> dict[tuple[str, str], Row[Any]]:
    query = select(alert_state)
    if sites is not None:
        query = query.where(_alerts.site.in_(sorted(sites)))
    return {(row.site, row.kind): row for row in conn.execute(query)}


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
