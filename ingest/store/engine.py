"""Engines and the one transaction helper. The engine is built at the edge from settings, never
at import.

SQLAlchemy's errors enter here and leave as ``StorageError``, classified once by
``storage_error``: a full disk (``StorageFullError``), an unreachable database
(``DatabaseUnavailableError``, named by engine, host and port), anything else.
"""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, SQLAlchemyError

from ingest.errors import ConfigError, DatabaseUnavailableError, StorageError, StorageFullError
from ingest.owner_only import create_file
from ingest.secrets import MASK, redact
from ingest.store.liveness import HEARTBEAT_EVERY, Witness

SUPPORTED_URLS = "sqlite:///path/to/ingest.db or postgresql+psycopg://user:password@host:5432/db"
PG_CONNECT_TIMEOUT_SECONDS = 10
# PostgreSQL connections kept open in the pool once made, and how many more may be open at
# once: the daemon's busiest moments use one a thread (the event loop, the poll, the
# heartbeat, the runs' threads: ``daemon.RUN_THREADS``). SQLAlchemy's default keeps 5: past
# that each connection given back was closed, and the next one opened afresh, a server
# backend started and the password checked again, at every burst.
PG_POOL_KEPT, PG_POOL_MORE = 24, 8
DEFAULT_OUTAGE_TIMEOUT = timedelta(minutes=5)

# SQLite result codes (the primary code, the low byte of the extended one).
SQLITE_FULL, SQLITE_CANTOPEN = 13, 14
# PostgreSQL SQLSTATEs: disk_full; the server going away (admin_shutdown, crash_shutdown,
# cannot_connect_now). Class 08 is every connection exception.
PG_DISK_FULL = "53100"
PG_GONE = frozenset({"57P01", "57P02", "57P03"})


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout."""
    try:
        parsed = supported_url(make_url(url))
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(f"database.url is not a database URL: {exc}") from exc
    is_sqlite = parsed.get_backend_name() == "sqlite"
    plain_file = "uri" not in parsed.query  # a file: URI names its file its own way
    if is_sqlite and parsed.database and parsed.database != ":memory:" and plain_file:
        try:
            # Created here, 0600 in 0700 folders: SQLite gives its -wal and -shm files the
            # database file's mode, and would create the file itself 0644 under umask 022.
            create_file(Path(parsed.database))
        except OSError as exc:
            raise StorageError(f"cannot create the database file: {exc.strerror}") from exc
    kwargs: dict[str, Any] = {"future": True}
    if not is_sqlite:
        # A host that drops packets would otherwise hang a connection attempt for minutes.
        kwargs["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS}
        kwargs["pool_size"], kwargs["max_overflow"] = PG_POOL_KEPT, PG_POOL_MORE
    try:
        engine = create_engine(parsed, **kwargs)
    except ImportError as exc:
        raise ConfigError(
            "database.url needs psycopg 3 for PostgreSQL: install the postgres extra, from a "
            f"clone `.venv/bin/pip install -e '.[postgres]'` ({exc})"
        ) from exc
    except ArgumentError as exc:
        raise ConfigError(f"database.url cannot be used: {exc}") from exc
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        _ping_when_idle(engine)
    return engine


# A pooled connection back for less than this is handed out without a ping first.
PING_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a PostgreSQL connection before use only when it has lain in the pool for
    ``PING_IDLE_SECONDS``: one that fails is replaced, as ``pool_pre_ping`` does, but a
    connection in constant use is not pinged at every checkout. ``pool_pre_ping`` cost one
    round trip a transaction, a quarter of the time the 10,000-site daemon waited on the
    database (docs/performance.md). A server that goes away within the second fails that
    transaction once, as it fails the ones under way, and the pool starts afresh."""

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["ingest_returned"] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("ingest_returned")
        if returned is not None and time.monotonic() - returned < PING_IDLE_SECONDS:
            return
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise DisconnectionError(str(exc)) from exc  # the pool connects afresh
            raise

    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)


def supported_url(url: URL) -> URL:
    """``url`` if it names SQLite or PostgreSQL with psycopg 3, else a one-line ConfigError.

    ``postgresql://`` and ``postgres://`` without a driver get psycopg 3, which SQLAlchemy
    2.0 would otherwise replace with psycopg2 (2.1 picks psycopg 3 itself).
    """
    backend, _, driver = url.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return url
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        return url.set(drivername="postgresql+psycopg")
    # Only the scheme is shown: the rest of the URL may hold a password.
    raise ConfigError(
        f"database.url: only SQLite and PostgreSQL are supported ({SUPPORTED_URLS}), "
        f"not {url.drivername}://…"
    )


