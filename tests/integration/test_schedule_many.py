"""The schedule's claims at many sites (issue 26): a poll reads the due and claimed rows; it
does not send every configured site's name. At 10,000 sites that query (10,000 parameters,
every poll) was half the daemon's CPU, and a database caps a statement's parameters (65,535
on PostgreSQL, 32,766 on a default SQLite build)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, update

from ingest.store import schedule
from ingest.store.engine import Database
from ingest.store.liveness import Witness
from ingest.store.tables import site_schedule

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
SITES = 10_000


@pytest.fixture
def parameters(database: Database) -> Iterator[list[int]]:
    """How many parameters each statement the engine sends carries."""
    counts: list[int] = []

    def count(_conn: Any, _cursor: Any, _sql: str, params: Any, _ctx: Any, many: bool) -> None:
        counts.append(len(params[0] if many and params else params or ()))

    event.listen(database.engine, "before_cursor_execute", count)
    yield counts
    event.remove(database.engine, "before_cursor_execute", count)


def test_ten_thousand_sites_claim_the_due_ones_in_small_statements(
    database: Database, parameters: list[int]
) -> None:
    names = [f"site{n:05d}" for n in range(SITES)]
    due = {"site00005": NOW, "site00017": NOW - timedelta(minutes=1), "site09999": NOW}
    with database.transaction() as tx:
        schedule.ensure_sites(tx.connection, names, NOW + timedelta(hours=1))
        for site, at in due.items():
            tx.connection.execute(
                update(site_schedule).where(site_schedule.c.site == site).values(next_due_at=at)
            )
        tx.commit()
    configured = names[:-1]  # site09999 was taken out of the config: never claimed
    parameters.clear()
    with database.transaction() as tx:
        taken = schedule.claim_due(tx.connection, configured, "me:1:a", NOW, limit=10,
                                   witness=Witness())  # fmt: skip
        tx.commit()
    assert [(t.site, t.next_due_at) for t in taken] == [
        ("site00017", NOW - timedelta(minutes=1)),
        ("site00005", NOW),
    ]
    assert max(parameters) < 100, "a statement named every configured site"
    with database.transaction() as tx:
        again = schedule.claim_due(tx.connection, configured, "me:1:b", NOW, limit=10,
                                   witness=Witness())  # fmt: skip
    assert again == []  # held by "me" (another host, heartbeating): watched, not taken
