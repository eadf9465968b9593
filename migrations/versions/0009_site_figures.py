"""site_figures: each site's health as its runs left it, kept as its runs end

``ingest health`` and the ``/metrics`` scrape read one row a site (``ingest.store.figures``)
instead of every site's runs, dates and articles. Filled here from the runs and failed dates
as they are, judged by the verdict's own ``history`` (what a migrated row says is what this
code says; a later verdict version judges it afresh until the site's next run). The quiet
signals are left unjudged (their thresholds are settings, which a migration does not know):
health judges them afresh until each site's next run ends.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from ingest.health.verdict import FailingDate, ListingGaps, history

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECENT_RUNS = 20


def upgrade() -> None:
    figures = op.create_table(
        "site_figures",
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("history", sa.Text(), nullable=False),
        sa.Column("quiet_basis", sa.String(length=200), nullable=True),
        sa.Column("quiet", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("site", name=op.f("pk_site_figures")),
    )
    assert figures is not None
    _backfill(op.get_bind(), figures)


def _backfill(conn: sa.Connection, figures: sa.Table) -> None:
    """Every site with a finished run: what its newest finished runs, failed dates and listing
    gaps say."""
    runs = sa.table(
        "runs", *(sa.column(n) for n in ("id", "site", "status", "owner", "error_summary")),
        sa.column("started_at", sa.DateTime(timezone=True)),
        sa.column("finished_at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    states = sa.table(
        "crawl_state", sa.column("site"), sa.column("date", sa.Date()), sa.column("status"),
        sa.column("last_error"), sa.column("failing_since", sa.DateTime(timezone=True)),
        sa.column("found_elsewhere", sa.Integer()),
    )  # fmt: skip
    order = (runs.c.started_at.desc(), runs.c.id.desc())
    rank = sa.func.row_number().over(partition_by=runs.c.site, order_by=order).label("rank")
    ranked = sa.select(runs, rank).where(runs.c.status != "running").subquery()
    recent: dict[str, list[_Run]] = {}
    query = sa.select(ranked).where(ranked.c.rank <= RECENT_RUNS)
    for row in conn.execute(query.order_by(ranked.c.site, ranked.c.rank)):
        recent.setdefault(row.site, []).append(_Run(row))
    failing: dict[str, list[FailingDate]] = {}
    failed = sa.select(states).where(
        states.c.status == "failed", states.c.failing_since.is_not(None)
    )
    for state in conn.execute(failed.order_by(states.c.site, states.c.date)):
        since = _utc(state.failing_since)
        assert since is not None
        failing.setdefault(state.site, []).append(FailingDate(state.date, since, state.last_error))
    gaps = _listing_gaps(conn, states)
    rows = [
        {
            "site": site,
            "history": json.dumps(
                history(own, failing.get(site, []), gaps.get(site, ListingGaps(0, 0, None, 0)))
            ),
        }
        for site, own in recent.items()
    ]
    for start in range(0, len(rows), 1000):
        conn.execute(sa.insert(figures), rows[start : start + 1000])


def _listing_gaps(conn: sa.Connection, states: Any) -> dict[str, ListingGaps]:
    """Each site's complete days whose listing lacked articles found elsewhere (0008)."""
    gap = sa.select(states.c.site, states.c.date, states.c.found_elsewhere).where(
        states.c.found_elsewhere > 0, states.c.status == "complete"
    )
    found: dict[str, ListingGaps] = {}
    for row in conn.execute(gap.order_by(states.c.site, states.c.date)):
        before = found.get(row.site, ListingGaps(0, 0, None, 0))
        found[row.site] = ListingGaps(before.days + 1, before.articles + row.found_elsewhere,
                                      row.date, row.found_elsewhere)  # fmt: skip
    return found


class _Run:
    """A run row as the verdict reads it (``RunLike``), its times aware UTC."""

    def __init__(self, row: Any) -> None:
        self.id: int = row.id
        self.status: str = row.status
        started = _utc(row.started_at)
        assert started is not None
        self.started_at: datetime = started
        self.finished_at = _utc(row.finished_at)
        self.owner: str | None = row.owner
        self.error_summary: str | None = row.error_summary


def _utc(moment: datetime | None) -> datetime | None:
    """As the application reads it: aware UTC (SQLite keeps no zone: UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def downgrade() -> None:
    op.drop_table("site_figures")
