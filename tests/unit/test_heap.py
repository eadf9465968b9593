"""The allocator setting the ingest command applies at start, and the collector's pause."""

from __future__ import annotations

import gc
import platform

import pytest

from ingest.heap import collection_paused, keep_heap_between_pages


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_accepts_the_trim_threshold() -> None:
    assert keep_heap_between_pages() is True


def test_a_paused_collection_resumes_even_after_an_error() -> None:
    with pytest.raises(RuntimeError), collection_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    try:
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
