"""The downloader on the edges a sample site does not reach: redirects, caps, Retry-After.

These hand the fetcher an httpx transport (a function answering requests), which replaces
only the network, never the project's own code.
"""

from __future__ import annotations

import asyncio
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx2
import pytest

from ingest.errors import PermanentFetchError, TransientFetchError
from ingest.fetch import Fetcher, Page, _retry_after, make_transport
from ingest.settings import settings_from_mapping
from tests.support.sample_site import Delay, Drop, FaultAction, Truncate

SETTINGS = settings_from_mapping(
    {
        "site": {"base_url": "https://news.example"},
        "http": {
            "requests_per_second": 0,
            "backoff_initial_seconds": 0.001,
            "backoff_max_seconds": 0.01,
            "max_attempts": 3,
            "max_body_bytes": 1000,
        },
    }
)


def fetch(handler: Callable[[httpx2.Request], httpx2.Response], url: str) -> tuple[Page, Fetcher]:
    async def go() -> tuple[Page, Fetcher]:
        async with make_transport(SETTINGS.http, httpx2.MockTransport(handler)) as transport:
            fetcher = Fetcher(SETTINGS.site, SETTINGS.http, transport)
            return await fetcher.get(url, kind="listing"), fetcher

    return asyncio.run(go())


def test_redirect_within_the_site_is_followed() -> None:
    """A redirect to the same host is followed and the final URL is reported."""
    seen: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(str(request.url))
        if request.url.path == "/old":
            return httpx2.Response(301, headers={"Location": "/new"})
        return httpx2.Response(200, text="ok")

    page, _ = fetch(handler, "https://news.example/old")
    assert page.url == "https://news.example/new" and page.body == b"ok"
    assert seen == ["https://news.example/old", "https://news.example/new"]


def test_redirect_off_the_site_is_refused_and_not_followed() -> None:
    """An off-site redirect is a permanent failure; the other host is never contacted."""
    seen: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.url.host)
        return httpx2.Response(302, headers={"Location": "https://evil.example/x"})

    with pytest.raises(PermanentFetchError, match="off-site redirect"):
        fetch(handler, "https://news.example/a")
    assert seen == ["news.example"]


def test_off_site_url_is_never_requested() -> None:
    """A URL on another host is refused before any request."""
    with pytest.raises(PermanentFetchError, match="off-site URL"):
        fetch(lambda request: pytest.fail("requested"), "https://other.example/a")


def test_body_over_the_cap_is_refused_without_retry() -> None:
    """A response above max_body_bytes is refused once, streamed or declared."""
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        return httpx2.Response(200, content=b"x" * 5000)

    with pytest.raises(PermanentFetchError, match="cap"):
        fetch(handler, "https://news.example/big")
    assert calls == 1


def test_retries_stop_after_max_attempts() -> None:
    """A 503 forever is tried max_attempts times, then fails as transient."""
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        return httpx2.Response(503, headers={"Retry-After": "0"})

    with pytest.raises(TransientFetchError):
        fetch(handler, "https://news.example/down")
    assert calls == 3


def test_retry_after_as_seconds_and_as_http_date() -> None:
    """Retry-After is read in both forms; garbage is ignored."""
    assert _retry_after("7") == 7.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (_retry_after(later) or 0) <= 30
    assert _retry_after("soon") is None
    assert _retry_after(None) is None


