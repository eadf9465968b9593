"""The allocator setting the ingest command applies at start."""

from __future__ import annotations

import platform

import pytest

from ingest.heap import keep_heap_between_pages


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_accepts_the_trim_threshold() -> None:
    assert keep_heap_between_pages() is True
