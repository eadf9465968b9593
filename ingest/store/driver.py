"""The crawl's per-date statements, run below SQLAlchemy's execution machinery.

Each statement is still a Core construct of the store's modules, compiled by SQLAlchemy for the
connection's dialect: the SQL text and every conversion of a value (dates and UTC datetimes
as SQLite stores them, arrays for PostgreSQL, results back into Python) are SQLAlchemy's own.
Only the execution is ours: the compiled form is kept per dialect and run on the DB-API
cursor of the caller's SQLAlchemy connection, in that connection's transaction.

Why: storing a date (its reads and writes, a dozen statements) cost 0.59 ms of CPU on SQLite
through ``Connection.execute`` (an execution context, parameter processing and a result object
per call) and 0.38 ms through this module; storing was a quarter of the crawl's CPU per page
(see docs/performance.md).

A DB-API error leaves as SQLAlchemy's ``DBAPIError`` (the connection invalidated when the
dialect calls it a disconnect), so ``engine.Transaction`` classifies it exactly as any other.

It reads SQLAlchemy's compiler (``SQLCompiler``'s bind names, positions and prefetch lists),
which a minor release may change: pyproject.toml allows only the minors in ``TESTED_MINORS``,
the ones the suite ran on (a test holds the two equal). The same statements through
``Connection.execute`` were measured again when the store became one transaction helper: the
CPU benchmark's store stage took 0.28 ms a page against 0.19 here, and the whole crawl 1.07x
the CPU a page (medians of 8 paired rounds), so the driver stays and SQLAlchemy is pinned.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Executable
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql.compiler import SQLCompiler

# The SQLAlchemy minors this module was tested on; a new one is tested before it is allowed.
TESTED_MINORS = ("2.0", "2.1")

Convert = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    # The parameter names in the order of the SQL's placeholders (positional paramstyles,
    # SQLite's qmark), or None (named ones, psycopg's pyformat).
    order: tuple[str, ...] | None
    defaults: Mapping[str, Any]  # values of the statement's own literals
    to_driver: Mapping[str, Convert]  # parameter name -> SQLAlchemy's bind processor
    from_driver: tuple[Convert | None, ...]  # per result column, SQLAlchemy's result processor


# One cache per dialect object (an engine's), dropped with it.
_CACHE: weakref.WeakKeyDictionary[Dialect, dict[tuple[Executable, tuple[str, ...]], _Compiled]]
_CACHE = weakref.WeakKeyDictionary()


def execute(conn: Connection, statement: Executable, params: Mapping[str, Any]) -> list[Any]:
    """Run ``statement`` once; its rows (a SELECT's, a RETURNING's) converted, else []."""
    compiled = _compiled(conn.dialect, statement, tuple(params))
    cursor, dbapi_connection = _cursor(conn)
    try:
        bound = _bind(compiled, params)
        try:
            cursor.execute(compiled.sql, bound)
            rows = cursor.fetchall() if cursor.description is not None else []
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _translated(conn, exc, compiled.sql, bound, dbapi_connection, cursor) from exc
    finally:
        cursor.close()
    return _converted(compiled, rows)


def execute_many(conn: Connection, statement: Executable, rows: Sequence[Mapping[str, Any]]) -> int:
    """Run ``statement`` once per row (the driver's ``executemany``); the rows it changed.

    Every row must have the first row's keys. Rows a statement returns are not read.
    """
    if not rows:
        return 0
    compiled = _compiled(conn.dialect, statement, tuple(rows[0]))
    cursor, dbapi_connection = _cursor(conn)
    try:
        converted: _Converted = {}
        bound = [_bind(compiled, row, converted) for row in rows]
        try:
            cursor.executemany(compiled.sql, bound)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _translated(conn, exc, compiled.sql, bound, dbapi_connection, cursor) from exc
        changed: int = cursor.rowcount
    finally:
        cursor.close()
    return changed


def execute_each(
    conn: Connection, statement: Executable, rows: Sequence[Mapping[str, Any]]
) -> list[Any]:
    """Run ``statement`` once per row on one cursor; the rows each run returns, converted.

    For a RETURNING that must say which rows did what (``executemany`` drops what a statement
    returns). Every row must have the first row's keys.
    """
    if not rows:
        return []
    compiled = _compiled(conn.dialect, statement, tuple(rows[0]))
    cursor, dbapi_connection = _cursor(conn)
    returned: list[Any] = []
    converted: _Converted = {}
    try:
        for row in rows:
            bound = _bind(compiled, row, converted)
            try:
                cursor.execute(compiled.sql, bound)
                returned += cursor.fetchall()
            except conn.dialect.loaded_dbapi.Error as exc:
                raise _translated(conn, exc, compiled.sql, bound, dbapi_connection, cursor) from exc
    finally:
        cursor.close()
    return _converted(compiled, returned)


def _converted(compiled: _Compiled, rows: list[Any]) -> list[Any]:
    convert = compiled.from_driver
    if not rows or not any(convert):
        return rows
    return [
        tuple(value if f is None else f(value) for f, value in zip(convert, row, strict=True))
        for row in rows
    ]


def _cursor(conn: Connection) -> tuple[Any, Any]:
    # The statements join the connection's transaction, begun here as SQLAlchemy would on a
    # first execute: Connection.commit() commits only a transaction it knows of.
    if not conn.in_transaction():
        conn.begin()
    dbapi_connection = conn.connection.dbapi_connection
    assert dbapi_connection is not None, "an open connection has a DB-API connection"
    return dbapi_connection.cursor(), dbapi_connection


# A statement's rows share values (a date's day, the run's "now" in two columns of every row):
# each converted once per call, by the converter and the value object's identity (every row
# is alive through the call, so no identity is reused): 16 -> 8 µs a new article's row.
_Converted = dict[tuple[Convert, int], Any]


def _bind(
    compiled: _Compiled, params: Mapping[str, Any], converted: _Converted | None = None
) -> Any:
    values = {**compiled.defaults, **params} if compiled.defaults else dict(params)
    for name, convert in compiled.to_driver.items():
        value = values[name]
        if converted is None:
            values[name] = convert(value)
            continue
        key = (convert, id(value))
        found = converted.get(key, converted)
        if found is converted:
            found = converted[key] = convert(value)
        values[name] = found
    if compiled.order is None:
        return values
    return tuple(values[name] for name in compiled.order)


def _translated(
    conn: Connection, exc: Any, sql: str, params: Any, dbapi_connection: Any, cursor: Any
) -> StatementError:
    dialect = conn.dialect
    gone = dialect.is_disconnect(exc, dbapi_connection, cursor)
    if gone:
        conn.invalidate(exc)
    error: StatementError = DBAPIError.instance(
        sql, params, exc, dialect.loaded_dbapi.Error, connection_invalidated=gone, dialect=dialect
    )
    return error


def _compiled(dialect: Dialect, statement: Executable, keys: tuple[str, ...]) -> _Compiled:
    cache = _CACHE.get(dialect)
    if cache is None:
        cache = _CACHE[dialect] = {}
    found = cache.get((statement, keys))
    if found is None:
        found = cache[(statement, keys)] = _compile(dialect, statement, keys)
    return found


def _compile(dialect: Dialect, statement: Executable, keys: tuple[str, ...]) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))  # type: ignore[attr-defined]
    assert isinstance(compiled, SQLCompiler)
    # What only SQLAlchemy's execution does (Python-side column defaults, IN lists expanded
    # per call) has no place here: such a statement goes through Connection.execute.
    if (
        compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.post_compile_params
        or compiled.literal_execute_params
    ):
        raise TypeError(f"not a statement for the driver path: {compiled.string}")
    names = compiled.bind_names
    defaults = {name: bind.effective_value for bind, name in names.items() if not bind.required}
    to_driver: dict[str, Convert] = {}
    for bind, name in names.items():
        convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if convert is not None:
            to_driver[name] = convert
    columns = list(getattr(statement, "exported_columns", ()))
    from_driver = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
    )
    order = tuple(compiled.positiontup or ()) if dialect.positional else None
    return _Compiled(compiled.string, order, defaults, to_driver, from_driver)
