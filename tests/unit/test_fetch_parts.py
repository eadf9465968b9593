"""The fetcher's pure parts: a page's markup and Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from multidict import CIMultiDict

from ingest.fetch import Page
from ingest.fetch.retry import retry_after


def test_retry_after_as_seconds_and_as_http_date() -> None:
    """Retry-After is read in both forms; garbage is ignored."""
    assert retry_after("7") == 7.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (retry_after(later) or 0) <= 30
    assert retry_after("soon") is None
    assert retry_after(None) is None


def test_page_markup_is_the_body_only_when_it_is_valid_utf8() -> None:
    """The parser gets the bytes themselves only where they read as ``text`` does."""
    headers = CIMultiDict({"Content-Type": "text/html; charset=UTF-8"})
    valid = Page("https://x/", 200, "café".encode(), headers, 1)
    assert valid.markup is valid.body
    broken = Page("https://x/", 200, b"caf\xe9", headers, 1)
    assert broken.markup == broken.text == "caf\ufffd"
    undeclared = Page("https://x/", 200, "café".encode(), CIMultiDict(), 1)
    assert undeclared.markup is undeclared.body
