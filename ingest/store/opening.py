"""Opening the database for what a command will do with it: crawl, read, or upgrade."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

import structlog
from sqlalchemy.engine import make_url

from ingest.domain import utc_now
from ingest.errors import SchemaError
from ingest.store import liveness
from ingest.store.engine import DEFAULT_OUTAGE_TIMEOUT, Database
from ingest.store.schema import UPGRADE_HINT, require_current_schema

log = structlog.get_logger("ingest.store")

Access = Literal["crawl", "read", "upgrade"]


def open_database(
    url: str,
    *,
    access: Access = "crawl",
    auto_migrate: bool = True,
    outage_timeout: timedelta = DEFAULT_OUTAGE_TIMEOUT,
    heartbeat: timedelta = liveness.HEARTBEAT_EVERY,
) -> Database:
    """The database at ``url``, checked for what the command will do with it.

    Every command first reaches the database: when it cannot, one line names the engine, host
    and port and the driver's reason (``DatabaseUnavailableError``). ``read`` (health, runs,
    export, coverage) never writes: a SQLite file that does not exist yet or a schema behind
    the code is a ``SchemaError`` naming ``ingest db upgrade``. ``crawl`` brings the schema to
    this code's version when ``auto_migrate`` (else requires it) and closes the records of runs
    whose process died (silent for one and a half ``heartbeat``). ``upgrade`` migrates.
    """
    if access == "read":
        _require_sqlite_file(url)
    database = Database.from_url(url, outage_timeout=outage_timeout, heartbeat=heartbeat)
    try:
        database.ping()
        if access == "read" or (access == "crawl" and not auto_migrate):
            require_current_schema(database.engine)
        else:
            from ingest.store.migrate import upgrade_to_head

            upgrade_to_head(database.engine)
        if access == "crawl":
            # A crawl notices runs whose process died and closes their records.
            with database.transaction() as tx:
                abandoned = liveness.mark_abandoned_runs(tx.connection, utc_now(), database.witness)
                tx.commit()
            if abandoned:
                log.warning("runs_abandoned", run_ids=abandoned)
    except BaseException:
        database.dispose()
        raise
    return database


def _require_sqlite_file(url: str) -> None:
    """A reading command does not create the SQLite file that a crawl would."""
    parsed = make_url(url)
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return
    if not Path(path).is_file():
        raise SchemaError(f"no database at {path} yet: a crawl creates it, or {UPGRADE_HINT}")
