"""A file the user named is replaced only by a whole new one.

``replacing(path)`` writes into a temporary file beside ``path`` (same folder, so the same file
system), flushes it to the disk (fsync), and renames it over ``path`` only when the writing
ended without an error. A failure, an interruption or a full disk leaves ``path`` as it was,
and the temporary file is removed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from ingest.errors import OutputError


@contextmanager
def replacing(path: Path) -> Iterator[TextIO]:
    """A text file to write, put in place of ``path`` (atomically) when the block succeeds."""
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder")
    folder = path.parent
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).chmod(_mode_for(path))
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(folder)


def write_whole(path: Path, text: str) -> None:
    """``path`` replaced by ``text``, atomically (``replacing``); OutputError when it cannot be."""
    try:
        with replacing(path) as out:
            out.write(text)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None


def _mode_for(path: Path) -> int:
    """The permissions the file keeps (a new one gets what ``open`` would give it)."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _sync_folder(folder: Path) -> None:
    """The rename itself to the disk, where the system allows a folder to be synced."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
