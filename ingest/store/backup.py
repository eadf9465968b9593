"""``ingest db backup``: a consistent copy of a live SQLite database.

SQLite in WAL mode keeps the newest transactions in ``ingest.db-wal`` until a checkpoint, so a
copy of ``ingest.db`` alone is missing them, or is torn when a checkpoint runs during the copy.
SQLite's online backup API copies the database as one read transaction sees it: every
committed date whole, nothing half-written, while a crawl keeps writing. PostgreSQL has its own
tool, ``pg_dump``.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import StorageError, StorageFullError
from ingest.owner_only import create_file
from ingest.store.engine import SQLITE_FULL

BUSY_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    pages: int
    size_bytes: int


def backup_sqlite(source: Path, target: Path) -> Backup:
    """Copy the SQLite database at ``source`` to ``target`` through the online backup API.

    The copy is written beside ``target`` and renamed into place once it passed SQLite's
    quick check, so a failed backup never leaves a partial file under the target's name. The
    copy is one self-contained file (rollback journal, not WAL), created 0600 as the database
    is: restore it by putting it in place of the database while nothing runs.
    """
    if not source.is_file():
        raise StorageError(f"no SQLite database at {source}")
    if target.resolve() == source.resolve():
        raise StorageError(f"the backup cannot overwrite the database itself ({source})")
    if target.is_dir():
        raise StorageError(f"cannot write the backup to {target}: it is a folder")
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.unlink(missing_ok=True)
        # 0600 (its folders 0700) before SQLite writes a byte: the copy is the database.
        create_file(partial)
        reader = sqlite3.connect(source, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            try:
                copy = sqlite3.connect(partial)
            except sqlite3.Error as exc:
                raise StorageError(f"cannot write the backup to {target}: {exc}") from exc
            try:
                # pages=-1: the whole database in one step, under one read transaction.
                reader.backup(copy, pages=-1)
                copy.execute("PRAGMA journal_mode=DELETE")
                (verdict,) = copy.execute("PRAGMA quick_check").fetchone()
                (pages,) = copy.execute("PRAGMA page_count").fetchone()
            finally:
                copy.close()
        finally:
            reader.close()
        if verdict != "ok":
            partial.unlink(missing_ok=True)
            raise StorageError(f"the backup of {source} failed SQLite's check: {verdict}")
        partial.replace(target)
    except sqlite3.Error as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF == SQLITE_FULL:
            raise StorageFullError(f"storage full: cannot write the backup to {target}") from exc
        raise StorageError(f"backup of {source} failed: {exc}") from exc
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise StorageError(f"cannot write the backup to {target}: {exc.strerror}") from exc
    return Backup(target, int(pages), target.stat().st_size)
