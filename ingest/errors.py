"""The exception hierarchy of ingest.

    IngestError
    ├── ConfigError          bad settings: refused at start, exit code 2
    ├── UsageError           a command line that asks what cannot be done: exit code 2
    ├── FetchError           a page could not be fetched
    │   ├── TransientFetchError   timeouts, dropped connections, 5xx, 408, 429: retried
    │   └── PermanentFetchError   other 4xx, off-site redirects, robots.txt, size cap: not retried
    ├── ParseError           a page did not have the shape its layout expects
    ├── StorageError         the database refused a read or a write
    │   ├── StorageFullError          the disk (or the database's size limit) is full: the run stops
    │   ├── DatabaseUnavailableError  the database cannot be reached: a run waits for it
    │   └── SchemaError               the schema is not the version this code needs
    ├── SiteBusyError        another live run holds the site's crawl lock
    │   └── SiteHolderSilentError  its holder, on another host, is silent: watched a while yet
    ├── DatabaseInUseError   another daemon already runs on this SQLite file
    └── OutputError          a file the user named (export --output, --svg) cannot be written

Library errors (aiohttp in ``fetch.transport``, httpx2 in ``alerts``, SQLAlchemy in ``store``) are
translated where they enter, ``raise ... from exc``.
"""

from __future__ import annotations


class IngestError(Exception):
    """Base of every error ingest raises on purpose."""


class ConfigError(IngestError):
    """The configuration is invalid; the message names the key."""


class UsageError(IngestError):
    """The command line asks for what cannot be done (``--from`` after ``--to``, say)."""


class FetchError(IngestError):
    """A page could not be fetched."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class TransientFetchError(FetchError):
    """A failure worth retrying: the same request may succeed later."""

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, url=url, status=status)
        self.retry_after = retry_after


class PermanentFetchError(FetchError):
    """A failure that retrying cannot fix."""


class ParseError(IngestError):
    """A page did not have the markup its site layout expects."""


class StorageError(IngestError):
    """The database could not store or read what was asked."""


class StorageFullError(StorageError):
    """SQLite's "database or disk is full", PostgreSQL's ``disk_full``: a disk does not empty
    itself, so the run stops taking dates instead of waiting."""


class DatabaseUnavailableError(StorageError):
    """The database cannot be reached: connection refused or lost, a server shutting down, a
    SQLite file that cannot be opened. The message names engine, host and port, never the
    password."""


class SchemaError(StorageError):
    """The stored schema is not the one this code needs (older, newer, or half-migrated)."""


class SiteBusyError(IngestError):
    """Another live run is crawling the same site; this one did not start."""


class SiteHolderSilentError(SiteBusyError):
    """The lock's holder is a process of another host whose heartbeat has not moved since this
    process began to watch it, but not yet for the stale limit: look again shortly."""


class DatabaseInUseError(IngestError):
    """A second daemon on one SQLite database: SQLite holds one; PostgreSQL holds several."""


class OutputError(IngestError):
    """A file the user named cannot be written; the message names it and why. The file, when
    it existed, is as it was (``ingest.commands._output``)."""
