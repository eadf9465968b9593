"""The network under the fetcher: a URL and headers in; a status, headers and the raw body out.

``Transport`` is the whole interface the fetcher needs; ``AiohttpTransport`` is the one that
ships, and the one every test runs, against servers on loopback. It never decompresses (the
fetcher inflates, bounded: ``inflate``), never follows redirects (the fetcher does, on the site
only: ``redirects``), keeps no cookies and ignores the environment's proxy variables
(``http.proxy`` is the one proxy).

aiohttp's errors are translated here, once, where they enter, into the product's own, the
most specific first (as httpx's ``map_httpcore_exceptions`` does for httpcore):

    aiohttp.InvalidURL, NonHttpUrlClientError        -> PermanentFetchError
    TimeoutError (aiohttp's timeouts included)       -> TransientFetchError "timeout: ..."
    any other aiohttp.ClientError (refused, dropped,
    truncated, malformed, proxy)                     -> TransientFetchError "connection error: ..."

so nothing above this module sees an aiohttp type. Nor a proxy's password: every message that
leaves here has it, in any spelling, replaced by ``***`` (``Scrubber``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from typing import NoReturn, Protocol, runtime_checkable

import aiohttp

from ingest import secrets
from ingest.errors import PermanentFetchError, TransientFetchError


class Answer(Protocol):
    """A response as it arrives: the status and headers read, the body not yet."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]:
        """Case-insensitive names; ``getall`` gives every value of a repeated header."""
        ...

    def chunks(self) -> AsyncIterator[bytes]:
        """The body as the network delivers it, still compressed."""
        ...

    async def read(self) -> bytes:
        """The whole body at once, still compressed (for an answer that declared its
        length, which the fetcher has checked against its cap)."""
        ...

    def release(self) -> None:
        """Done with the answer: a body read to its end hands the connection back to the
        pool; one left unread closes it."""
        ...


class Transport(Protocol):
    """GETs over one connection pool; errors leave as ``FetchError``s."""

    async def get(self, url: str, headers: Mapping[str, str]) -> Answer: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class Archive(Transport, Protocol):
    """A transport that answers from responses kept earlier (``ingest reparse``'s WARC files):
    nothing reaches a site, so the fetcher keeps no pace, slot, timeout or retry for it, and a
    page it holds was allowed by robots.txt when it was fetched."""

    async def open(self) -> None:
        """Be ready to answer: know what it holds (once, however many ask)."""
        ...

    def holds(self, url: str) -> bool:
        """Whether it has an answer for ``url`` (once open)."""
        ...


class Scrubber:
    """Hides a proxy's credentials in a text (``ingest.secrets`` says how one is shown): its
    URL shown masked, its password in every spelling (as written, decoded, re-encoded as
    yarl writes it back in aiohttp's messages) as ``***``, and any other URL's password too.
    Per transport, so it holds whether or not the process's settings were loaded through
    ``load_settings`` (which teaches ``secrets.redact`` the configured ones)."""

    __slots__ = ("_proxy", "_secrets")

    def __init__(self, proxy: str | None) -> None:
        self._proxy = proxy
        found = (
            {form for secret in secrets.url_secrets(proxy) for form in secrets.spellings(secret)}
            if proxy
            else set()
        )
        kept = (form for form in found if len(form) >= secrets.MIN_REDACTED)
        self._secrets = tuple(sorted(kept, key=len, reverse=True))

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def __call__(self, text: str) -> str:
        if self._proxy is not None and self._proxy in text:
            text = text.replace(self._proxy, secrets.mask_url(self._proxy))
        for secret in self._secrets:
            text = text.replace(secret, secrets.MASK)
        return secrets.redact(text)


_NO_SECRETS = Scrubber(None)


def _translated(exc: BaseException, url: str, scrub: Scrubber = _NO_SECRETS) -> NoReturn:
    """Raise ``exc`` (aiohttp's, or a timeout) as the product's own error. With a proxy's
    credentials to hide, aiohttp's error is not chained either: its attributes (the request's
    headers among them) could show them in a traceback."""
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ClientConnectorError) and not isinstance(
        exc, aiohttp.ClientSSLError
    ):
        # aiohttp's own text names its default TLS context ("ssl:default") even for http://.
        reason = f"cannot connect to {exc.host}:{exc.port}: {_os_reason(exc.os_error)}"
    if scrub:
        reason = scrub(reason)
        if isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
            raise PermanentFetchError(f"invalid URL: {reason}", url=url) from None
        if isinstance(exc, TimeoutError):
            raise TransientFetchError(f"timeout: {type(exc).__name__}", url=url) from None
        raise TransientFetchError(f"connection error: {reason}", url=url) from None
    if isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        raise PermanentFetchError(f"invalid URL: {reason}", url=url) from exc
    if isinstance(exc, TimeoutError):  # aiohttp's ServerTimeoutError is one
        raise TransientFetchError(f"timeout: {type(exc).__name__}", url=url) from exc
    raise TransientFetchError(f"connection error: {reason}", url=url) from exc


def _os_reason(error: OSError) -> str:
    """What the system said, in its own words ("Connection refused"), not Python's wrapping."""
    if error.errno is not None and error.errno > 0:
        return os.strerror(error.errno)
    return error.strerror or str(error) or type(error).__name__


class _AiohttpAnswer:
    """An aiohttp response behind the ``Answer`` interface."""

    __slots__ = ("_response", "_scrub", "_url", "headers", "status")

    def __init__(self, response: aiohttp.ClientResponse, url: str, scrub: Scrubber) -> None:
        self._response = response
        self._url = url
        self._scrub = scrub
        self.status = response.status
        self.headers: Mapping[str, str] = response.headers  # CIMultiDictProxy

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, TimeoutError) as exc:
            _translated(exc, self._url, self._scrub)

    async def read(self) -> bytes:
        # One await for the whole body rather than an iteration per network chunk: aiohttp
        # reads exactly the declared length.
        try:
            return await self._response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            _translated(exc, self._url, self._scrub)

    def release(self) -> None:
        self._response.release()


class AiohttpTransport:
    """``Transport`` over aiohttp's connection pool: a third less CPU per page than httpx2's
    own (httpcore2), see the README's Dependencies.

    The session is built in the running event loop, on the first request. It sets aiohttp no
    timers: the fetcher runs each whole request under ``asyncio.timeout``, which always
    expires before a connect or read timer of the same length could, and re-arming a read
    timer on every chunk cost CPU for nothing.
    """

    def __init__(self, *, connections: int, proxy: str | None = None) -> None:
        self._connections = connections
        self._proxy = proxy
        self._scrub = Scrubber(proxy)
        self._session: aiohttp.ClientSession | None = None
        self._no_timers = aiohttp.ClientTimeout(total=None, sock_connect=None, sock_read=None)

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=self._connections, keepalive_timeout=5.0)
        # aiohttp sends a GET once more, at once, when a connection drops before its answer
        # (RFC 9112 9.3.1.1): a kept-alive connection the server has just closed is common.
        # So a dropped connection is two requests per attempt (a test counts them).
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
        )

    async def get(self, url: str, headers: Mapping[str, str]) -> Answer:
        session = self._session
        if session is None:
            session = self._session = self._open()
        try:
            response = await session.request(
                "GET",
                url,
                headers=headers,
                allow_redirects=False,
                proxy=self._proxy,
                timeout=self._no_timers,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            _translated(exc, url, self._scrub)
        return _AiohttpAnswer(response, url, self._scrub)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
