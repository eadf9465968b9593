"""A site's WARC files as the fetcher's transport: ``ingest reparse`` reads the archive through
the very request path a crawl takes (redirects, inflate, caps), with no request sent.

``WarcReplay`` indexes the site's whole files (``{site}-*.warc.gz``; a file still ``.open``
belongs to a live run and is left alone) once, on its first request: each URL's latest answer
that a crawl went on with (a page, a redirect, a 404), so a failed attempt (a 503) never hides
the page a retry got. A 304's ``revisit`` record is passed over, since the page it confirmed
is the one indexed; an identical payload's ``revisit`` stands for the response it refers to.
The index is read with FastWARC, chosen by measurement over warcio (docs/performance.md), and
keeps each record's offset and length: a page is then its one gzip member, read and inflated
with ISA-L and split by hand (47 µs a page, against 86 for FastWARC's reader on its offset, in
a loop over the archive benchmark's pages). Header bytes are read as UTF-8, as the crawl's
client read them.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from fastwarc.warc import ArchiveIterator, HeaderMap, WarcRecordType
from isal import isal_zlib
from multidict import CIMultiDict, CIMultiDictProxy

from ingest.archive.records import IDENTICAL_PROFILE
from ingest.archive.warc import file_stem
from ingest.errors import PermanentFetchError


@dataclass(frozen=True, slots=True)
class _Capture:
    file: Path
    offset: int
    length: int  # of the record's gzip member: the next record's offset less its own
    date: str  # WARC-Date, ISO 8601 in UTC: its text sorts as its time


class ArchivedAnswer:
    """A response record behind the transport's ``Answer`` interface: its status, headers and
    payload as they arrived (still compressed, for the fetcher to inflate)."""

    __slots__ = ("_payload", "headers", "status")

    def __init__(self, status: int, headers: Mapping[str, str], payload: bytes) -> None:
        self.status = status
        self.headers = headers
        self._payload = payload

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self._payload

    async def read(self) -> bytes:
        return self._payload

    def release(self) -> None:
        """Nothing to hand back: no connection."""


class WarcReplay:
    """Answers GETs from ``site``'s WARC files under ``directory``; a URL never archived is a
    ``PermanentFetchError`` saying so."""

    def __init__(self, directory: Path, site: str) -> None:
        self._directory = directory
        self._site = site
        self._index: dict[str, _Capture] | None = None
        self._indexing: asyncio.Future[dict[str, _Capture]] | None = None
        # Each file opened once for the run (an open costs more than reading a record).
        self._open: dict[Path, BinaryIO] = {}
        self.files = 0

    async def open(self) -> None:
        """Index the files, once: the dates that ask while it is being built wait for that
        one build."""
        if self._index is None:
            if self._indexing is None:
                self._indexing = asyncio.ensure_future(asyncio.to_thread(self._build_index))
            self._index = await asyncio.shield(self._indexing)

    def holds(self, url: str) -> bool:
        """Whether ``url`` has an answer here (False before ``open``)."""
        return self._index is not None and url in self._index

    async def get(self, url: str, headers: Mapping[str, str]) -> ArchivedAnswer:
        index = self._index
        if index is None:
            await self.open()
            index = self._index
            assert index is not None
        capture = index.get(url)
        if capture is None:
            raise PermanentFetchError(f"not in the WARC archive: {url}", url=url)
        file = self._open.get(capture.file)
        if file is None:
            file = self._open[capture.file] = capture.file.open("rb")
        return _read(file, capture, url)

    async def aclose(self) -> None:
        self._index = self._indexing = None
        for file in self._open.values():
            file.close()
        self._open.clear()

    def _build_index(self) -> dict[str, _Capture]:
        own = re.compile(rf"{re.escape(file_stem(self._site))}-\d{{8,}}-\d{{5,}}\.warc\.gz")
        index: dict[str, _Capture] = {}
        # Every response record by its WARC-Record-ID, for the revisits that refer to one.
        responses: dict[str, _Capture] = {}
        paths = sorted(self._directory.glob("*.warc.gz")) if self._directory.is_dir() else []
        for path in paths:
            if not own.fullmatch(path.name):
                continue
            self.files += 1
            with path.open("rb") as file:
                size = os.fstat(file.fileno()).st_size
                # Every record, so that each one's length is the next one's offset less its
                # own; the HTTP head is parsed only for the answers.
                records = iter(ArchiveIterator(file, parse_http=False))
                record = next(records, None)
                while record is not None:
                    offset = record.stream_pos
                    kind = record.record_type
                    if kind == WarcRecordType.response or kind == WarcRecordType.revisit:
                        record.parse_http()
                        status = record.http_headers.status_code or 0
                        headers = record.headers
                        record = next(records, None)
                        if not _usable(status):
                            continue  # a failed attempt: the page it failed to get is elsewhere
                        length = (size if record is None else record.stream_pos) - offset
                        _index_answer(path, offset, length, kind, headers, index, responses)
                    else:
                        record = next(records, None)
        return index


def _index_answer(
    path: Path,
    offset: int,
    length: int,
    kind: WarcRecordType,
    headers: HeaderMap,
    index: dict[str, _Capture],
    responses: dict[str, _Capture],
) -> None:
    date = headers["WARC-Date"]
    if kind == WarcRecordType.response:
        capture = _Capture(path, offset, length, date)
        responses[headers.get("WARC-Record-ID") or ""] = capture
    elif headers.get("WARC-Profile") == IDENTICAL_PROFILE:
        # The same payload again: the page is the one it refers to.
        referred = responses.get(headers.get("WARC-Refers-To") or "")
        if referred is None:
            return  # its file is no longer here
        capture = _Capture(referred.file, referred.offset, referred.length, date)
    else:
        return  # a 304's: the page it confirmed is indexed already
    url = headers["WARC-Target-URI"]
    known = index.get(url)
    if known is None or date >= known.date:
        index[url] = capture


def _usable(status: int) -> bool:
    """An answer a crawl went on with: a page, a redirect, a 404 (an empty day, to some)."""
    return status == 200 or status == 404 or 300 <= status < 400


# A member that does not inflate, or a record that does not split (isal's stubs type its error
# as an instance, not a class).
_BROKEN: tuple[type[Exception], ...] = (ValueError, cast("type[Exception]", isal_zlib.error))


def _read(file: BinaryIO, capture: _Capture, url: str) -> ArchivedAnswer:
    """The answer a response record holds: its gzip member read whole and split by hand."""
    file.seek(capture.offset)
    try:
        return _answer(isal_zlib.decompress(file.read(capture.length), wbits=31), url)
    except _BROKEN as exc:  # the file changed since it was indexed
        raise PermanentFetchError(
            f"a broken WARC record in {capture.file.name} at {capture.offset}: {exc}", url=url
        ) from exc


def _answer(record: bytes, url: str) -> ArchivedAnswer:
    # The WARC head, then the block: the HTTP head and the payload (Content-Length long).
    warc_end = record.index(b"\r\n\r\n") + 4
    length = _content_length(record[:warc_end])
    http_end = record.index(b"\r\n\r\n", warc_end) + 4
    if http_end > warc_end + length:
        raise ValueError("its HTTP head runs past its block")
    lines = record[warc_end : http_end - 4].decode("utf-8", "surrogateescape").split("\r\n")
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.add(name, value.strip())
    status_line = lines[0].split(" ", 2)
    status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0
    payload = record[http_end : warc_end + length]
    return ArchivedAnswer(status, CIMultiDictProxy(headers), payload)


def _content_length(head: bytes) -> int:
    start = head.find(b"\r\nContent-Length: ")  # as every writer spells it
    if start >= 0:
        value = head[start + 18 : head.find(b"\r\n", start + 18)]
        if value.isdigit():
            return int(value)
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise ValueError("no Content-Length")
