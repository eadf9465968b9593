"""Engines and the unit of work. The engine is built at the edge from settings, never at import."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ingest.errors import ConfigError, StorageError

SUPPORTED_URLS = "sqlite:///path/to/ingest.db or postgresql+psycopg://user:password@host:5432/db"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout."""
    try:
        parsed = supported_url(make_url(url))
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(f"database.url is not a database URL: {exc}") from exc
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and parsed.database and parsed.database != ":memory:":
        try:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the database folder: {exc.strerror}") from exc
    kwargs: dict[str, Any] = {"future": True}
    if not is_sqlite:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except ImportError as exc:
        raise ConfigError(
            f"database.url needs psycopg 3 for PostgreSQL: pip install 'ingest[postgres]' ({exc})"
        ) from exc
    except ArgumentError as exc:
        raise ConfigError(f"database.url cannot be used: {exc}") from exc
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class UnitOfWork:
    """Owns one session and its transaction: commits only when told, rolls back otherwise."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._sessions()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            session.rollback()
        finally:
            session.close()
            self._session = None
        if isinstance(exc, SQLAlchemyError):
            raise StorageError(f"database error: {_short(exc)}") from exc

    def commit(self) -> None:
        try:
            self.session.commit()
        except SQLAlchemyError as exc:
            self.session.rollback()
            raise StorageError(f"commit failed: {_short(exc)}") from exc


def _short(exc: SQLAlchemyError) -> str:
    first_line = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return first_line[0] if first_line else type(exc).__name__


class Database:
    """The engine and a factory of units of work, handed to whoever needs storage."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self._sessions)

    def dispose(self) -> None:
        self.engine.dispose()
