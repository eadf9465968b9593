"""PostgreSQL connections are pinged before use only after lying idle in the pool (issue 26):
a ping at every checkout was a round trip a transaction, a quarter of the time the
10,000-site daemon waited on the database; a connection the server dropped meanwhile is
still replaced before it is used."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import create_engine, text

from ingest.store.engine import PING_IDLE_SECONDS, Database
from tests.support.postgres import fresh_postgres


def test_a_busy_connection_is_not_pinged_and_an_idle_dead_one_is_replaced(
    postgres_url: str,
) -> None:
    database = Database.from_url(fresh_postgres(postgres_url))
    dialect = database.engine.dialect
    pings: list[object] = []
    ping = dialect.do_ping

    def counted(connection: Any) -> bool:
        pings.append(connection)
        return ping(connection)

    dialect.do_ping = counted  # type: ignore[method-assign]

    def backend() -> int:
        with database.transaction() as tx:
            pid: int = tx.connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            tx.commit()
        return pid

    try:
        first = backend()
        for _ in range(10):
            assert backend() == first  # the one pooled connection, back at once each time
        assert len(pings) <= 1  # its first checkout, as a new connection

        admin = create_engine(postgres_url)
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        admin.dispose()
        time.sleep(PING_IDLE_SECONDS + 0.2)  # idle long enough to be pinged
        assert backend() != first  # the ping found it dead: a new one, no error
    finally:
        database.dispose()
