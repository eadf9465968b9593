"""Which database URLs the engine accepts, and how it says no."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ingest.errors import ConfigError
from ingest.store.engine import Database, make_engine


@pytest.mark.parametrize(
    "url",
    [
        "mysql://ingest:s3cret@db.internal:3306/ingest",
        "mysql+pymysql://ingest:s3cret@db.internal/ingest",
        "oracle://ingest:s3cret@db.internal/ingest",
        "postgresql+asyncpg://ingest:s3cret@db.internal/ingest",
    ],
)
def test_unsupported_database_is_refused_up_front(url: str) -> None:
    """Another backend or driver: one line naming the supported URL forms, no password."""
    with pytest.raises(ConfigError) as caught:
        make_engine(url)
    message = str(caught.value)
    assert "only SQLite and PostgreSQL are supported" in message
    assert "sqlite:///path/to/ingest.db" in message
    assert "postgresql+psycopg://user:password@host:5432/db" in message
    assert "s3cret" not in message and "\n" not in message


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgresql_without_a_driver_uses_psycopg_3(scheme: str) -> None:
    """No driver named: psycopg 3 (what the postgres extra installs), never psycopg2."""
    engine = make_engine(f"{scheme}://ingest:secret@127.0.0.1:5432/ingest")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_postgresql_url_without_driver_connects(postgres_url: str) -> None:
    """A plain postgresql:// URL reaches the server."""
    plain = make_url(postgres_url).set(drivername="postgresql")
    database = Database.from_url(plain.render_as_string(hide_password=False))
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    database.dispose()
