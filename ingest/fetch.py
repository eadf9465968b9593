"""The downloader: polite, retried, size-capped GETs confined to the configured site.

httpx2 errors are translated here, once, into TransientFetchError (retried by tenacity with
exponential backoff and jitter, honouring Retry-After) or PermanentFetchError (not retried).

Requests go straight to an httpx2 transport (the connection pool), not through a Client: the
fetcher already does the one thing a Client would add that it needs (redirects, confined to the
site), and a Client's per-request URL merging and cookie jar cost a third of the client's CPU per
page, on the event loop every page shares. Over the shipped transport (``AiohttpTransport``) the
fetcher skips building an ``httpx2.Request`` too (its URL parsing was 6 % of a crawl's CPU):
``AiohttpTransport.get`` takes the URL and headers as they are, and answers with aiohttp's own
(case-insensitive) headers rather than copying them into httpx2's ``Headers``. Errors still
leave the transport as httpx2's, translated in ``_as_httpx2``.

Bodies are read raw (still compressed) and inflated here, in steps of at most ``INFLATE_STEP``
bytes, so a compressed bomb is refused at ``max_body_bytes`` having held at most a step more
than the cap, whatever the transport underneath. (httpx 0.28.1 inflated each network chunk
whole: 64 KiB of zeros became 64 MiB at once. httpx2 steps by 1 MiB, but its DecodingError is
no TransportError, and each request in flight may hold several steps.)
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import aiohttp
import httpx2
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from ingest.errors import FetchError, PermanentFetchError, TransientFetchError
from ingest.logs import get_logger
from ingest.politeness import HostSlot
from ingest.robots import RobotsPolicy
from ingest.settings import HttpSettings, SiteSettings

log = get_logger("ingest.fetch")

# The most a compressed body is inflated in one step.
INFLATE_STEP = 64 * 1024
_GZIP_WBITS = 16 + zlib.MAX_WBITS

_RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524})


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched page: the final URL after in-site redirects, and its body."""

    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]  # case-insensitive names
    attempts: int

    @property
    def charset(self) -> str:
        """The charset the Content-Type names; UTF-8 when it names none."""
        charset = "utf-8"
        for part in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip("\"'")
        return charset

    @property
    def text(self) -> str:
        try:
            return self.body.decode(self.charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    @property
    def markup(self) -> str | bytes:
        """The body for a layout's parser: the bytes themselves when they are valid UTF-8 and
        the charset is UTF-8 (every layout reads such bytes exactly as it reads ``text``, and
        the HTML parser a third faster), else ``text``."""
        if self.charset.lower() in ("utf-8", "utf8"):
            try:
                self.body.decode("utf-8")
            except UnicodeDecodeError:
                return self.text
            return self.body
        return self.text


@dataclass(slots=True)
class FetchStats:
    """What the fetcher did in one run; the run record copies these."""

    pages_fetched: int = 0
    pages_failed: int = 0
    pages_not_modified: int = 0


def make_transport(
    http: HttpSettings, transport: httpx2.AsyncBaseTransport | None = None
) -> httpx2.AsyncBaseTransport:
    """The one connection pool of a run (close it with ``async with``); tests may hand in
    their own transport."""
    if transport is not None:
        return transport
    limits = httpx2.Limits(
        max_connections=http.concurrency, max_keepalive_connections=http.concurrency
    )
    return AiohttpTransport(limits=limits, proxy=http.proxy or None)


# aiohttp's errors as httpx2's, the most specific first: the fetcher translates only these.
_AIOHTTP_ERRORS: tuple[tuple[type[BaseException], type[httpx2.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx2.ConnectTimeout),
    (aiohttp.ServerTimeoutError, httpx2.ReadTimeout),
    (TimeoutError, httpx2.ReadTimeout),
    (aiohttp.ClientProxyConnectionError, httpx2.ProxyError),
    (aiohttp.ClientHttpProxyError, httpx2.ProxyError),
    (aiohttp.ClientConnectorError, httpx2.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx2.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx2.ReadError),
    (aiohttp.ClientResponseError, httpx2.RemoteProtocolError),  # a malformed response
    (aiohttp.InvalidURL, httpx2.UnsupportedProtocol),
    (aiohttp.ClientOSError, httpx2.NetworkError),
    (aiohttp.ClientError, httpx2.TransportError),
)


def _as_httpx2(exc: BaseException) -> httpx2.TransportError:
    for aiohttp_type, httpx2_type in _AIOHTTP_ERRORS:
        if isinstance(exc, aiohttp_type):
            return httpx2_type(str(exc) or type(exc).__name__)
    raise AssertionError(f"unmapped {type(exc).__name__}")  # pragma: no cover


class _AiohttpBody(httpx2.AsyncByteStream):
    """An aiohttp response's body as the network delivers it: still compressed."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _as_httpx2(exc) from exc

    async def read_declared(self) -> bytes:
        """The whole body, when the answer declared its length (aiohttp reads exactly that
        many bytes): one await instead of an iteration per network chunk."""
        try:
            return await self._response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _as_httpx2(exc) from exc

    async def aclose(self) -> None:
        # A body read to its end hands the connection back to the pool; one left unread
        # (over the cap) closes it.
        self._response.release()


class _Answer(Protocol):
    """What the fetcher reads of a response: ``httpx2.Response``, or ``_DirectAnswer``."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def stream(self) -> AsyncIterable[bytes] | httpx2.SyncByteStream: ...

    async def aclose(self) -> None: ...


@dataclass(slots=True)
class _DirectAnswer:
    """An answer of ``AiohttpTransport.get``: status, headers, the raw body stream."""

    status_code: int
    headers: Mapping[str, str]  # aiohttp's CIMultiDictProxy: case-insensitive
    stream: _AiohttpBody

    async def aclose(self) -> None:
        await self.stream.aclose()


class AiohttpTransport(httpx2.AsyncBaseTransport):
    """httpx2's transport interface over aiohttp's connection pool: a third less CPU per page
    than httpcore2 (see the README's Performance section).

    Modelled on ``httpx_aiohttp.httpx2.AiohttpTransport`` (httpx-aiohttp 0.2.0), which is not
    used as such: importing it imports httpx 0.28 too, its session keeps a cookie jar, and
    some aiohttp errors (a malformed response) leave it untranslated. Here the session keeps no
    cookies, never decompresses (the fetcher inflates, bounded), never follows redirects
    (the fetcher does, on-site only), ignores proxy variables of the environment (``http.proxy``
    is the one proxy), and every aiohttp error comes out as httpx2's ``TransportError``.
    """

    def __init__(self, *, limits: httpx2.Limits, proxy: str | None = None) -> None:
        self._limits = limits
        self._proxy = proxy
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | None, float | None], aiohttp.ClientTimeout] = {}

    def _open(self) -> aiohttp.ClientSession:
        # Built in the running event loop, on the first request.
        connector = aiohttp.TCPConnector(
            limit=self._limits.max_connections or 0,
            keepalive_timeout=self._limits.keepalive_expiry or 5.0,
        )
        # aiohttp sends a GET once more, at once, when a connection drops before its answer
        # (RFC 9112 9.3.1.1): a kept-alive connection the server has just closed is common,
        # and httpcore2 avoided those by testing the socket first. So a dropped connection
        # is two requests per attempt (a test counts them).
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
        )

    def _timeout(self, request: httpx2.Request) -> aiohttp.ClientTimeout:
        given = request.extensions.get("timeout", {})
        return self.timeout_of(given.get("connect"), given.get("read"))

    def timeout_of(self, connect: float | None, read: float | None) -> aiohttp.ClientTimeout:
        key = (connect, read)
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = self._timeouts[key] = aiohttp.ClientTimeout(
                total=None, sock_connect=key[0], sock_read=key[1]
            )
        return timeout

    async def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | list[tuple[str, str]],
        limits: aiohttp.ClientTimeout,
    ) -> aiohttp.ClientResponse:
        session = self._session
        if session is None:
            session = self._session = self._open()
        try:
            return await session.request(
                method,
                url,
                headers=headers,
                allow_redirects=False,
                proxy=self._proxy,
                timeout=limits,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _as_httpx2(exc) from exc

    async def get(
        self, url: str, headers: Mapping[str, str], limits: aiohttp.ClientTimeout
    ) -> _DirectAnswer:
        """GET ``url`` without an ``httpx2.Request``: the fetcher's path. The answer's body is
        raw (still compressed); errors are httpx2's ``TransportError``, as from
        ``handle_async_request``."""
        response = await self._send("GET", url, headers, limits)
        return _DirectAnswer(response.status, response.headers, _AiohttpBody(response))

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._send(
            request.method,
            str(request.url),
            request.headers.multi_items(),
            self._timeout(request),
        )
        return httpx2.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_AiohttpBody(response),
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class Fetcher:
    """GETs pages of one site, politely; one instance per run."""

    def __init__(
        self, site: SiteSettings, http: HttpSettings, transport: httpx2.AsyncBaseTransport
    ) -> None:
        self._site = site
        self._http = http
        self._transport = transport
        self._headers = {
            "User-Agent": http.user_agent,
            "Accept": "text/html,*/*;q=0.5",
            "Accept-Encoding": "gzip, deflate",
        }
        timeouts = httpx2.Timeout(http.timeout_seconds)
        self._extensions = {"timeout": timeouts.as_dict()}
        # The shipped transport is called directly (no httpx2.Request); any other (a test's
        # MockTransport) through httpx2's interface. The direct path sets aiohttp no timers
        # of its own: the whole request runs under asyncio.timeout(timeout_seconds) (see
        # _request), which always expires before a connect or read timer of the same length
        # could, and re-arming a read timer on every chunk cost CPU for nothing.
        self._direct: AiohttpTransport | None = None
        self._direct_timeout: aiohttp.ClientTimeout | None = None
        if isinstance(transport, AiohttpTransport):
            self._direct = transport
            self._direct_timeout = transport.timeout_of(None, None)
        # URLs of the site start with one of these; is_on_site parses only the others.
        host, netloc = site.host, urlsplit(site.base_url).netloc
        self._site_prefixes = (
            tuple(f"{scheme}://{name}/" for name in {host, netloc} for scheme in ("https", "http"))
            if host
            else ()
        )
        self._slot = HostSlot(http.concurrency, http.requests_per_second)
        self._robots = RobotsPolicy.allow_all()
        self.stats = FetchStats()
        # Logging is configured before a run and stays so through it: asked once, not per page.
        self._log_pages = log.is_enabled_for(logging.DEBUG)

    @property
    def paced(self) -> bool:
        """True when requests are spaced by a rate rather than only bounded in number."""
        return self._slot.paced

    def is_on_site(self, url: str) -> bool:
        if self._site_prefixes and url.startswith(self._site_prefixes):
            return True  # http(s), the site's host (and port): what urlsplit would find
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and (parts.hostname or "") == self._site.host

    def may_fetch(self, url: str) -> bool:
        """True when the URL is on the site and robots.txt allows it."""
        return self.is_on_site(url) and self._robots.allows(url)

    async def load_robots(self) -> None:
        """Read robots.txt once; a missing file allows everything, an unreachable one nothing.

        Its ``Crawl-delay`` for our agent, if slower than ``requests_per_second``, then paces
        every request of the run.
        """
        if not self._site.respect_robots_txt:
            return
        url = urljoin(self._site.base_url, "/robots.txt")
        try:
            page = await self.get(url, kind="robots")
        except PermanentFetchError as exc:
            # RFC 9309: a 4xx robots.txt means no restrictions.
            self._robots = RobotsPolicy.allow_all()
            log.info("robots_missing", url=url, status=exc.status)
            return
        except TransientFetchError as exc:
            # RFC 9309: an unreachable robots.txt means crawling nothing.
            self._robots = RobotsPolicy.unreachable(str(exc))
            log.error("robots_unreachable", url=url, reason=self._robots.unreachable_reason)
            return
        self._robots = RobotsPolicy.parse(self._http.user_agent, page.text)
        log.info("robots_loaded", url=url, bytes=len(page.body))
        delay = self._robots.crawl_delay
        if delay is not None:
            rate = self._slot.honour_crawl_delay(delay)
            log.info(
                "robots_crawl_delay",
                seconds=delay,
                requests_per_second=round(rate, 3),
                configured_requests_per_second=self._http.requests_per_second,
            )

    async def get(
        self,
        url: str,
        *,
        kind: str,
        headers: dict[str, str] | None = None,
        missing_ok: bool = False,
    ) -> Page:
        """GET with retries; raises FetchError after the last attempt, counted and logged.

        ``headers`` may carry validators (If-None-Match, If-Modified-Since): a 304 answer is
        returned as a Page with status 304 and no body. With ``missing_ok`` a 404 is an answer
        too (a WordPress date archive without posts), returned as a Page with status 404.
        """
        try:
            return await self._get_with_retries(url, kind, headers or {}, missing_ok)
        except FetchError as exc:
            self.stats.pages_failed += 1
            log.warning(
                "fetch_failed",
                url=url,
                kind=kind,
                status=exc.status,
                reason=str(exc),
                permanent=isinstance(exc, PermanentFetchError),
            )
            raise

    async def _get_with_retries(
        self, url: str, kind: str, headers: dict[str, str], missing_ok: bool
    ) -> Page:
        # The first attempt runs outside tenacity: setting its machinery up for every GET was
        # 2-3 % of a crawl's CPU, and most GETs succeed at once. A transient failure then
        # enters tenacity as its attempt 1 (the same exception, not a new request), so the
        # waits, the fetch_retry lines and the attempts that follow are exactly as before.
        try:
            return await self._attempt(url, kind, 1, headers, missing_ok)
        except TransientFetchError as exc:
            first_failure = exc
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TransientFetchError),
            stop=stop_after_attempt(self._http.max_attempts),
            wait=self._wait,
            before_sleep=self._log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                number = attempt.retry_state.attempt_number
                if number == 1:
                    raise first_failure
                return await self._attempt(url, kind, number, headers, missing_ok)
        raise AssertionError("unreachable: tenacity reraises the last error")

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_random_exponential(
            multiplier=self._http.backoff_initial_seconds, max=self._http.backoff_max_seconds
        )(state)
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, TransientFetchError) and exc.retry_after is not None:
            return min(exc.retry_after, self._http.max_retry_after_seconds)
        return backoff

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        log.info(
            "fetch_retry",
            url=getattr(exc, "url", None),
            attempt=state.attempt_number,
            status=getattr(exc, "status", None),
            reason=str(exc),
            wait_seconds=round(state.upcoming_sleep, 3),
        )

    async def _attempt(
        self, url: str, kind: str, attempt: int, headers: dict[str, str], missing_ok: bool
    ) -> Page:
        current = url
        for _ in range(self._http.max_redirects + 1):
            self._check_allowed(current, original=url)
            async with self._slot:
                started = time.perf_counter()
                status, response_headers, body = await self._request(current, headers)
                elapsed = time.perf_counter() - started
            # DEBUG: a line per page cost a tenth of the crawl's CPU at INFO; the day's
            # date_done line stays at INFO, and the metrics collector still sees this one.
            if self._log_pages:
                log.debug(
                    "page_fetched",
                    url=current,
                    kind=kind,
                    status=status,
                    bytes=len(body),
                    elapsed_ms=round(elapsed * 1000, 1),
                    attempt=attempt,
                )
            if status in (301, 302, 303, 307, 308) and "location" in response_headers:
                current = urljoin(current, response_headers["location"])
                continue
            if status == 304:
                self.stats.pages_not_modified += 1
            elif status == 200 or (status == 404 and missing_ok):
                self.stats.pages_fetched += 1
            if status in (200, 304) or (status == 404 and missing_ok):
                return Page(
                    url=current,
                    status=status,
                    body=body,
                    headers=response_headers,
                    attempts=attempt,
                )
            if status in _RETRYABLE_STATUS:
                raise TransientFetchError(
                    f"HTTP {status}",
                    url=url,
                    status=status,
                    retry_after=_retry_after(response_headers.get("retry-after")),
                )
            raise PermanentFetchError(f"HTTP {status}", url=url, status=status)
        raise PermanentFetchError(f"more than {self._http.max_redirects} redirects", url=url)

    def _check_allowed(self, target: str, *, original: str) -> None:
        if not self.is_on_site(target):
            what = "redirect to" if target != original else "URL"
            raise PermanentFetchError(f"off-site {what} {target} refused", url=original)
        if not self._robots.allows(target):
            raise PermanentFetchError(self._robots.refusal(target), url=original)

    async def _request(
        self, url: str, headers: dict[str, str]
    ) -> tuple[int, Mapping[str, str], bytes]:
        cap = self._http.max_body_bytes
        try:
            async with asyncio.timeout(self._http.timeout_seconds):
                response: _Answer
                if self._direct is not None and self._direct_timeout is not None:
                    response = await self._direct.get(
                        url, {**self._headers, **headers}, self._direct_timeout
                    )
                else:
                    request = httpx2.Request(
                        "GET",
                        url,
                        headers={**self._headers, **headers},
                        extensions=self._extensions,
                    )
                    response = await self._transport.handle_async_request(request)
                try:
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > cap:
                        raise PermanentFetchError(
                            f"response of {declared} bytes is over the {cap}-byte cap",
                            url=url,
                            status=response.status_code,
                        )
                    body = _CappedBody(
                        _inflater(_every_value(response.headers, "content-encoding"), url),
                        cap,
                        url,
                        response.status_code,
                    )
                    # The raw stream itself: no decoder (httpx2's would inflate each network
                    # chunk whole), and none of Response's bookkeeping per chunk. A length
                    # declared under the cap (checked above) is read in one piece.
                    stream = response.stream
                    if isinstance(stream, _AiohttpBody) and declared.isdigit():
                        body.take(await stream.read_declared())
                    else:
                        assert isinstance(stream, AsyncIterable)
                        async for raw in stream:
                            body.take(raw)
                    return response.status_code, response.headers, body.joined()
                finally:
                    await response.aclose()
        except TimeoutError as exc:
            raise TransientFetchError(
                f"timed out after {self._http.timeout_seconds:g}s", url=url
            ) from exc
        except httpx2.TimeoutException as exc:
            raise TransientFetchError(f"timeout: {type(exc).__name__}", url=url) from exc
        except httpx2.TransportError as exc:
            reason = str(exc) or type(exc).__name__
            raise TransientFetchError(f"connection error: {reason}", url=url) from exc


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


class _CappedBody:
    """A body as it arrives: inflated in bounded steps, refused once past the cap."""

    def __init__(
        self, inflate: Callable[[bytes], Iterator[bytes]] | None, cap: int, url: str, status: int
    ) -> None:
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


def _every_value(headers: Mapping[str, str], name: str) -> str | None:
    """Every value a header has, comma-joined as httpx2's ``Headers.get`` gives them; a
    multidict's ``get`` (aiohttp's) gives only the first."""
    getall = getattr(headers, "getall", None)
    if getall is None:
        return headers.get(name)
    values: list[str] = getall(name, [])
    return ", ".join(values) if values else None


def _inflater(content_encoding: str | None, url: str) -> Callable[[bytes], Iterator[bytes]] | None:
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


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
