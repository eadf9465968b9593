"""Where SQLAlchemy's errors enter: which StorageError each becomes, in one line."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, IntegrityError, OperationalError

from ingest.errors import ConfigError, DatabaseUnavailableError, StorageError, StorageFullError
from ingest.settings import settings_from_mapping
from ingest.store.engine import storage_error

PG = make_url("postgresql+psycopg://ingest:s3cret@db.internal:5433/archive")


def wrapped(orig: Exception) -> OperationalError:
    return OperationalError("INSERT INTO articles ...", {}, orig)


def test_postgresql_disk_full_is_storage_full() -> None:
    """SQLSTATE 53100 ("could not extend file") is a full store, named by host and port."""
    error = storage_error(
        wrapped(psycopg.errors.DiskFull('could not extend file "base/1/2": No space left')),
        PG,
        "commit failed",
    )
    assert isinstance(error, StorageFullError)
    assert str(error).startswith("storage full (postgresql db.internal:5433/archive): ")


@pytest.mark.parametrize(
    "orig",
    [
        psycopg.OperationalError("connection failed: Connection refused\n\tIs the server up?"),
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        psycopg.errors.CannotConnectNow("the database system is starting up"),
    ],
)
def test_lost_or_refused_connections_are_unavailable(orig: Exception) -> None:
    """Refused, terminated by a shutdown, or not yet accepting: one line, no password."""
    error = storage_error(wrapped(orig), PG, "commit failed")
    assert isinstance(error, DatabaseUnavailableError)
    assert "db.internal:5433" in str(error) and "s3cret" not in str(error)
    assert "\n" not in str(error)


def test_a_disconnection_is_unavailable_and_a_constraint_is_neither() -> None:
    assert isinstance(storage_error(DisconnectionError("gone"), PG, "x"), DatabaseUnavailableError)
    other = storage_error(IntegrityError("INSERT", {}, Exception("duplicate key")), PG, "x")
    assert type(other) is StorageError and str(other) == "x: duplicate key"


def test_outage_timeout_is_a_duration() -> None:
    assert settings_from_mapping({}).database.outage_timeout.total_seconds() == 300
    with pytest.raises(ConfigError, match=r"database\.outage_timeout"):
        settings_from_mapping({"database": {"outage_timeout": "soon"}})
