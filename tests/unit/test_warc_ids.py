"""The WARC records' identifiers and digests, built by hand for speed, are the standard
spellings: version 4 UUIDs as ``uuid`` writes them, SHA-1 digests in RFC 4648 base 32."""

from __future__ import annotations

import base64
import hashlib
import os
import random
import uuid
from urllib.parse import urlsplit

from ingest.archive.records import (
    RecordIds,
    RequestHeads,
    payload_digest,
    request,
    request_head,
    response,
)


def test_record_ids_are_uuid4_as_the_uuid_module_writes_them() -> None:
    """Counted up from a random start, across the wrap from the largest 128-bit number and
    across a carry past the last 12 digits (the rest are spelled again only then)."""
    ids = RecordIds()
    starts = [random.getrandbits(128) for _ in range(200)] + [(1 << 128) - 3, 0]
    starts += [(random.getrandbits(80) << 48) - 3 for _ in range(20)]
    for start in starts:
        ids._next = start
        for step in range(1, 6):
            expected = uuid.UUID(int=(start + step) % (1 << 128), version=4)
            assert ids.new() == f"<urn:uuid:{expected}>"


def test_digests_are_sha1_in_base32() -> None:
    for size in (0, 1, 19, 20, 21, 4096, 11_000):
        payload = os.urandom(size)
        head = b"HTTP/1.1 200 OK\r\n\r\n"
        date = "2020-01-01T00:00:00Z"
        digest = payload_digest(payload)
        record = response("<urn:uuid:x>", "http://a.example/", date, head, payload, digest)
        fields = dict(
            line.split(": ", 1)
            for line in record.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")[1:]
        )
        sha1 = base64.b32encode(hashlib.sha1(payload).digest()).decode()
        assert fields["WARC-Payload-Digest"] == f"sha1:{sha1}"
        assert "WARC-Block-Digest" not in fields, "a response's block: its gzip member's CRC"
    asked = request(
        "<urn:uuid:y>", "http://a.example/", "2020-01-01T00:00:00Z", head, "<urn:uuid:x>"
    )
    assert f"sha1:{base64.b32encode(hashlib.sha1(head).digest()).decode()}".encode() in asked


def test_request_heads_spell_the_host_and_target_as_urlsplit_reads_them() -> None:
    """The request records' heads, built without ``urlsplit`` and with each set of headers
    spelled once, are the head ``urlsplit`` gives, for random URLs of awkward characters."""
    heads = RequestHeads()
    pieces = ["a", "/", "?", "#", "%20", " ", ":", "@", "=", "&", "é", "\x01", "//", "[::1]"]
    schemes = ["http://", "https://", "HTTP://", "x+y://", "http:/", "//", ""]
    chooser = random.Random(24)
    for n in range(20_000):
        url = chooser.choice(schemes) + "".join(chooser.choices(pieces, k=chooser.randint(0, 12)))
        try:
            parts = urlsplit(url)
        except ValueError:
            continue  # no request is sent for it
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent = {"User-Agent": "t", "If-None-Match": f'"{n % 3}"'}
        fields = "".join(f"{name}: {value}\r\n" for name, value in sent.items())
        expected = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n{fields}\r\n"
        assert heads.head(url, sent) == expected.encode("utf-8", "surrogateescape"), url
        assert request_head(url, sent) == expected.encode("utf-8", "surrogateescape"), url
