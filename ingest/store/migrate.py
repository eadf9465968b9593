"""Alembic, driven from code: the schema's version, the check that reading commands make, and
``upgrade_to_head`` for crawls (``database.auto_migrate``) and ``ingest db upgrade``."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ingest.errors import SchemaError, StorageError
from ingest.owner_only import create_file
from ingest.store.engine import describe, storage_error
from ingest.store.schema import UPGRADE_HINT, schema_version

# What a migration meets when the tables already hold what it adds: SQLite's messages, and
# PostgreSQL's duplicate_column, duplicate_table, duplicate_object, duplicate_schema.
_ALREADY_THERE = ("duplicate column name", "already exists")
_PG_DUPLICATES = frozenset({"42701", "42P07", "42710", "42P06"})


def migrations_dir() -> Path:
    """The packaged migrations in a wheel, else the source tree's ``migrations/``."""
    packaged = Path(str(resources.files("ingest"))) / "_migrations"
    if (packaged / "env.py").is_file():
        return packaged
    source = Path(__file__).resolve().parents[2] / "migrations"
    if (source / "env.py").is_file():
        return source
    raise StorageError("the Alembic migrations are missing from this installation")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The schema version this code needs."""
    head = ScriptDirectory(str(migrations_dir())).get_current_head()
    if head is None:
        raise StorageError("the Alembic migrations have no head revision")
    return head


def upgrade_to_head(engine: Engine) -> str | None:
    """Apply every pending migration; the version found before (None: an empty database),
    read under the migration lock, so it says whether this call migrated."""
    found = None
    try:
        with _sqlite_migration_lock(engine):
            found = schema_version(engine)
            command.upgrade(alembic_config(engine), "head")
            return found
    except SQLAlchemyError as exc:
        if _already_there(exc):
            raise SchemaError(
                f"the recorded schema version ({found or 'none'}) does not match the tables of "
                f"{describe(engine.url)}: upgrading to {head_revision()} found "
                f"{_first_line(exc)!r}, so a migration stopped half-way or the tables were "
                f"changed by hand; restore a backup (or make the tables match version "
                f"{found or 'none'}), then {UPGRADE_HINT}"
            ) from exc
        error = storage_error(exc, engine.url, "migration failed")
        raise error from exc


def _already_there(exc: SQLAlchemyError) -> bool:
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) in _PG_DUPLICATES:
        return True
    message = _first_line(exc).lower()
    return getattr(orig, "sqlite_errorcode", None) is not None and any(
        marker in message for marker in _ALREADY_THERE
    )


def _first_line(exc: SQLAlchemyError) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


@contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    """Processes starting at once on a new SQLite file (a daemon and a backfill) migrate
    one at a time; PostgreSQL does the same with an advisory lock in migrations/env.py."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    lock = Path(f"{database}.migrate-lock")
    create_file(lock)  # 0600, as every file beside the database
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def downgrade_to(engine: Engine, revision: str) -> None:
    try:
        command.downgrade(alembic_config(engine), revision)
    except SQLAlchemyError as exc:
        raise storage_error(exc, engine.url, "migration failed") from exc
