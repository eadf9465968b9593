"""Files and folders the product creates are its owner's alone: 0600 files, 0700 folders.

The database, its folder, the log files and the backups hold what a crawl stored and what its
logs said (a user name, a host, a site's pages): nobody else on the machine reads them. The mode
is set explicitly on what is created, whatever the umask (``0o600 & ~umask`` would still give
0644's cousins under an umask such as 002, and nothing under 0277); a file or folder that exists
already keeps the mode its owner gave it. Future writers of files (WARC archives) use these too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def make_folders(folder: Path) -> None:
    """``folder`` and its missing parents, each one created here 0700; existing ones as they
    are."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue  # made meanwhile by another process: its mode is that process's
        path.chmod(FOLDER_MODE)


def create_file(path: Path) -> bool:
    """Create ``path`` empty and 0600 unless it exists (its folders too); True when created."""
    make_folders(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(descriptor, FILE_MODE)
    finally:
        os.close(descriptor)
    return True


def open_for_append(path: Path) -> TextIO:
    """``path`` opened to append UTF-8 text, created 0600 (its folders 0700) when missing."""
    create_file(path)
    return path.open("a", encoding="utf-8")
