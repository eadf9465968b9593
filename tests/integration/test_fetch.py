"""The fetcher on the edges a sample site does not reach: redirects, caps, codings, retries.

Every case runs the production request path (``Fetcher`` over ``AiohttpTransport``) against
a server on loopback that answers as the test scripts it (``tests.support.servers``).
"""

from __future__ import annotations

import asyncio
import tracemalloc
import zlib
from collections.abc import Mapping

import pytest

from ingest.errors import PermanentFetchError, TransientFetchError
from ingest.fetch import Fetcher, Page
from ingest.settings import Settings, settings_from_mapping
from tests.support.sample_site import Delay, Drop, FaultAction, Truncate
from tests.support.servers import Reply, ScriptedServer


def settings_for(server: ScriptedServer, **http: object) -> Settings:
    """Quick retries, no rate limit, a 1000-byte cap unless ``http`` says otherwise."""
    values: dict[str, object] = {
        "requests_per_second": 0,
        "backoff_initial_seconds": 0.001,
        "backoff_max_seconds": 0.01,
        "max_attempts": 3,
        "max_body_bytes": 1000,
    }
    return settings_from_mapping({"site": {"base_url": server.base_url}, "http": values | http})


def fetch(server: ScriptedServer, path_or_url: str, **http: object) -> tuple[Page, Fetcher]:
    settings = settings_for(server, **http)
    url = path_or_url if "://" in path_or_url else server.base_url + path_or_url

    async def go() -> tuple[Page, Fetcher]:
        async with Fetcher(settings.site, settings.http) as fetcher:
            return await fetcher.get(url, kind="listing"), fetcher

    return asyncio.run(go())


def test_redirect_within_the_site_is_followed() -> None:
    """A redirect to the same host is followed and the final URL is reported."""
    routes = {"/old": Reply(301, headers={"Location": "/new"}), "/new": Reply(body=b"ok")}
    with ScriptedServer(routes) as server:
        page, _ = fetch(server, "/old")
        assert page.url == server.base_url + "/new" and page.body == b"ok"
        assert server.paths == ["/old", "/new"]


def test_redirect_off_the_site_is_refused_and_not_followed() -> None:
    """An off-site redirect is a permanent failure; the other host is never contacted."""
    with ScriptedServer({"/x": Reply(body=b"elsewhere")}, host="localhost") as other:
        with ScriptedServer(
            {"/a": Reply(302, headers={"Location": other.base_url + "/x"})}
        ) as site:
            with pytest.raises(PermanentFetchError, match="off-site redirect"):
                fetch(site, "/a")
            assert site.paths == ["/a"]
        assert other.paths == []


def test_off_site_url_is_never_requested() -> None:
    """A URL on another host is refused before any request."""
    with ScriptedServer(host="localhost") as other, ScriptedServer() as site:
        with pytest.raises(PermanentFetchError, match="off-site URL"):
            fetch(site, other.base_url + "/a")
        assert other.paths == [] and site.paths == []


@pytest.mark.parametrize("chunk", [None, 512], ids=["declared", "chunked"])
def test_body_over_the_cap_is_refused_without_retry(chunk: int | None) -> None:
    """A response above max_body_bytes is refused once, its length declared or not."""
    with ScriptedServer({"/big": Reply(body=b"x" * 5000, chunk=chunk)}) as server:
        with pytest.raises(PermanentFetchError, match="cap"):
            fetch(server, "/big")
        assert server.paths == ["/big"]


def test_retries_stop_after_max_attempts() -> None:
    """A 503 forever is tried max_attempts times, then fails as transient."""
    with ScriptedServer({"/down": Reply(503, headers={"Retry-After": "0"})}) as server:
        with pytest.raises(TransientFetchError, match="HTTP 503"):
            fetch(server, "/down")
        assert server.paths == ["/down"] * 3


def test_connection_refused_is_transient_and_retried() -> None:
    """aiohttp's connector error leaves the transport as the product's own, once: a
    TransientFetchError saying "connection error", tried max_attempts times."""
    from tests.support.servers import closed_port

    settings = settings_from_mapping(
        {
            "site": {"base_url": f"http://127.0.0.1:{closed_port()}"},
            "http": {"max_attempts": 2, "backoff_initial_seconds": 0.001},
        }
    )

    async def go() -> None:
        async with Fetcher(settings.site, settings.http) as fetcher:
            await fetcher.get(settings.site.base_url + "/a", kind="listing")

    with pytest.raises(TransientFetchError, match=r"^connection error: ") as raised:
        asyncio.run(go())
    assert not isinstance(raised.value.__cause__, TransientFetchError)  # aiohttp's, chained


def test_page_text_uses_the_declared_charset() -> None:
    """A page in a declared legacy charset decodes to the right text."""
    latin = Reply(
        body="café".encode("latin-1"), headers={"Content-Type": "text/html; charset=latin-1"}
    )
    with ScriptedServer({"/latin": latin}) as server:
        page, fetcher = fetch(server, "/latin")
    assert page.text == "café"
    assert fetcher.stats.pages_fetched == 1
    assert page.markup == "café"  # a legacy charset reaches the parser as text


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
            async with Fetcher(settings.site, settings.site.http) as fetcher:
                return await fetcher.get(url, kind="listing")

        page = asyncio.run(go())
        assert page.status == 200 and b"genericItemView" in page.body
        assert proxy.paths_requested() == [url]
        assert date(2020, 2, 1).strftime("%d %B %Y") in page.text


def _compressed(text: str, coding: str) -> bytes:
    wbits = {"gzip": 31, "deflate": 15, "deflate-raw": -15}[coding]
    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return compressor.compress(text.encode()) + compressor.flush()


@pytest.mark.parametrize("chunk", [None, 4096], ids=["declared", "chunked"])
@pytest.mark.parametrize("coding", ["gzip", "deflate", "deflate-raw"])
def test_compressed_page_is_inflated(coding: str, chunk: int | None) -> None:
    """gzip and deflate bodies (zlib-wrapped, as the RFC says, or raw, as some servers send)
    come out as the page, whole, past many inflate steps, read whole or chunk by chunk."""
    page_text = "<p>" + "Ειδήσεις και άλλα νέα. " * 20_000 + "</p>"  # ~0.5 MB once inflated
    encoding = "deflate" if coding == "deflate-raw" else coding
    reply = Reply(
        body=_compressed(page_text, coding), headers={"Content-Encoding": encoding}, chunk=chunk
    )
    with ScriptedServer({"/gz": reply}) as server:
        page, _ = fetch(server, "/gz", max_body_bytes=10_000_000)
        [seen] = server.requests
    assert seen.headers["accept-encoding"] == "gzip, deflate"
    assert page.text == page_text


def test_undecodable_or_unknown_coding_is_a_permanent_failure() -> None:
    routes: Mapping[str, Reply] = {
        "/bad": Reply(body=b"not gzip at all", headers={"Content-Encoding": "gzip"}),
        "/brotli": Reply(body=b"not gzip at all", headers={"Content-Encoding": "br"}),
    }
    with ScriptedServer(routes) as server:
        with pytest.raises(PermanentFetchError, match="does not decode"):
            fetch(server, "/bad")
        with pytest.raises(PermanentFetchError, match="unsupported content-encoding 'br'"):
            fetch(server, "/brotli")
        assert server.paths == ["/bad", "/brotli"]


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
            async with Fetcher(settings.site, settings.http) as fetcher:
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
            async with Fetcher(settings.site, settings.http) as fetcher:
                await fetcher.get(server.base_url + path, kind="listing")

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
        async with server, Fetcher(settings.site, settings.http) as fetcher:
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
