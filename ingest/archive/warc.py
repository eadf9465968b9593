"""One run's WARC files: every response as it arrived, as WARC/1.1 records (ISO 28500).

Each request is kept as a ``request`` record and its answer as a ``response`` record (status
line, headers and the payload as it came off the wire, ``Content-Encoding`` included), each
record a gzip member of its own, so any record can be read from its offset alone. A 304 is a
``revisit`` record with the server-not-modified profile; so is, with the
identical-payload-digest profile and ``WARC-Refers-To``, an answer whose payload is the one
the URL's capture before holds (``expect``: a date's listing pages, whose captures are stored
with the date), so an unchanged page polled again costs a few hundred bytes, not a copy. The
records are built by ``records`` and compressed by ISA-L's igzip (``exchange``).

``response`` only takes an exchange down (an ``Exchange``); its records are built, compressed
and written later, in the order the exchanges came, so each record's offset is the file's size
when it goes in. With ``build_in(turns)`` that is on the parse thread, in the turn after the
fetch (``Turns.alongside``), back to back with the turn's other pages' records and off the
event loop: a page's capture run alone between network events, with cold caches, cost about
twice its CPU in a loop. Whoever needs an exchange's place before its turn
(``Exchange.result``; ``close``) writes what is not written yet, in order, itself; a lock keeps
the writers one at a time. A page's place is asked for after its parse, so after its turn.

Files are named ``{site}-{run:08d}-{sequence:05d}.warc.gz``. While one is written it carries
the suffix ``.open``, so it is never taken for a whole file; ``close`` renames it. A file
left ``.open`` by a killed process is cut back to its last whole record and renamed by the
next run (``recover``), which finds it by the site's ``{site}.writing`` marker. A new file
starts once one passes ``max_file_bytes``.

``sync`` flushes the records written to the disk; the pipeline awaits it before the database commit
that stores the date, so a crash may leave records nothing points at, never a row that points
at nothing. A new file's marker is written as the file begins, and made durable, with the
folder that names both, by the file's first ``sync``, on its thread: before then no row points
into the file, and a killed process leaves the marker in place all the same (only a crash of
the whole machine before that first sync could lose it, and with it the file's name: an
``.open`` file nothing points at, which no reader takes for a whole one).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import threading
import zlib
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import structlog

from ingest.archive import records
from ingest.archive.captures import SITE_FILE_SUFFIX, read_site_file, write_site_file
from ingest.archive.exchange import Exchange, build
from ingest.domain import Captured, WarcLocation
from ingest.errors import StorageError, StorageFullError
from ingest.owner_only import FILE_MODE, make_folders
from ingest.settings import ArchiveSettings
from ingest.turns import Turns

log = structlog.get_logger("ingest.archive")

OPEN_SUFFIX = ".open"
# ``{site}.writing`` names the site's file being written, so the next run finds a file a killed
# run left open with one read, not by listing a folder of a million files.
WRITING_SUFFIX = ".writing"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class WarcFiles:
    """The WARC files one run of one site writes. Taken down on the event loop (``response``,
    ``expect``, ``forget``, ``sync``); written there, on the parse thread or on the thread that
    closes them, one writer at a time (``_lock``)."""

    def __init__(self, directory: Path, site: str, run_id: int, max_file_bytes: int) -> None:
        self._directory = directory
        self._stem = f"{file_stem(site)}-{run_id:08d}"
        self._max_file_bytes = max_file_bytes
        self._sequence = 0
        self._file: BinaryIO | None = None
        self._name = ""
        self._size = 0  # of the file being written: the offset of its next record
        self._ids = records.RecordIds()
        self._request_heads = records.RequestHeads()
        # Bytes written and bytes known to be on the disk, over every file of the run.
        self._written = self._synced = 0
        self._syncing: asyncio.Future[None] | None = None
        # The captures before of the URLs being fetched (``expect``), by URL.
        self._before: dict[str, Captured] = {}
        # Files of earlier captures found in the archive, so each is looked for once.
        self._kept: set[str] = set()
        # The answers of this run the next one takes as its captures before (robots.txt),
        # and the file that keeps them (``captures``).
        self._carried: dict[str, Captured] = {}
        self._carry_file = directory / (file_stem(site) + SITE_FILE_SUFFIX)
        self._marker = directory / (file_stem(site) + WRITING_SUFFIX)
        # The first write or sync that failed: the file may end in part of a record, so
        # nothing more is written to it, nothing is synced (no row may point past the
        # failure), and it is left ``.open`` for the next run to cut back (``recover``).
        self._broken: StorageError | None = None
        # The exchanges taken down and not written yet, in order; the lock is the writers'.
        self._pending: deque[Exchange] = deque()
        self._lock = threading.Lock()
        self._turns: Turns | None = None
        # The file whose name and marker wait for its first sync to be durable ("": none).
        self._names_unsynced = ""

    def build_in(self, turns: Turns) -> None:
        """Build, compress and write the records on the parse thread, in the turn after each
        exchange (``Turns.alongside``): warm, beside the turn's other pages, off the loop."""
        self._turns = turns

    def expect(self, captures: Iterable[Captured]) -> None:
        """The URLs' captures before (a date's listing pages, as stored with it): an answer
        with the same status and payload is then kept as a revisit that refers to it."""
        for captured in captures:
            self._before[captured.url] = captured

    def forget(self, urls: Iterable[str]) -> None:
        """Let go of the captures ``expect`` was given for ``urls`` (their date is done)."""
        for url in urls:
            self._before.pop(url, None)

    def response(
        self,
        url: str,
        request_headers: Mapping[str, str],
        status: int,
        response_headers: Iterable[tuple[str, str]],
        payload: bytes,
        fetched_at: datetime,
        truncated: bool = False,
    ) -> Exchange:
        """Take one exchange down, to be kept as a ``revisit`` for a 304, and for a payload
        identical to the URL's capture before (``expect``); else as a ``response``; then the
        request, ``WARC-Concurrent-To`` the answer. ``truncated``: the payload is the first
        part of the body only (robots.txt past its cap), said by ``WARC-Truncated: length``.
        Its ``result`` says how the answer is kept: for an identical payload, the capture it
        refers to."""
        before = self._before.get(url) if status != 304 and not truncated else None
        if before is not None and (
            before.status != status or not self._still_kept(before.location.file)
        ):
            before = None
        exchange = Exchange(
            self._write_through,
            url,
            request_headers,
            status,
            tuple(response_headers),
            payload,
            _warc_date(fetched_at),
            truncated,
            before,
            self._ids.new(),
            self._ids.new(),
        )
        self._pending.append(exchange)
        if self._turns is not None:
            self._turns.alongside(lambda: self._build_and_write(exchange))
        return exchange

    def _build_and_write(self, exchange: Exchange) -> None:
        """On the parse thread: write through to ``exchange``. A write that fails is kept
        (``_broken``) for whoever asks next."""
        with contextlib.suppress(StorageError):
            self._write_through(exchange)

    def _write_through(self, last: Exchange | None) -> None:
        """Write every exchange taken down up to ``last`` (None: all of them), building here
        those the parse thread has not."""
        with self._lock:
            if last is not None and last.captured is not None:
                return  # the parse thread wrote it meanwhile
            if self._broken is not None:
                raise self._broken
            for exchange in self._pending:
                if exchange.built is None:
                    exchange.built = build(exchange, self._request_heads)
                if exchange is last:
                    break
            self._write_built()

    def _write_built(self) -> None:
        """Under the lock: write the exchanges at the head of the queue whose records are
        built, in order; each one's place is the file's size as its records go in."""
        pending = self._pending
        while pending and (built := pending[0].built) is not None:
            exchange = pending[0]
            location = self._write(built.answer, exchange.answer_id)
            self._write(built.request, exchange.request_id)
            pending.popleft()
            url = exchange.url
            captured = built.refers_to or Captured(
                url, exchange.status, built.digest, exchange.date, location
            )
            if url.endswith("/robots.txt") and urlsplit(url).path == "/robots.txt":
                self._carried[url] = captured
            exchange.built, exchange.payload = None, b""  # written: its bytes can go
            exchange.captured = captured

    def _still_kept(self, name: str) -> bool:
        """Whether the file holding a capture before is still in the archive (an operator
        may have moved old files away): a revisit must refer to a record one can read."""
        if name in self._kept or name == self._name:
            return True
        directory = self._directory
        if (directory / name).is_file() or (directory / (name + OPEN_SUFFIX)).is_file():
            self._kept.add(name)
            return True
        return False

    async def sync(self) -> None:
        """The records written so far are on the disk: every place an ``Exchange.result`` has
        given, so every place a row may hold. (Exchanges whose place nobody has asked for are
        left to their turn: a date's sync does not build the next dates' records here.)

        The ``fsync`` runs on a thread, on a duplicate of the file's descriptor (the file may
        rotate meanwhile), so the event loop goes on with other dates while the disk works;
        and it is shared: the dates that call while one is under way wait for the next,
        which covers them all (a group commit: one fsync a date cost a fifth of the crawl's
        CPU per page on this machine's journalled disk).
        """
        target = self._written
        while self._synced < target:
            if self._syncing is None:
                self._syncing = asyncio.ensure_future(self._fsync())
            # Shielded: a date stopped while it waits leaves the others' fsync to finish.
            await asyncio.shield(self._syncing)

    async def _fsync(self) -> None:
        upto = self._written
        try:
            if self._broken is not None:
                raise self._broken
            with self._lock:  # the parse thread may be writing, or starting a new file
                file, names = self._file, self._names_unsynced
                try:
                    descriptor = -1
                    if file is not None:
                        file.flush()
                        descriptor = os.dup(file.fileno())
                except OSError as exc:
                    raise self._fail(exc) from exc
            if descriptor >= 0:
                try:
                    marker = self._marker if names else None
                    loop = asyncio.get_running_loop()
                    await loop.run_in_executor(None, _to_disk, descriptor, marker, self._directory)
                except OSError as exc:
                    raise self._fail(exc) from exc
                finally:
                    os.close(descriptor)
                if names:
                    with self._lock:
                        if self._names_unsynced == names:
                            self._names_unsynced = ""
            self._synced = max(self._synced, upto)
        finally:
            self._syncing = None

    def close(self) -> None:
        """Write what is taken down, sync the file being written and give it its whole name.
        After a failed write or sync (a full disk) the file is only closed, left ``.open``
        for the next run to cut back to its last whole record: what it lacks, no row points
        at (``sync`` failed)."""
        with contextlib.suppress(StorageError):  # kept in ``_broken``: dealt with below
            self._write_through(None)
        with self._lock:
            self._close_file()

    def _close_file(self) -> None:
        if self._file is None:
            return
        if self._broken is None:
            try:
                self._file.flush()
                os.fsync(self._file.fileno())
            except OSError as exc:
                self._fail(exc)
        if self._broken is not None:
            with contextlib.suppress(OSError):  # its buffer cannot be written either
                self._file.close()
            self._file = None
            log.warning("warc_file_left_open", file=self._name, reason=str(self._broken))
            return
        self._file.close()
        self._file = None
        self._synced = self._written  # what earlier files hold was synced as each closed
        final = self._directory / self._name
        final.with_name(final.name + OPEN_SUFFIX).replace(final)
        with contextlib.suppress(OSError):  # a marker left names no open file: it is dropped
            self._marker.unlink(missing_ok=True)
        if self._carried:
            # Only now: the records it points at are on the disk, under their whole names.
            try:
                write_site_file(self._carry_file, self._carried.values())
            except OSError as exc:  # costs the next run a copy of robots.txt, nothing more
                log.warning("warc_captures_not_saved", file=self._carry_file.name, reason=str(exc))

    def _write(self, member: bytes, record_id: str) -> WarcLocation:
        if self._broken is not None:
            raise self._broken
        size = len(member)
        file = self._file_for(size)
        offset = self._size
        try:
            file.write(member)
        except OSError as exc:
            raise self._fail(exc) from exc
        self._size += size
        self._written += size
        return WarcLocation(self._name, offset, record_id)

    def _file_for(self, size: int) -> BinaryIO:
        file = self._file
        if file is not None and self._size > 0 and self._size + size > self._max_file_bytes:
            self._close_file()
            if self._broken is not None:
                raise self._broken
            file = None
        if file is None:
            self._sequence += 1
            self._name = f"{self._stem}-{self._sequence:05d}.warc.gz"
            try:
                make_folders(self._directory)
                descriptor = os.open(
                    self._directory / (self._name + OPEN_SUFFIX),
                    os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                    FILE_MODE,
                )
                os.fchmod(descriptor, FILE_MODE)
                file = self._file = os.fdopen(descriptor, "wb")
                self._size = 0
                self._mark_writing()
            except OSError as exc:
                raise self._fail(exc) from exc
        return file

    def _mark_writing(self) -> None:
        """Name the new file in the site's marker. Both names are made durable by the file's
        first ``sync``, before a row may point into the file (``_to_disk``): two fsyncs that,
        here, would hold up the fetch that began the file."""
        descriptor = os.open(self._marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        try:
            os.write(descriptor, (self._name + OPEN_SUFFIX).encode("utf-8"))
        finally:
            os.close(descriptor)
        self._names_unsynced = self._name

    def _fail(self, exc: OSError) -> StorageError:
        """The archive's storage error for ``exc``, kept: the files take no more writes."""
        self._broken = _storage_error(exc, self._name)
        return self._broken


def _to_disk(descriptor: int, marker: Path | None, directory: Path) -> None:
    """On a thread: fsync the file ``descriptor`` is open on; for its first sync (``marker``),
    the site's marker and the folder that holds both names first."""
    if marker is not None:
        for path in (marker, directory):
            try:
                names = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # the file was closed meanwhile, and its marker with it
            try:
                os.fsync(names)
            finally:
                os.close(names)
    os.fsync(descriptor)


def run_files(archive: ArchiveSettings, site: str, run_id: int) -> WarcFiles | None:
    """A run's WARC files, once the files a killed run of the site left open are closed at
    their last whole record (each logged, ``warc_file_recovered``); None with the archive
    off."""
    if not archive.enabled:
        return None
    directory = Path(archive.dir)
    for name in recover(directory, site):
        log.warning("warc_file_recovered", file=name)
    files = WarcFiles(directory, site, run_id, archive.max_file_bytes)
    files.expect(read_site_file(directory / (file_stem(site) + SITE_FILE_SUFFIX)))
    return files


def recover(directory: Path, site: str) -> list[str]:
    """Close the file a killed run of ``site`` left ``.open`` under ``directory``, named by the
    site's ``.writing`` marker: cut back to its last whole record and renamed. Only the
    site's: the site lock says no other run of it is live, while other sites' runs may be
    writing theirs. One read when there is nothing to do. The names recovered."""
    marker = directory / (file_stem(site) + WRITING_SUFFIX)
    try:
        name = marker.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError):
        name = ""
    recovered: list[str] = []
    # Exactly the site's: site "a" must not take "a-b-00000001-00001.warc.gz.open".
    own = re.compile(rf"{re.escape(file_stem(site))}-\d{{8,}}-\d{{5,}}\.warc\.gz{OPEN_SUFFIX}")
    left = directory / name
    if own.fullmatch(name) and left.is_file():
        with left.open("r+b") as file:
            file.truncate(whole_length(file))
            file.seek(0, os.SEEK_END)
            file.flush()
            os.fsync(file.fileno())
        final = left.with_name(left.name.removesuffix(OPEN_SUFFIX))
        left.replace(final)
        recovered.append(final.name)
    marker.unlink(missing_ok=True)
    return recovered


