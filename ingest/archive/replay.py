"""A site's WARC files as the fetcher's transport: ``ingest reparse`` reads the archive through
the very request path a crawl takes (redirects, inflate, caps), with no request sent.

``WarcReplay`` indexes the site's whole files (``{site}-*.warc.gz``; a file still ``.open``
belongs to a live run and is left alone) once, on its first request: each URL's latest answer
that a crawl went on with (a page, a redirect, a 404), so a failed attempt (a 503) never hides
the page a retry got. A 304's ``revisit`` record is passed over, since the page it confirmed
is the one indexed; an identical payload's ``revisit`` stands for the response it refers to.
Each page is then read from its record's offset alone, with FastWARC, chosen by measurement
over warcio (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fastwarc.warc import ArchiveIterator, WarcRecordType
from multidict import CIMultiDict, CIMultiDictProxy

from ingest.archive.records import IDENTICAL_PROFILE
from ingest.archive.warc import file_stem
from ingest.errors import PermanentFetchError


@dataclass(frozen=True, slots=True)
class _Capture:
    file: Path
    offset: int
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
        # Each file opened once for the run (an open costs more than reading a record).
        self._open: dict[Path, BinaryIO] = {}
        self.files = 0

    async def get(self, url: str, headers: Mapping[str, str]) -> ArchivedAnswer:
        if self._index is None:
            self._index = await asyncio.to_thread(self._build_index)
        capture = self._index.get(url)
        if capture is None:
            raise PermanentFetchError(f"not in the WARC archive: {url}", url=url)
        file = self._open.get(capture.file)
        if file is None:
            file = self._open[capture.file] = capture.file.open("rb")
        return _read(file, capture.offset)

    async def aclose(self) -> None:
        self._index = None
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
                kinds = WarcRecordType.response | WarcRecordType.revisit
                for record in ArchiveIterator(file, record_types=kinds, parse_http=True):
                    if not _usable(record.http_headers.status_code or 0):
                        continue  # a failed attempt: the page it failed to get is elsewhere
                    headers = record.headers
                    date = headers["WARC-Date"]
                    if record.record_type == WarcRecordType.response:
                        capture = _Capture(path, record.stream_pos, date)
                        responses[headers.get("WARC-Record-ID") or ""] = capture
                    elif headers.get("WARC-Profile") == IDENTICAL_PROFILE:
                        # The same payload again: the page is the one it refers to.
                        referred = responses.get(headers.get("WARC-Refers-To") or "")
                        if referred is None:
                            continue  # its file is no longer here
                        capture = _Capture(referred.file, referred.offset, date)
                    else:
                        continue  # a 304's: the page it confirmed is indexed already
                    url = headers["WARC-Target-URI"]
                    known = index.get(url)
                    if known is None or date >= known.date:
                        index[url] = capture
        return index


def _usable(status: int) -> bool:
    """An answer a crawl went on with: a page, a redirect, a 404 (an empty day, to some)."""
    return status == 200 or status == 404 or 300 <= status < 400


def _read(file: BinaryIO, offset: int) -> ArchivedAnswer:
    file.seek(offset)
    record = next(iter(ArchiveIterator(file, parse_http=True)))
    http = record.http_headers
    headers = CIMultiDict(http.items())
    status = http.status_code or 0
    return ArchivedAnswer(status, CIMultiDictProxy(headers), record.reader.read())
