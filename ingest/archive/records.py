"""WARC/1.1 records (ISO 28500) as bytes: a response, a revisit for a 304 or for a payload
identical to the URL's capture before, and the request.

Written here rather than through warcio's ``WARCWriter``, by measurement: warcio's record
building cost about 95 µs a page in its Python layers (header objects, a stream copy, the
digests computed over a second buffer), as much as a fifth of a crawled page's whole CPU.
These are the same records (warcio's reader checks their digests in the tests, and FastWARC
reads them) for a third of that, but for a response's block digest (``response``). Digests
are SHA-1 in base 32, as every WARC tool expects.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from urllib.parse import urlsplit

_MAX_UUID = (1 << 128) - 1
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
IDENTICAL_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
# Framing the transport undid: the payload is kept whole, not in chunks.
_HOP_BY_HOP = frozenset({"transfer-encoding", "connection", "keep-alive"})
_RESPONSE_TYPE = "application/http; msgtype=response"
_REQUEST_TYPE = "application/http; msgtype=request"
_REASONS = {status.value: status.phrase for status in HTTPStatus}
# An absolute URL as the fetcher sends it: scheme, host (netloc), then path and query up to
# any fragment; anything else goes through ``urlsplit``.
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?#\s]*)([^#\s]*)")


class RecordIds:
    """WARC-Record-IDs: version 4 UUIDs from one random 122-bit start per writer, counted up.
    As unique as ``uuid4`` (the starts of two writers collide with odds of 2^-122), without
    a system call for each: ``uuid4`` reads 16 random bytes from the kernel per record."""

    __slots__ = ("_high", "_next", "_prefix")
    # RFC 4122 version 4: the version nibble 4, the variant bits 10.
    _NOT_VERSION = _MAX_UUID & ~(0xF000 << 64) & ~(0xC000 << 48)
    _VERSION_4 = (0x4000 << 64) | (0x8000 << 48)
    _LOW = (1 << 48) - 1  # the last 12 hex digits, which neither of those touch

    def __init__(self) -> None:
        self._next = int.from_bytes(os.urandom(16))
        self._high = -1
        self._prefix = ""

    def new(self) -> str:
        self._next = count = (self._next + 1) & _MAX_UUID
        high = count >> 48
        if high != self._high:
            # What ``str(uuid.UUID(int=count, version=4))`` gives, spelled whole only when
            # the count carries past its last 48 bits: else its last 12 digits change alone.
            digits = f"{(count & self._NOT_VERSION) | self._VERSION_4:032x}"
            self._high = high
            self._prefix = f"<urn:uuid:{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-"
        return f"{self._prefix}{count & self._LOW:012x}>"


def response_head(status: int, headers: Iterable[tuple[str, str]]) -> bytes:
    """The status line and headers as HTTP/1.1 sent them (the transport's framing left out)."""
    lines = [f"HTTP/1.1 {status} {_reason(status)}"]
    lines.extend(f"{name}: {value}" for name, value in headers if name.lower() not in _HOP_BY_HOP)
    return _head(lines)


class RequestHeads:
    """The heads of the requests sent (``head``): each set of request headers is spelled once
    (a run sends one set, and one more for each pair of validators), since a request's
    head took more CPU than its answer's record."""

    __slots__ = ("_fields",)
    _KEPT = 64  # sets of headers spelled: a run's own, and the validators of dates in flight

    def __init__(self) -> None:
        self._fields: dict[tuple[tuple[str, str], ...], str] = {}

    def head(self, url: str, headers: Mapping[str, str]) -> bytes:
        key = tuple(headers.items())
        fields = self._fields.get(key)
        if fields is None:
            if len(self._fields) >= self._KEPT:
                self._fields.clear()
            fields = self._fields[key] = "".join(f"{name}: {value}\r\n" for name, value in key)
        host, target = _host_and_target(url)
        return f"GET {target} HTTP/1.1\r\nHost: {host}\r\n{fields}\r\n".encode(
            "utf-8", "surrogateescape"
        )


def request_head(url: str, headers: Mapping[str, str]) -> bytes:
    """The request line and headers of a GET of ``url`` as HTTP/1.1 sends them."""
    host, target = _host_and_target(url)
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}"]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    return _head(lines)


def _host_and_target(url: str) -> tuple[str, str]:
    """The Host header and the request target of an absolute URL: ``urlsplit``'s netloc, and
    its path (``/`` when empty) and query, without its cost."""
    match = _ABSOLUTE.fullmatch(url)
    if match is None:
        parts = urlsplit(url)
        return parts.netloc, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    path, _, query = match[2].partition("?")
    return match[1], (path or "/") + (f"?{query}" if query else "")


