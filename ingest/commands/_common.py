"""What the commands share: exit codes, argument types, the ``--site`` option, starting the
log, and opening the configured database."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

import msgspec
import structlog
from structlog.typing import Processor

from ingest.errors import ConfigError, UsageError
from ingest.logs import configure_logging
from ingest.settings import Settings, SiteSettings, parse_duration

if TYPE_CHECKING:
    from ingest.store.engine import Database
    from ingest.store.opening import Access

log = structlog.get_logger("ingest.cli")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# The reader of our output went away (`ingest export | head -1`). 141 = 128 + SIGPIPE, the status
# a shell reports for a Unix tool that SIGPIPE ended (`yes | head -1`): a `set -o pipefail`
# script sees from ingest what it sees from cat or grep, and never takes it for our own 1 (failed
# dates, unhealthy), which Python's own 1 for EPIPE would be.
EXIT_READER_GONE = 141


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2020-02-01") from None


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def non_negative_int(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(text)


def duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def site_option(parser: argparse.ArgumentParser, *, also: str | None = None) -> None:
    where = "configured" if also is None else f"configured, or {also}"
    parser.add_argument(
        "--site",
        dest="sites",
        action="append",
        metavar="NAME",
        help=f"only this site (repeatable; default: every site); a site {where}",
    )


def configured_sites(args: argparse.Namespace, settings: Settings) -> tuple[SiteSettings, ...]:
    return settings.select_sites(args.sites)


def stored_sites(args: argparse.Namespace, settings: Settings) -> tuple[SiteSettings, ...]:
    """For commands that only read: a --site may also name a site stored but not configured."""
    return settings.select_sites(args.sites, stored_too=True)


def require_range(first: date | None, last: date | None) -> None:
    if first is not None and last is not None and first > last:
        raise UsageError(f"--from {first} is after --to {last}")


def start_logging(
    settings: Settings,
    command: str,
    *,
    stream_level: str | None,
    observers: Sequence[Processor] = (),
    log_file: bool = True,
) -> None:
    """Configure the process's logging for ``command`` and log its start.

    ``stream_level`` is what of the events reaches stderr besides the log file: ``None`` every
    event (a crawl narrates), ``"WARNING"`` under a progress line, ``"CRITICAL"`` for the
    commands that print a result and keep their events to the log file.
    """
    logging_settings = settings.logging
    if not log_file:
        logging_settings = msgspec.structs.replace(logging_settings, file=None)
    try:
        configure_logging(logging_settings, stream_level=stream_level, observers=observers)
    except OSError as exc:
        raise ConfigError(f"logging.file: cannot open the log file: {exc}") from None
    log.info("command_started", command=command, settings=settings.masked())


def open_database(settings: Settings, *, access: Access) -> Database:
    """The configured database, checked for ``access`` (``ingest.store.opening``)."""
    from ingest.store.opening import open_database as open_store

    return open_store(
        settings.database.url,
        access=access,
        auto_migrate=settings.database.auto_migrate,
        outage_timeout=settings.database.outage_timeout,
        heartbeat=settings.schedule.heartbeat,
    )