def storable_text(text: str | None) -> str | None:
    """Text from outside (a site's, an error's) as a column may hold it: no NUL, which
    PostgreSQL's text refuses, and no secret of the settings (``ingest.secrets.redact``)."""
    if text is None:
        return None
    return redact(text.replace("\x00", "")) if text else text


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def describe(url: URL) -> str:
    """The database as an operator names it, never with the password: ``postgresql
    db.internal:5432/ingest`` or ``sqlite /srv/ingest.db``."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return f"sqlite {url.database or ':memory:'}"
    return f"{backend} {url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def storage_error(exc: SQLAlchemyError, url: URL, doing: str) -> StorageError:
    """The most specific StorageError for a SQLAlchemy error met while ``doing`` (e.g.
    "commit failed"); messages are one line and never hold the password."""
    reason = redact(_short(exc))
    if url.password:
        reason = reason.replace(str(url.password), MASK)
    where = describe(url)
    if _is_full(exc):
        return StorageFullError(f"storage full ({where}): {reason}")
    if _is_unavailable(exc):
        return DatabaseUnavailableError(f"cannot reach the database ({where}): {reason}")
    return StorageError(f"{doing}: {reason}")


def _is_full(exc: SQLAlchemyError) -> bool:
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF == SQLITE_FULL
    return getattr(orig, "sqlstate", None) == PG_DISK_FULL


def _is_unavailable(exc: SQLAlchemyError) -> bool:
    if isinstance(exc, DisconnectionError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF == SQLITE_CANTOPEN
    if orig is None or type(orig).__module__.split(".")[0] != "psycopg":
        return False
    import psycopg

    # No SQLSTATE: the client's own failure to connect or to keep the connection.
    state = getattr(orig, "sqlstate", None)
    if isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError) and state is None:
        return True
    return isinstance(state, str) and (state.startswith("08") or state in PG_GONE)


def dialect_insert(dialect: str) -> Any:
    """The dialect's own INSERT, which knows ON CONFLICT (PostgreSQL and SQLite)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql  # not at import: health never writes

        return postgresql.insert
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert
    raise StorageError(f"the {dialect} database is not supported: use SQLite or PostgreSQL")


class Transaction:
    """The one way to the database: a connection in one transaction, for Core statements.

    Commits only when told (``commit``); leaving the block without a commit rolls back, so a
    block that only reads is a read-only transaction and one that fails writes nothing. A
    SQLAlchemy error raised in the block, or by the commit, leaves as the most specific
    ``StorageError`` (``storage_error``), classified here and nowhere else. Whether the
    database was reached is told to the process's ``Witness`` (see ``liveness``).
    """

    def __init__(self, engine: Engine, witness: Witness | None = None) -> None:
        self._engine = engine
        self._witness = witness or Witness()
        self._connection: Connection | None = None

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("the transaction is not open")
        return self._connection

    def __enter__(self) -> Transaction:
        try:
            self._connection = self._engine.connect()
        except SQLAlchemyError as exc:
            raise self._error(exc, "database error") from exc
        self._witness.reached()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self.connection, None
        failed: SQLAlchemyError | None = None
        try:
            connection.rollback()
        except SQLAlchemyError as rollback_exc:
            # A connection that died mid-transaction cannot roll back; the server does.
            failed = rollback_exc
        finally:
            with contextlib.suppress(SQLAlchemyError):
                connection.close()
        if isinstance(exc, SQLAlchemyError):
            raise self._error(exc, "database error") from exc
        if failed is not None and exc is None:
            raise self._error(failed, "rollback failed") from failed

    def commit(self) -> None:
        try:
            self.connection.commit()
        except SQLAlchemyError as exc:
            with contextlib.suppress(SQLAlchemyError):
                self.connection.rollback()
            raise self._error(exc, "commit failed") from exc
        self._witness.reached()

    def _error(self, exc: SQLAlchemyError, doing: str) -> StorageError:
        error = storage_error(exc, self._engine.url, doing)
        if isinstance(error, DatabaseUnavailableError):
            self._witness.lost()
        return error


def _short(exc: SQLAlchemyError) -> str:
    first_line = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return first_line[0] if first_line else type(exc).__name__


class Database:
    """The engine and a factory of transactions, handed to whoever needs storage.

    ``outage_timeout`` is how long a run waits for the database when it cannot be reached
    (``database.outage_timeout``) before it ends failed. ``witness`` is what this process has
    seen through it, for judging other processes' liveness (``schedule.heartbeat_seconds``
    sets its stale limit).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        outage_timeout: timedelta = DEFAULT_OUTAGE_TIMEOUT,
        heartbeat: timedelta = HEARTBEAT_EVERY,
    ) -> None:
        self.engine = engine
        self.outage_timeout = outage_timeout
        self.witness = Witness(heartbeat)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        outage_timeout: timedelta = DEFAULT_OUTAGE_TIMEOUT,
        heartbeat: timedelta = HEARTBEAT_EVERY,
    ) -> Database:
        return cls(make_engine(url), outage_timeout=outage_timeout, heartbeat=heartbeat)

    @property
    def where(self) -> str:
        """Engine, host and port (a SQLite file's path), without the password."""
        return describe(self.engine.url)

    def transaction(self) -> Transaction:
        """A connection in one transaction: ``commit()`` keeps its writes, else it rolls back."""
        return Transaction(self.engine, self.witness)

    def ping(self) -> None:
        """Reach the database once; DatabaseUnavailableError (one line) when it cannot be."""
        with self.transaction() as tx:
            tx.connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
