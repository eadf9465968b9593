"""Bounded inflate: a body's content coding undone in steps, refused once past the cap.

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
# Content codings a body may carry (identity not counted): one is all a site needs.
MAX_CODINGS = 1
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


class CappedBody:
    """A body as it arrives: inflated in bounded steps, refused once past the cap; or, with
    ``keep_prefix`` (robots.txt), cut at the cap, ``full`` then telling the reader to stop."""

    def __init__(
        self,
        inflate: Inflater | None,
        cap: int,
        url: str,
        status: int,
        *,
        keep_prefix: bool = False,
        keep_raw: bool = False,
    ) -> None:
        self._inflate = inflate
        self._cap = cap
        self._url = url
        self._status = status
        self._keep_prefix = keep_prefix
        self._chunks: list[bytes] = []
        self._size = 0
        self.full = False
        # The bytes as they arrived, for the archive; only when they differ from the body.
        self._raw: list[bytes] | None = [] if keep_raw and inflate is not None else None

    def take(self, raw: bytes) -> None:
        if self._raw is not None:
            self._raw.append(raw)
        for chunk in self._inflate(raw) if self._inflate is not None else (raw,):
            self._size += len(chunk)
            if self._size > self._cap:
                if self._keep_prefix:
                    self._chunks.append(chunk[: len(chunk) - (self._size - self._cap)])
                    self.full = True
                    return
                raise PermanentFetchError(
                    f"response body is over the {self._cap}-byte cap"
                    + (" once inflated" if self._inflate is not None else ""),
                    url=self._url,
                    status=self._status,
                )
            self._chunks.append(chunk)

    def joined(self) -> bytes:
        return b"".join(self._chunks)

    def raw(self, body: bytes) -> bytes:
        """The bytes as they arrived (``body``, the joined body, when nothing was inflated)."""
        return b"".join(self._raw) if self._raw is not None else body


def every_value(headers: Mapping[str, str], name: str) -> str | None:
    """Every value a header has, comma-joined; a multidict's ``get`` (aiohttp's) gives only
    the first."""
    getall = getattr(headers, "getall", None)
    if getall is None:
        return headers.get(name)
    values: list[str] = getall(name, [])
    return ", ".join(values) if values else None


def inflater(content_encoding: str | None, url: str) -> Inflater | None:
    """Undo the body's content coding; None for identity.

    One coding at most: we ask for gzip or deflate, and a site has no reason to apply two. A
    stack of them (``gzip, gzip, …`` a thousand times) is refused as a ``PermanentFetchError``
    before any is undone: undoing each one in a chain of generators nested that deep raised
    RecursionError, which crashed the run.
    """
    if not content_encoding:
        return None
    codings = [c for c in (c.strip().lower() for c in content_encoding.split(",")) if c]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if len(codings) > MAX_CODINGS:
        shown = ", ".join(codings[:3]) + (", …" if len(codings) > 3 else "")
        raise PermanentFetchError(
            f"{len(codings)} content codings stacked ({shown}): at most {MAX_CODINGS} is accepted",
            url=url,
        )
    [coding] = codings
    if coding in ("gzip", "x-gzip"):
        return _Inflate("gzip", url).feed
    if coding == "deflate":
        return _Inflate("deflate", url).feed
    # We ask for gzip and deflate only (Accept-Encoding); brotli and zstd are not decoded.
    raise PermanentFetchError(f"unsupported content-encoding {coding!r}", url=url)
