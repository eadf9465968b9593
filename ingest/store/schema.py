"""The schema version, read without Alembic: what a command that only reads needs to check.

Loading Alembic costs a probe (``ingest health``) a third of its start-up, and reading one row
needs none of it. ``SCHEMA_VERSION`` is the head of ``migrations/versions``; a test holds the two
equal, and ``ingest.store.migrate`` (Alembic) is imported only to upgrade.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from ingest.errors import SchemaError
from ingest.store.engine import storage_error

# The Alembic head this code runs against; every migration moves it (tests check).
SCHEMA_VERSION = "0009"
# Every version this code knows: an unknown one is a newer ingest's.
KNOWN_VERSIONS = frozenset({"0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009"})
UPGRADE_HINT = "run `ingest db upgrade`"


def schema_version(engine: Engine) -> str | None:
    """The version recorded in the database; None for a database without ingest's schema.
    Reads only: nothing is created."""
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            return None if found is None else str(found)
    except SQLAlchemyError as exc:
        raise storage_error(exc, engine.url, "cannot read the schema version") from exc


def require_current_schema(engine: Engine) -> None:
    """SchemaError (one line, with the way out) unless the database is at this code's version."""
    found, needed = schema_version(engine), SCHEMA_VERSION
    if found == needed:
        return
    if found is not None and found not in KNOWN_VERSIONS:
        raise SchemaError(
            f"the database schema is at version {found}, newer than this ingest knows "
            f"(it needs {needed}): upgrade ingest"
        )
    shown = found or "none (an empty database)"
    raise SchemaError(
        f"the database schema is at version {shown}, this ingest needs {needed}: {UPGRADE_HINT}"
    )