def payload_digest(payload: bytes) -> str:
    """The payload's WARC-Payload-Digest: ``sha1:`` and the SHA-1 in base 32."""
    return f"sha1:{_base32(hashlib.sha1(payload).digest())}"


def response(
    record_id: str,
    url: str,
    date: str,
    head: bytes,
    payload: bytes,
    digest: str,
    *,
    truncated: bool = False,
) -> bytes:
    """A ``response`` record: ``head`` (``response_head``) and the payload as it arrived,
    ``digest`` its ``payload_digest``; ``truncated``, only its first part
    (``WARC-Truncated: length``).

    No WARC-Block-Digest (optional in WARC 1.1): a second SHA-1 over the whole page cost about
    a twentieth of the capture's CPU, and what it would guard is guarded already: the payload
    by its digest (which revisits need), the whole record by its gzip member's CRC-32."""
    fields = f"WARC-Payload-Digest: {digest}\r\n"
    if truncated:
        fields += "WARC-Truncated: length\r\n"
    return _record("response", record_id, url, date, fields, _RESPONSE_TYPE, head, payload)


def not_modified(record_id: str, url: str, date: str, head: bytes) -> bytes:
    """A ``revisit`` record for a 304: the answer's head, the server-not-modified profile."""
    fields = (
        f"WARC-Profile: {NOT_MODIFIED_PROFILE}\r\n"
        f"WARC-Block-Digest: sha1:{_base32(hashlib.sha1(head).digest())}\r\n"
    )
    return _record("revisit", record_id, url, date, fields, _RESPONSE_TYPE, head, b"")


def identical(
    record_id: str,
    url: str,
    date: str,
    head: bytes,
    digest: str,
    refers_to: str,
    refers_to_date: str,
) -> bytes:
    """A ``revisit`` record for an answer whose payload (``digest``) is the one the record
    ``refers_to`` holds, the capture of the same URL at ``refers_to_date``: the answer's own
    head, no payload (the identical-payload-digest profile)."""
    fields = (
        f"WARC-Profile: {IDENTICAL_PROFILE}\r\n"
        f"WARC-Refers-To: {refers_to}\r\n"
        f"WARC-Refers-To-Target-URI: {url}\r\n"
        f"WARC-Refers-To-Date: {refers_to_date}\r\n"
        f"WARC-Payload-Digest: {digest}\r\n"
        f"WARC-Block-Digest: sha1:{_base32(hashlib.sha1(head).digest())}\r\n"
    )
    return _record("revisit", record_id, url, date, fields, _RESPONSE_TYPE, head, b"")


def request(record_id: str, url: str, date: str, head: bytes, concurrent_to: str) -> bytes:
    """The ``request`` record of an exchange, ``WARC-Concurrent-To`` its answer."""
    fields = (
        f"WARC-Concurrent-To: {concurrent_to}\r\n"
        f"WARC-Block-Digest: sha1:{_base32(hashlib.sha1(head).digest())}\r\n"
    )
    return _record("request", record_id, url, date, fields, _REQUEST_TYPE, head, b"")


def _record(
    kind: str,
    record_id: str,
    url: str,
    date: str,
    fields: str,
    content_type: str,
    head: bytes,
    payload: bytes,
) -> bytes:
    header = (
        f"WARC/1.1\r\nWARC-Type: {kind}\r\nWARC-Record-ID: {record_id}\r\n"
        f"WARC-Date: {date}\r\nWARC-Target-URI: {url}\r\n{fields}"
        f"Content-Type: {content_type}\r\nContent-Length: {len(head) + len(payload)}\r\n\r\n"
    )
    return b"".join((header.encode("utf-8", "surrogateescape"), head, payload, b"\r\n\r\n"))


def _head(lines: list[str]) -> bytes:
    # aiohttp decodes header bytes as UTF-8 with surrogate escapes: this gives them back.
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")


# Base 32 (RFC 4648) ten bits at a time: a SHA-1 digest's 160 bits are 16 pairs of its
# letters. ``base64.b32encode`` is Python in 3.11, and cost twice as much, three times a page.
_BASE32_PAIRS = tuple(
    a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
)
_PAIR_SHIFTS = tuple(range(150, -1, -10))


def _base32(digest: bytes) -> str:
    """``base64.b32encode(digest)`` as text, for a SHA-1 digest (20 bytes: no padding)."""
    if len(digest) != 20:
        return base64.b32encode(digest).decode("ascii")
    number = int.from_bytes(digest)
    pairs = _BASE32_PAIRS
    return "".join([pairs[(number >> shift) & 1023] for shift in _PAIR_SHIFTS])


def _reason(status: int) -> str:
    return _REASONS.get(status, "Unknown")