def test_page_text_uses_the_declared_charset() -> None:
    """A page in a declared legacy charset decodes to the right text."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200,
            content="café".encode("latin-1"),
            headers={"Content-Type": "text/html; charset=latin-1"},
        )

    page, fetcher = fetch(handler, "https://news.example/latin")
    assert page.text == "café"
    assert fetcher.stats.pages_fetched == 1
    assert page.markup == "café"  # a legacy charset reaches the parser as text


def test_page_markup_is_the_body_only_when_it_is_valid_utf8() -> None:
    """The parser gets the bytes themselves only where they read as ``text`` does."""
    headers = httpx2.Headers({"Content-Type": "text/html; charset=UTF-8"})
    valid = Page("https://x/", 200, "café".encode(), headers, 1)
    assert valid.markup is valid.body
    broken = Page("https://x/", 200, b"caf\xe9", headers, 1)
    assert broken.markup == broken.text == "caf\ufffd"
    undeclared = Page("https://x/", 200, "café".encode(), httpx2.Headers(), 1)
    assert undeclared.markup is undeclared.body


def test_requests_go_through_the_configured_proxy() -> None:
    """With http.proxy set, the proxy (here the sample server, which answers absolute-form
    requests too) receives every request, for a site whose host does not even resolve."""
    from datetime import date

    from tests.support.sample_site import SampleSite, SampleSiteServer

    with SampleSiteServer(SampleSite(seed=0)) as proxy:
        settings = settings_from_mapping(
            {"site": {"base_url": "http://site.invalid"}, "http": {"proxy": proxy.base_url}}
        )
        url = "http://site.invalid/date/2020/2/1.html"

        async def go() -> Page:
            async with make_transport(settings.site.http) as transport:
                fetcher = Fetcher(settings.site, settings.site.http, transport)
                return await fetcher.get(url, kind="listing")

        page = asyncio.run(go())
        assert page.status == 200 and b"genericItemView" in page.body
        assert proxy.paths_requested() == [url]
        assert date(2020, 2, 1).strftime("%d %B %Y") in page.text


class _Raw(httpx2.AsyncByteStream):
    """A body as the network hands it over: in chunks, still encoded."""

    def __init__(self, body: bytes, chunk: int = 4096) -> None:
        self._body, self._chunk = body, chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self._body), self._chunk):
            yield self._body[start : start + self._chunk]


@pytest.mark.parametrize("coding", ["gzip", "deflate", "deflate-raw"])
def test_compressed_page_is_inflated(coding: str) -> None:
    """gzip and deflate bodies (zlib-wrapped, as the RFC says, or raw, as some servers send)
    come out as the page, whole, past many inflate steps."""
    page_text = "<p>" + "Ειδήσεις και άλλα νέα. " * 20_000 + "</p>"  # ~0.5 MB once inflated
    wbits = {"gzip": 31, "deflate": 15, "deflate-raw": -15}[coding]
    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    body = compressor.compress(page_text.encode()) + compressor.flush()

    def handler(request: httpx2.Request) -> httpx2.Response:
        assert request.headers["accept-encoding"] == "gzip, deflate"
        encoding = "deflate" if coding == "deflate-raw" else coding
        return httpx2.Response(200, stream=_Raw(body), headers={"Content-Encoding": encoding})

    big = settings_from_mapping(
        {"site": {"base_url": "https://news.example"}, "http": {"requests_per_second": 0}}
    )

    async def go() -> Page:
        transport = httpx2.MockTransport(handler)
        return await Fetcher(big.site, big.http, transport).get(
            "https://news.example/gz", kind="listing"
        )

    assert asyncio.run(go()).text == page_text


def test_undecodable_or_unknown_coding_is_a_permanent_failure() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        coding = "gzip" if request.url.path == "/bad" else "br"
        return httpx2.Response(
            200, stream=_Raw(b"not gzip at all"), headers={"Content-Encoding": coding}
        )

    with pytest.raises(PermanentFetchError, match="does not decode"):
        fetch(handler, "https://news.example/bad")
    with pytest.raises(PermanentFetchError, match="unsupported content-encoding 'br'"):
        fetch(handler, "https://news.example/brotli")


@pytest.mark.parametrize("coding", ["gzip", "deflate", "deflate-raw"])
def test_compressed_bomb_is_refused_at_the_cap_in_bounded_memory(coding: str) -> None:
    """A ~50 KB answer that inflates to 50 MB is refused at the 1 MB cap, not retried, and
    the fetch never holds more than a few times the cap (httpx 0.28.1's decoder inflated the
    whole 64 KiB network chunk at once, 50 MB; httpx2's peaks near 5 MB here)."""
    from tests.support.sample_site import Bomb, SampleSite, SampleSiteServer
    from tests.support.sample_site.responses import compressed_zeros

    cap = 1_000_000
    inflated = 50 * 1024 * 1024
    compressed_zeros(coding, inflated)  # built before the measurement
    with SampleSiteServer(SampleSite(seed=0)) as server:
        settings = settings_from_mapping(
            {
                "site": {"base_url": server.base_url},
                "http": {"requests_per_second": 0, "max_body_bytes": cap, "max_attempts": 3},
            }
        )
        server.faults.add("/bomb.html", Bomb(coding, inflated), times=None)

        async def go() -> None:
            async with make_transport(settings.http) as transport:
                fetcher = Fetcher(settings.site, settings.http, transport)
                await fetcher.get(server.base_url + "/bomb.html", kind="article")

        tracemalloc.start()
        try:
            with pytest.raises(PermanentFetchError, match="cap once inflated"):
                asyncio.run(go())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert [r.path for r in server.requests] == ["/bomb.html"]
    assert peak < 3 * cap, f"peak {peak:,} bytes traced"


@pytest.mark.parametrize(
    "fault", [Drop(), Truncate(), Delay(2.0)], ids=["drop", "truncate", "timeout"]
)
def test_network_faults_are_transient_and_retried(fault: FaultAction) -> None:
    """Over the shipped transport (aiohttp): a dropped connection, a truncated body and a
    response slower than the timeout are each a TransientFetchError after max_attempts."""
    from tests.support.sample_site import SampleSite, SampleSiteServer

    with SampleSiteServer(SampleSite(seed=0)) as server:
        settings = settings_from_mapping(
            {
                "site": {"base_url": server.base_url, "layout": "k2"},
                "http": {
                    "requests_per_second": 0,
                    "timeout_seconds": 0.5,
                    "max_attempts": 2,
                    "backoff_initial_seconds": 0.001,
                    "backoff_max_seconds": 0.01,
                },
            }
        )
        path = "/date/2020/2/1.html"
        server.faults.add(path, fault, times=None)

        async def go() -> None:
            async with make_transport(settings.http) as transport:
                await Fetcher(settings.site, settings.http, transport).get(
                    server.base_url + path, kind="listing"
                )

        with pytest.raises(TransientFetchError):
            asyncio.run(go())
        sent = len([r for r in server.requests if r.path == path])
        if isinstance(fault, Drop):
            # aiohttp resends a GET once, at once, when its connection drops unanswered.
            assert sent == 4
        elif isinstance(fault, Truncate):
            assert sent == 2
        # (A delayed answer is logged once sent, after the test.)


def test_malformed_answers_are_transient_and_cookies_are_not_kept() -> None:
    """A response that is not HTTP is a TransientFetchError (not an aiohttp error escaping);
    a Set-Cookie is never sent back."""
    seen: list[bytes] = []

    async def go() -> tuple[Page, type[BaseException] | None]:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = await reader.readuntil(b"\r\n\r\n")
            seen.append(head)
            if b"/garbage" in head:
                writer.write(b"this is not HTTP at all\r\n\r\n")
            else:
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: session=abc\r\n\r\nok"
                )
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        settings = settings_from_mapping(
            {
                "site": {"base_url": base},
                "http": {"requests_per_second": 0, "max_attempts": 1},
            }
        )
        async with server, make_transport(settings.http) as transport:
            fetcher = Fetcher(settings.site, settings.http, transport)
            page = await fetcher.get(base + "/one", kind="listing")
            await fetcher.get(base + "/two", kind="listing")
            error: type[BaseException] | None = None
            try:
                await fetcher.get(base + "/garbage", kind="listing")
            except TransientFetchError as exc:
                error = type(exc)
            return page, error

    page, error = asyncio.run(go())
    assert page.body == b"ok"
    assert error is TransientFetchError
    assert b"GET /two" in seen[1] and b"cookie" not in seen[1].lower()