def file_stem(site: str) -> str:
    """A site's name as its WARC files begin: characters a file name should not hold become
    ``_``."""
    return _UNSAFE_NAME.sub("_", site)


def whole_length(file: BinaryIO) -> int:
    """How many bytes from the start of ``file`` are whole gzip members (whole records),
    read a MiB at a time."""
    whole = position = 0
    member = zlib.decompressobj(wbits=31)
    while chunk := file.read(1 << 20):
        data = chunk
        while data:
            try:
                member.decompress(data)
            except zlib.error:
                return whole
            if not member.eof:
                position += len(data)
                break
            position += len(data) - len(member.unused_data)
            whole = position
            data = member.unused_data
            member = zlib.decompressobj(wbits=31)
    return whole


def _warc_date(moment: datetime) -> str:
    """WARC-Date: the time in UTC to the microsecond, ``2020-01-31T09:15:00.000000Z``
    (``isoformat``, a C call, where ``strftime`` cost a few µs a record)."""
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _storage_error(exc: OSError, name: str) -> StorageError:
    if exc.errno in (28, 122):  # ENOSPC, EDQUOT
        return StorageFullError(f"the WARC archive's disk is full (writing {name}): {exc}")
    return StorageError(f"cannot write the WARC archive ({name}): {exc}")
