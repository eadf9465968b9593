"""One exchange taken down for the archive (``Exchange``), and its two records built as gzip
members (``build``): the CPU a capture costs, done where ``warc.WarcFiles`` says (the parse
thread, in a turn) and written there in the order the exchanges came."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from isal import isal_zlib

from ingest.archive import records
from ingest.domain import Captured

# Measured on the sample site's K2 pages (12 KB): warcio's own gzip (zlib, level 9) took 236 µs
# a page on top of 130 for the records; zlib's level 1 63 µs, ISA-L's level 1 19 µs, with
# fewer bytes than zlib's level 1 (4,190 against 4,306).
GZIP_LEVEL = 1
_GZIP_MEMBER = 31  # zlib's wbits for a gzip member: header and trailer


class Exchange:
    """One exchange taken down (``WarcFiles.response``), its records not necessarily written
    yet: ``result`` says how the answer is kept, writing them first if need be."""

    __slots__ = (
        "_write_through",
        "answer_id",
        "before",
        "built",
        "captured",
        "date",
        "payload",
        "request_headers",
        "request_id",
        "response_headers",
        "status",
        "truncated",
        "url",
    )

    def __init__(
        self,
        write_through: Callable[[Exchange], None],
        url: str,
        request_headers: Mapping[str, str],
        status: int,
        response_headers: tuple[tuple[str, str], ...],
        payload: bytes,
        date: str,
        truncated: bool,
        before: Captured | None,
        answer_id: str,
        request_id: str,
    ) -> None:
        self._write_through = write_through  # the files': every exchange up to this one
        self.url = url
        self.request_headers = request_headers
        self.status = status
        self.response_headers = response_headers
        self.payload = payload
        self.date = date  # WARC-Date
        self.truncated = truncated
        self.before = before  # the capture before that an identical payload refers to
        self.answer_id = answer_id
        self.request_id = request_id
        self.built: Built | None = None  # the records, compressed, until written
        self.captured: Captured | None = None  # once written

    def result(self) -> Captured:
        """How the answer is kept: where its payload lies, and its digest. Its records, and
        those of every exchange before it, are written now if they are not yet; raises the
        archive's ``StorageError`` when they cannot be."""
        captured = self.captured
        if captured is None:
            self._write_through(self)
            captured = self.captured
            assert captured is not None
        return captured


class Built:
    """An exchange's two records as gzip members, and what the answer's capture says."""

    __slots__ = ("answer", "digest", "refers_to", "request")

    def __init__(
        self, answer: bytes, request: bytes, digest: str, refers_to: Captured | None
    ) -> None:
        self.answer = answer
        self.request = request
        self.digest = digest  # WARC-Payload-Digest; "" for a 304
        self.refers_to = refers_to  # for an identical payload: the capture it refers to


def build(exchange: Exchange, request_heads: records.RequestHeads) -> Built:
    """The exchange's records, each a gzip member: a ``revisit`` for a 304, and for a payload
    identical to its capture before; else a ``response``; then the request. Pure but for
    ``request_heads``' spellings, so the parse thread and the loop may both build one."""
    url, date, answer_id = exchange.url, exchange.date, exchange.answer_id
    head = records.response_head(exchange.status, exchange.response_headers)
    refers_to = None
    if exchange.status == 304:
        answer = records.not_modified(answer_id, url, date, head)
        digest = ""
    else:
        digest = records.payload_digest(exchange.payload)
        before = exchange.before
        if before is not None and before.payload_digest == digest:
            refers_to = before
            answer = records.identical(
                answer_id, url, date, head, digest, before.location.record_id, before.date
            )
        else:
            answer = records.response(
                answer_id, url, date, head, exchange.payload, digest, truncated=exchange.truncated
            )
    sent = request_heads.head(url, exchange.request_headers)
    request = records.request(exchange.request_id, url, date, sent, answer_id)
    return Built(_compress(answer), _compress(request), digest, refers_to)


def _compress(record: bytes) -> bytes:
    return isal_zlib.compress(record, GZIP_LEVEL, wbits=_GZIP_MEMBER)
