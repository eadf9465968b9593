"""``ingest db``: database maintenance: ``upgrade`` (apply every pending migration),
``backup`` (a consistent copy of the SQLite file, safe while crawls run) and ``purge-runs``
(delete the run records ``[database]`` ``keep_runs`` lets go, as the daemon does hourly)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import structlog
from sqlalchemy.engine import make_url

from ingest.commands._common import (
    EXIT_OK,
    EXIT_USAGE,
    check_start,
    config_option,
    open_database,
    start_logging,
)
from ingest.errors import ConfigError
from ingest.settings import Settings
from ingest.store.backup import Backup, backup_sqlite

NAME = "db"

log = structlog.get_logger("ingest.cli")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    config_option(actions.add_parser("upgrade", help="apply every pending migration"))
    backup = actions.add_parser(
        "backup", help="write a consistent copy of the SQLite database, safe while crawls run"
    )
    backup.add_argument("path", metavar="PATH", help="the copy to write (replaced if it exists)")
    config_option(backup)
    config_option(
        actions.add_parser(
            "purge-runs", help="delete old run records, as [database] keep_runs says"
        )
    )


def handle(args: argparse.Namespace, settings: Settings) -> int:
    if args.db_command in ("upgrade", "purge-runs"):
        check_start(settings)  # the log and database folders, before either is made
    start_logging(settings, NAME, stream_level="CRITICAL", reads_only=args.db_command == "backup")
    if args.db_command == "backup":
        try:
            made = backup_database(settings, Path(args.path))
        except ConfigError as exc:
            print(f"ingest: {exc}", file=sys.stderr)
            return EXIT_USAGE
        log.info("database_backed_up", path=str(made.path), pages=made.pages)
        print(f"backed up to {made.path} ({made.size_bytes} bytes)")
        return EXIT_OK
    if args.db_command == "purge-runs":
        print(purge_runs(settings))
        return EXIT_OK
    before, after = upgrade(settings)
    if before == after:
        print(f"the database is already at the newest schema ({after}): nothing to do")
    else:
        print(f"migrated the database from {before or 'an empty database'} to {after}")
    return EXIT_OK


def upgrade(settings: Settings) -> tuple[str | None, str]:
    """Apply every pending migration: the schema version found, and the newest one."""
    from ingest.store.engine import Database
    from ingest.store.migrate import head_revision, upgrade_to_head

    database = Database.from_url(settings.database.url)
    try:
        database.ping()
        before = upgrade_to_head(database.engine)
    finally:
        database.dispose()
    log.info("database_upgraded", schema_from=before, schema_to=head_revision())
    return before, head_revision()


def purge_runs(settings: Settings) -> str:
    """Delete the run records past retention (``store.retention``); the line saying so."""
    from ingest.domain import utc_now
    from ingest.store import retention

    kept = settings.database
    if kept.keep_runs <= 0:
        return "database.keep_runs = 0: every run record is kept, none deleted"
    database = open_database(settings, access="crawl")
    try:
        deleted = retention.purge_runs(database, keep_last=kept.keep_runs,
                                       keep_days=kept.keep_runs_days, now=utc_now())  # fmt: skip
    finally:
        database.dispose()
    log.info("runs_purged", deleted=deleted, keep_runs=kept.keep_runs,
             keep_runs_days=kept.keep_runs_days)  # fmt: skip
    return (
        f"deleted {deleted:,} run records (kept: each site's newest {kept.keep_runs}, every run"
        f" of the last {kept.keep_runs_days} days, and each run an article or a date names)"
    )


def backup_database(settings: Settings, target: Path) -> Backup:
    """A consistent copy of the configured SQLite database at ``target`` (``db backup``)."""
    parsed = make_url(settings.database.url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise ConfigError(
            "db backup copies a SQLite database; for PostgreSQL use its own tool, pg_dump "
            "(e.g. pg_dump --format=custom --file=ingest.dump DBNAME; restore with pg_restore)"
        )
    if parsed.database == ":memory:":
        raise ConfigError("db backup: an in-memory database has nothing to back up")
    return backup_sqlite(Path(parsed.database), target)
