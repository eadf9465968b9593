"""What the commands share: exit codes, argument types, the ``--site`` option, starting the
log, and opening the configured database."""

from __future__ import annotations

import argparse
import errno
import os
import re
from collections.abc import Callable, Collection, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import msgspec
import structlog
from structlog.typing import Processor

from ingest.errors import ConfigError, UsageError
from ingest.logs import configure_logging
from ingest.settings import Settings, SiteSettings, mask_url, parse_duration

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
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2020-02-01")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:  # shaped as a date, but no day of the calendar
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid date ({exc})") from None


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def non_negative_int(text: str) -> int:
    if text.startswith("-") and text[1:].isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is negative: it must be 0 or more")
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(text)


def port_number(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return int(text)


def duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def config_option(parser: argparse.ArgumentParser) -> None:
    """``--config`` after the command name too (``ingest runs --config x.toml``), as before it;
    unset here, it leaves the one before the command as it is."""
    parser.add_argument(
        "--config", metavar="PATH", default=argparse.SUPPRESS, help="TOML config file"
    )


def site_option(parser: argparse.ArgumentParser, *, also: str | None = None) -> None:
    """``--site NAME``, repeatable: a configured site, or (``also``) one known elsewhere."""
    which = "a configured site" if also is None else f"a configured site or {also}"
    parser.add_argument(
        "--site",
        dest="sites",
        action="append",
        metavar="NAME",
        help=f"only this site, {which} (repeatable; default: every configured site)",
    )


def configured_sites(args: argparse.Namespace, settings: Settings) -> tuple[SiteSettings, ...]:
    """For commands that crawl: each --site names a configured site (exit 2 otherwise)."""
    return _select(settings, args.sites)


def named_sites(
    args: argparse.Namespace,
    settings: Settings,
    *,
    stored: Callable[[], Collection[str]],
    where: str = "stored in the database",
) -> tuple[SiteSettings, ...]:
    """For commands that only read: each --site names a site configured, or one ``stored``
    names (the database's sites; the log's for ``logs``), such as the demo's. Any other name
    is a mistake (exit 2, naming the sites there are), never an empty answer."""
    if not args.sites or set(args.sites) <= set(settings.site_names):
        return _select(settings, args.sites)
    return _select(settings, args.sites, stored=stored(), where=where)


def _select(
    settings: Settings, names: Sequence[str] | None, **known: Any
) -> tuple[SiteSettings, ...]:
    """``Settings.select_sites``; a name it does not know is a mistake of the command line."""
    try:
        return settings.select_sites(names, **known)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def database_sites(
    args: argparse.Namespace, settings: Settings, database: Database
) -> tuple[SiteSettings, ...]:
    """``named_sites`` with the sites the database holds."""
    from ingest.store import runs

    def stored() -> list[str]:
        with database.transaction() as tx:
            return runs.site_names(tx.connection)

    return named_sites(args, settings, stored=stored)


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
    reads_only: bool = False,
    stream: TextIO | None = None,
) -> None:
    """Configure the process's logging for ``command`` and log its start.

    ``stream_level`` is what of the events reaches stderr besides the log file: ``None`` every
    event (a crawl narrates), ``"WARNING"`` under a progress line, ``"CRITICAL"`` for the
    commands that print a result and keep their events to the log file.

    A crawl logs the settings it runs with. A command that only reads (a probe, run every few
    seconds) logs one short line, and only into a log folder that exists already: run from any
    directory, it creates nothing there, whether it succeeds or fails.
    """
    logging_settings = settings.logging
    if not log_file or (reads_only and not _log_folder_exists(logging_settings.file)):
        logging_settings = msgspec.structs.replace(logging_settings, file=None)
    try:
        configure_logging(
            logging_settings, stream=stream, stream_level=stream_level, observers=observers
        )
    except OSError as exc:
        raise ConfigError(
            f"logging.file = {settings.logging.file!r}: cannot open it: {exc.strerror}"
        ) from None
    if reads_only:
        log.info("command_started", command=command)
    else:
        log.info("command_started", command=command, settings=settings.masked())


def _log_folder_exists(file: str | None) -> bool:
    return file is not None and file != "" and Path(file).parent.is_dir()


def check_start(settings: Settings, *, metrics: bool = False) -> None:
    """What a command that writes needs, checked before it creates anything (the log folder,
    the database file): the log file's and the SQLite file's folders can be made and written
    in, and, for the daemon, ``metrics.port`` is free. ConfigError (exit 2) naming the key
    and its value otherwise."""
    if settings.logging.file:
        _check_writable("logging.file", settings.logging.file, Path(settings.logging.file))
    sqlite_file = sqlite_path(settings.database.url)
    if sqlite_file is not None:
        _check_writable("database.url", mask_url(settings.database.url), sqlite_file)
    if metrics and settings.metrics.port is not None:
        _check_port(settings.metrics.host, settings.metrics.port)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or an in-memory one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None  # the engine names what is wrong with it
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _check_writable(key: str, value: str, file: Path) -> None:
    def refuse(reason: str) -> ConfigError:
        return ConfigError(f"{key} = {value!r}: {reason}")

    if file.is_dir():
        raise refuse(f"{file} is a folder")
    if file.exists():
        if not os.access(file, os.W_OK):
            raise refuse(f"cannot write {file} ({_why(file)})")
        return
    folder = file.parent
    while not folder.exists():  # the nearest folder that exists: the rest is made in it
        folder = folder.parent
    if not folder.is_dir():
        raise refuse(f"{folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        made = "" if folder == file.parent else f" to make {file.parent}"
        raise refuse(f"cannot write in {folder}{made} ({_why(folder)})")


def _why(path: Path) -> str:
    """Why ``path`` cannot be written, in the system's words."""
    try:
        statvfs = os.statvfs(path)
    except OSError as exc:
        return exc.strerror or "unknown reason"
    return os.strerror(errno.EROFS if statvfs.f_flag & os.ST_RDONLY else errno.EACCES)


def _check_port(host: str, port: int) -> None:
    import socket

    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
            probe.bind((host, port))
    except OSError as exc:
        raise ConfigError(
            f"metrics.port = {port}: cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None


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
