"""Process-wide memory settings, applied by the entry point, never on import.

glibc hands the top of its heap back to the kernel as soon as 128 KiB are free there. Parsing a
page allocates and frees a few hundred KiB, so in some heap states every page paid for ``brk``
calls and freshly zeroed pages (strace: 231,000 ``brk`` calls for 3,000 article pages), and
parsing ran at half speed.
Keeping up to 4 MiB free at the top of the heap costs at most that much resident memory.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
from collections.abc import Iterator

_M_TRIM_THRESHOLD = -1  # from <malloc.h>
KEEP_FREE_BYTES = 4 * 1024 * 1024


def keep_heap_between_pages() -> bool:
    """Raise glibc's trim threshold; False where there is no glibc ``mallopt`` to call."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_TRIM_THRESHOLD, KEEP_FREE_BYTES))


def freeze_startup_objects() -> None:
    """Leave the objects start-up made (modules, classes, functions, settings) out of every
    later garbage collection: they live as long as the process, and each full collection
    of a crawl otherwise walked them all again (a few per cent of a backfill's CPU).
    Called once the crawl's modules are imported, before the first page."""
    gc.collect()
    gc.freeze()


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """No garbage collection inside: for building thousands of small acyclic objects at once
    (10,000 sites' health, decoded from JSON), which refcounting frees and the collector
    only walks. Those objects outlive the young generations, so without the pause each batch
    of them set off collections that walked every one built so far: 40 % of a 10,000-site
    health check (docs/performance.md, "Many sites").

    Process-wide, as the collector is: another thread allocating meanwhile is collected
    after. A collector already off (someone else's pause) stays off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
