"""The exception hierarchy of ingest.

    IngestError
    ├── ConfigError          bad settings: refused at start, exit code 2
    ├── FetchError           a page could not be fetched
    │   ├── TransientFetchError   timeouts, dropped connections, 5xx, 408, 429: retried
    │   └── PermanentFetchError   other 4xx, off-site redirects, robots.txt, size cap: not retried
    ├── ParseError           a page did not have the shape its layout expects
    ├── StorageError         the database refused or could not be reached
    └── SiteBusyError        another live run holds the site's crawl lock

Library errors (httpx2, SQLAlchemy) are translated where they enter, ``raise ... from exc``.
"""

from __future__ import annotations


class IngestError(Exception):
    """Base of every error ingest raises on purpose."""


class ConfigError(IngestError):
    """The configuration is invalid; the message names the key."""


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


class SiteBusyError(IngestError):
    """Another live run is crawling the same site; this one did not start."""
