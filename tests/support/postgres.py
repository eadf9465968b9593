"""The PostgreSQL server the suite runs on when ``INGEST_TEST_POSTGRES_URL`` names one."""

from __future__ import annotations

import os

from sqlalchemy import create_engine, text

# Every database test runs on SQLite and, when this names a server, on PostgreSQL too.
POSTGRES_URL = os.environ.get("INGEST_TEST_POSTGRES_URL") or None


def fresh_postgres(url: str) -> str:
    """Empty the session's PostgreSQL database so each test starts from nothing."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url
