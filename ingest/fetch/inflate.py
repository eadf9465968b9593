"""Bounded inflate: a body's content codings undone in steps, refused once past the cap.

Bodies arrive raw (the transport never decompresses) and are inflated here, in steps of at
most ``INFLATE_STEP`` bytes, so a compressed bomb is refused at ``max_body_bytes`` having held
at most a step more than the cap. (httpx 0.28.1 inflated each network chunk whole: 64 KiB of
zeros became 64 MiB at once. httpx2 steps by 1 MiB, but each request in flight may hold
several steps.)
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping

from ingest.errors import PermanentFetchError

# The most a compressed body is inflated in one step.
INFLATE_STEP = 64 * 1024
_GZIP_WBITS = 16 + zlib.MAX_WBITS

Inflater = Callable[[bytes], Iterator[bytes]]


class _Inflate:
    """One content coding undone in bounded steps: each piece it yields is at most
    ``INFLATE_STEP`` bytes, whatever the compression ratio; the rest of the input waits in
    the decompressor's ``unconsumed_tail``."""

    def __init__(self, coding: str, url: str) -> None:
        self._url = url
        self._coding = coding
        # deflate is zlib-wrapped by the RFC, raw by some servers: tried wrapped first.
        self._zlib = zlib.decompressobj(_GZIP_WBITS if coding == "gzip" else zlib.MAX_WBITS)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        z = self._zlib
        while data and not z.eof:
            try:
                out = z.decompress(data, INFLATE_STEP)
            except zlib.error as exc:
                if self._coding == "deflate" and not self._started:
                    self._started = True
                    z = self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise PermanentFetchError(
                    f"the {self._coding} body does not decode: {exc}", url=self._url
                ) from exc
            self._started = True
            if out:
                yield out
            data = z.unconsumed_tail
            # Output may still be pending inside zlib once the input is used up.
            while not data and len(out) == INFLATE_STEP and not z.eof:
                out = z.decompress(b"", INFLATE_STEP)
                if out:
                    yield out

    def feed_all(self, pieces: Iterator[bytes]) -> Iterator[bytes]:
        for piece in pieces:
            yield from self.feed(piece)


class CappedBody:
    """A body as it arrives: inflated in bounded steps, refused once past the cap."""

    def __init__(self, inflate: Inflater | None, cap: int, url: str, status: int) -> None:
        self._inflate = inflate
        self._cap = cap
        self._url = url
        self._status = status
        self._chunks: list[bytes] = []
        self._size = 0

    def take(self, raw: bytes) -> None:
        for chunk in self._inflate(raw) if self._inflate is not None else (raw,):
            self._size += len(chunk)
            if self._size > self._cap:
                raise PermanentFetchError(
                    f"response body is over the {self._cap}-byte cap"
                    + (" once inflated" if self._inflate is not None else ""),
                    url=self._url,
                    status=self._status,
                )
            self._chunks.append(chunk)

    def joined(self) -> bytes:
        return b"".join(self._chunks)


def every_value(headers: Mapping[str, str], name: str) -> str | None:
    """Every value a header has, comma-joined; a multidict's ``get`` (aiohttp's) gives only
    the first."""
    getall = getattr(headers, "getall", None)
    if getall is None:
        return headers.get(name)
    values: list[str] = getall(name, [])
    return ", ".join(values) if values else None


def inflater(content_encoding: str | None, url: str) -> Inflater | None:
    """Undo the body's content codings (the last applied first); None for identity."""
    if not content_encoding:
        return None
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    steps: list[_Inflate] = []
    for coding in reversed(codings):
        if coding in ("", "identity"):
            continue
        if coding in ("gzip", "x-gzip"):
            steps.append(_Inflate("gzip", url))
        elif coding == "deflate":
            steps.append(_Inflate("deflate", url))
        else:
            # We ask for gzip and deflate only.
            raise PermanentFetchError(f"unsupported content-encoding {coding!r}", url=url)
    if not steps:
        return None
    if len(steps) == 1:
        return steps[0].feed

    def chain(raw: bytes) -> Iterator[bytes]:
        pieces: Iterator[bytes] = iter((raw,))
        for step in steps:
            pieces = step.feed_all(pieces)
        return pieces

    return chain
