"""The captures of the answers a run gets once for its whole site (robots.txt), kept for the
next run in a small file beside the site's WARC files, ``{site}.captures.json``, replaced whole
once the records it points at are on the disk: an unchanged robots.txt is then kept as a
revisit that refers to the one before. (A date's listing pages go with the date's state in the
database: ``store.days``.)"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ingest.domain import Captured, decode_captures, encode_captures
from ingest.owner_only import FILE_MODE

SITE_FILE_SUFFIX = ".captures.json"


def read_site_file(path: Path) -> tuple[Captured, ...]:
    try:
        return decode_captures(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return ()


def write_site_file(path: Path, captures: Iterable[Captured]) -> None:
    """Replace the file whole: a temporary file, synced, then renamed over it."""
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(encode_captures(captures))
        file.flush()
        os.fsync(file.fileno())
    temporary.replace(path)
