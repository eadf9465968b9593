"""Alembic environment: one transaction per migration, the same settings as the service.

``ingest`` hands in its engine through ``config.attributes["engine"]``; the plain ``alembic``
command falls back to the service's own settings loader (config file and environment).
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Engine, text

from ingest.errors import SchemaError
from ingest.settings import load_settings
from ingest.store.engine import make_engine
from ingest.store.tables import metadata

target_metadata = metadata
MIGRATION_LOCK = 0x1A6E57  # a fixed advisory lock key for "ingest migrations"


def _engine() -> Engine:
    engine = context.config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine
    settings = load_settings(environ=os.environ)
    return make_engine(settings.database.url)


def run_migrations_offline() -> None:
    context.configure(
        url=str(_engine().url),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        sqlite = connection.dialect.name == "sqlite"
        if postgres:
            # Processes starting at once (a daemon and a backfill) migrate one at a time.
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
        if sqlite:
            # A migration that rebuilds a table (batch mode) drops the old one: with foreign
            # keys on, that would delete the rows referring to it (ON DELETE CASCADE). Off
            # outside any transaction (SQLite ignores it inside one), checked and on again after.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            transaction_per_migration=True,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        try:
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                connection.rollback()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
            connection.commit()
            if broken is not None:
                raise SchemaError(f"a migration left a row without its parent: {tuple(broken)}")
        if postgres:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
