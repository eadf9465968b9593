"""Alembic, driven from code: ``upgrade_to_head`` runs at start and for ``ingest db upgrade``."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ingest.errors import StorageError


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


def upgrade_to_head(engine: Engine) -> None:
    try:
        with _sqlite_migration_lock(engine):
            command.upgrade(alembic_config(engine), "head")
    except SQLAlchemyError as exc:
        raise StorageError(f"migration failed: {str(exc).splitlines()[0]}") from exc


@contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    """Processes starting at once on a new SQLite file (a daemon and a health probe) migrate
    one at a time; PostgreSQL does the same with an advisory lock in migrations/env.py."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with Path(f"{database}.migrate-lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def downgrade_to(engine: Engine, revision: str) -> None:
    try:
        command.downgrade(alembic_config(engine), revision)
    except SQLAlchemyError as exc:
        raise StorageError(f"migration failed: {str(exc).splitlines()[0]}") from exc
