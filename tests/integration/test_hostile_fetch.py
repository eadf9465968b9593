"""Hostile sites against the fetcher (issue 27): stacked codings, other origins, user info,
robots.txt tricks and a proxy's credentials.

Every case runs the production request path (``Fetcher`` over ``AiohttpTransport``) against
real servers on loopback; a second server on another port plays "the same host, elsewhere".
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import MutableMapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from ingest.crawl import CrawlDeps, run_crawl
from ingest.domain import RunStatus
from ingest.errors import FetchError, TransientFetchError
from ingest.fetch import Fetcher, Hosts, Page
from ingest.fetch.fetcher import ROBOTS_MAX_BYTES
from ingest.settings import Settings, settings_from_mapping
from ingest.store import tables
from ingest.store.engine import Database
from tests.support.sample_site import SampleSite, SampleSiteServer, Stacked
from tests.support.servers import Reply, ScriptedServer, closed_port
from tests.support.settings import fast_settings


def settings_for(base_url: str, **http: object) -> Settings:
    values: dict[str, object] = {
        "requests_per_second": 0,
        "backoff_initial_seconds": 0.001,
        "backoff_max_seconds": 0.01,
        "max_attempts": 2,
    }
    return settings_from_mapping({"site": {"base_url": base_url}, "http": values | http})


def fetch_all(settings: Settings, urls: list[str], *, robots: bool = False) -> dict[str, str]:
    """GET each URL (robots.txt read first, if asked): "ok", or the error's message."""

    async def go() -> dict[str, str]:
        async with Fetcher(settings.site, settings.site.http) as fetcher:
            if robots:
                await fetcher.load_robots()
            results: dict[str, str] = {}
            for url in urls:
                try:
                    await fetcher.get(url, kind="article")
                    results[url] = "ok"
                except FetchError as exc:
                    results[url] = str(exc)
            return results

    return asyncio.run(go())


def on_site(settings: Settings, url: str) -> bool:
    async def go() -> bool:
        async with Fetcher(settings.site, settings.site.http) as fetcher:
            return fetcher.is_on_site(url)

    return asyncio.run(go())


# -- Content-Encoding --------------------------------------------------------------------


def test_stacked_content_codings_are_a_permanent_failure_of_the_page() -> None:
    """``gzip, gzip, …`` a thousand times is refused at once, as the page's own failure
    (it raised RecursionError, which crashed the run)."""
    body = b"<p>ok</p>"
    for _ in range(1000):
        body = gzip.compress(body, compresslevel=1, mtime=0)
    stacked = Reply(body=body, headers={"Content-Encoding": ", ".join(["gzip"] * 1000)})
    with ScriptedServer({"/stacked": stacked}) as server:
        settings = settings_for(server.base_url, max_body_bytes=10_000_000)
        results = fetch_all(settings, [server.base_url + "/stacked"])
        assert server.paths == ["/stacked"]  # not retried
    [reason] = results.values()
    assert reason == "1000 content codings stacked (gzip, gzip, gzip, …): at most 1 is accepted"


def test_stacked_codings_fail_their_date_never_the_run(
    site: SampleSite, tmp_path: Path, database: Database
) -> None:
    """In a crawl, the listing with stacked codings fails its date, saying why; the next date
    is stored and the run ends partial, not crashed."""
    first, second = date(2020, 2, 1), date(2020, 2, 2)
    with SampleSiteServer(site) as server:
        settings = fast_settings(server.base_url, server.listing_path, tmp_path)
        server.faults.add("/date/2020/2/1.html", Stacked(1000), times=None)
        summary = run_crawl(settings.site, first, second, CrawlDeps(database))
    assert summary.status is RunStatus.PARTIAL
    assert summary.failed_dates == (first,)
    with database.transaction() as tx:
        rows = dict(
            tx.connection.execute(
                select(tables.crawl_state.c.date, tables.crawl_state.c.last_error)
            ).all()
        )
    assert "1000 content codings stacked" in str(rows[first])
    assert rows[second] is None


# -- Same origin ---------------------------------------------------------------------------


def test_same_host_on_another_port_is_off_site() -> None:
    """A link to the site's host on another port is not the site: never requested, and a
    redirect there is refused (``GET /ssrf-otherport`` reached the other port)."""
    with ScriptedServer({"/ssrf-otherport": Reply(body=b"internal")}) as other:
        routes = {"/jump": Reply(302, headers={"Location": other.base_url + "/ssrf-otherport"})}
        with ScriptedServer(routes) as site:
            settings = settings_for(site.base_url)
            link = other.base_url + "/ssrf-otherport"
            assert not on_site(settings, link)
            results = fetch_all(settings, [link, site.base_url + "/jump"])
            assert site.paths == ["/jump"]
        assert other.paths == []
    assert results[link] == f"off-site URL {link} refused"
    assert results[settings.site.base_url + "/jump"] == f"off-site redirect to {link} refused"


def test_same_host_and_port_on_another_scheme_is_off_site() -> None:
    """``https://`` on an http site's own (non-default) port is another origin: refused
    before any request, not tried and failed as a connection error."""
    with ScriptedServer() as site:
        settings = settings_for(site.base_url)
        link = site.base_url.replace("http://", "https://") + "/a"
        assert not on_site(settings, link)
        results = fetch_all(settings, [link])
        assert site.paths == []
    assert results[link] == f"off-site URL {link} refused"


def test_user_info_in_a_link_is_never_sent() -> None:
    """A link with ``user:password@`` on the site's own origin is refused, not requested
    with ``Authorization: Basic``; so is a redirect to one."""
    with ScriptedServer({"/a": Reply(body=b"ok")}) as site:
        host = site.base_url.removeprefix("http://")
        link = f"http://admin:hunter2@{host}/a"
        site.routes["/jump"] = Reply(302, headers={"Location": link})
        settings = settings_for(site.base_url)
        assert not on_site(settings, link)
        results = fetch_all(settings, [link, site.base_url + "/jump"])
        assert site.paths == ["/jump"]
        assert all("authorization" not in seen.headers for seen in site.requests)
    assert results[link] == f"URL {link} refused: user info is never sent"
    jump = settings.site.base_url + "/jump"
    assert results[jump] == f"redirect to {link} refused: user info is never sent"


def test_the_site_own_origin_is_fetched_however_it_is_spelled() -> None:
    """The origin with its port written out, or its host in capitals, is the site."""
    with ScriptedServer({"/a": Reply(body=b"ok")}) as site:
        settings = settings_for(site.base_url)
        port = site.base_url.rpartition(":")[2]
        spelled = [f"http://127.0.0.1:{port}/a", f"HTTP://127.0.0.1:{port}/a?x=1"]
        assert fetch_all(settings, spelled) == dict.fromkeys(spelled, "ok")


# -- robots.txt ----------------------------------------------------------------------------


def test_robots_redirect_to_another_authority_is_followed() -> None:
    """RFC 9309: robots.txt's redirects are followed, across authorities: the other
    server's ``Disallow: /`` holds (it became robots_missing, allowing all)."""
    disallow = Reply(body=b"User-agent: *\nDisallow: /\n")
    with ScriptedServer({"/robots.txt": disallow}, host="localhost") as other:
        hops = {
            "/robots.txt": Reply(301, headers={"Location": "/r1"}),
            "/r1": Reply(302, headers={"Location": "/r2"}),
            "/r2": Reply(307, headers={"Location": "/r3"}),
            "/r3": Reply(308, headers={"Location": "/r4"}),
            "/r4": Reply(301, headers={"Location": other.base_url + "/robots.txt"}),
            "/a": Reply(body=b"ok"),
        }
        with ScriptedServer(hops) as site:
            settings = settings_for(site.base_url)
            results = fetch_all(settings, [site.base_url + "/a"], robots=True)
            assert site.paths == ["/robots.txt", "/r1", "/r2", "/r3", "/r4"]
        assert other.paths == ["/robots.txt"]
    refused = f"{settings.site.base_url}/a"
    assert results == {refused: f"{refused} is disallowed by robots.txt"}


def test_robots_more_than_five_redirects_is_missing() -> None:
    """A sixth redirect is not followed: RFC 9309 lets the file count as unavailable."""
    hops = {f"/r{n}": Reply(301, headers={"Location": f"/r{n + 1}"}) for n in range(10)}
    hops["/robots.txt"] = Reply(301, headers={"Location": "/r0"})
    hops["/a"] = Reply(body=b"ok")
    with ScriptedServer(hops) as site:
        settings = settings_for(site.base_url)
        with capture_logs() as logs:
            results = fetch_all(settings, [site.base_url + "/a"], robots=True)
        assert site.paths == ["/robots.txt", "/r0", "/r1", "/r2", "/r3", "/r4", "/a"]
    assert results == {settings.site.base_url + "/a": "ok"}
    [missing] = [e for e in logs if e["event"] == "robots_missing"]
    assert missing["reason"] == "more than 5 redirects"


@pytest.mark.parametrize("chunk", [None, 64 * 1024], ids=["declared", "chunked"])
def test_oversized_robots_is_read_up_to_500_kib(chunk: int | None) -> None:
    """A 10 MB robots.txt starting with ``Disallow: /``: its first 500 KiB are obeyed (the
    file was refused at the size cap and became robots_missing: allow all)."""
    head = b"User-agent: *\nDisallow: /\n"
    body = head + b"# filler filler filler filler filler filler filler filler filler\n" * 170_000
    assert len(body) > 10 * 1024 * 1024
    routes = {"/robots.txt": Reply(body=body, chunk=chunk), "/a": Reply(body=b"ok")}
    with ScriptedServer(routes) as site:
        settings = settings_for(site.base_url)
        with capture_logs() as logs:
            results = fetch_all(settings, [site.base_url + "/a"], robots=True)
        assert site.paths == ["/robots.txt"]
    refused = f"{settings.site.base_url}/a"
    assert results == {refused: f"{refused} is disallowed by robots.txt"}
    [cut] = [e for e in logs if e["event"] == "robots_truncated"]
    assert cut["bytes_read"] == ROBOTS_MAX_BYTES == 500 * 1024


def test_robots_rules_past_500_kib_are_not_read() -> None:
    """Only the prefix counts: a rule past 500 KiB is not obeyed, and the line cut in two at
    the limit is not read as a rule (``Disallow: /private`` cut to ``Disallow: /``)."""
    start = b"User-agent: *\nDisallow: /secret\n"
    cut_rule = b"Disallow: /private\n"
    filler = b"#" * (ROBOTS_MAX_BYTES - len(start) - len(b"Disallow: /") - 1) + b"\n"
    body = start + filler + cut_rule + b"Disallow: /late\n"
    assert body[:ROBOTS_MAX_BYTES].endswith(b"\nDisallow: /")
    routes = {"/robots.txt": Reply(body=body), "/a": Reply(body=b"ok"), "/late/x": Reply()}
    with ScriptedServer(routes) as site:
        settings = settings_for(site.base_url)
        urls = [site.base_url + path for path in ("/a", "/late/x", "/secret/x")]
        results = fetch_all(settings, urls, robots=True)
    assert results[urls[0]] == results[urls[1]] == "ok"
    assert results[urls[2]].endswith("is disallowed by robots.txt")


def test_robots_in_a_coding_we_cannot_decode_allows_nothing() -> None:
    """We do not decode brotli and do not ask for it; a brotli robots.txt sent anyway is
    unreadable, so nothing is allowed (it became robots_missing: allow all)."""
    routes = {
        "/robots.txt": Reply(body=b"\x1b\x1a\x00\xf8brotli", headers={"Content-Encoding": "br"}),
        "/a": Reply(body=b"ok"),
    }
    with ScriptedServer(routes) as site:
        settings = settings_for(site.base_url)
        results = fetch_all(settings, [site.base_url + "/a"], robots=True)
        [asked] = site.requests
    assert "br" not in asked.headers["accept-encoding"]
    assert results == {
        settings.site.base_url + "/a": "robots.txt could not be fetched (unsupported "
        "content-encoding 'br'): RFC 9309 allows nothing until it can be read"
    }


def test_gzip_robots_is_read() -> None:
    """A coding we decode is read like any page's."""
    text = b"User-agent: *\nDisallow: /private/\n"
    routes = {
        "/robots.txt": Reply(body=gzip.compress(text), headers={"Content-Encoding": "gzip"}),
        "/a": Reply(body=b"ok"),
    }
    with ScriptedServer(routes) as site:
        settings = settings_for(site.base_url)
        urls = [site.base_url + "/a", site.base_url + "/private/b"]
        results = fetch_all(settings, urls, robots=True)
    assert results[urls[0]] == "ok" and results[urls[1]].endswith("disallowed by robots.txt")


def crawl_delay_logs(settings: Settings) -> tuple[float, list[MutableMapping[str, Any]]]:
    """The requests per second after load_robots, in two runs of one process (one ``Hosts``,
    as the daemon's sites), and the log. (Overlapping, so they share one read: a second read
    would wait out the very delay.)"""
    hosts = Hosts()

    async def go() -> float:
        site, http = settings.site, settings.site.http
        async with Fetcher(site, http, hosts) as first, Fetcher(site, http, hosts) as second:
            await first.load_robots()
            await second.load_robots()
            assert first._slot is second._slot
            return second._slot._rate.rate

    with capture_logs() as logs:
        rate = asyncio.run(go())
    return rate, logs


def test_huge_crawl_delay_is_capped_with_a_warning() -> None:
    """``Crawl-delay: 100000000`` is cut to ``max_crawl_delay_seconds`` (60 by default), with
    one warning in the process, not one per run; it was obeyed, one request every three
    years."""
    robots = Reply(body=b"User-agent: *\nCrawl-delay: 100000000\n")
    with ScriptedServer({"/robots.txt": robots}) as site:
        rate, logs = crawl_delay_logs(settings_for(site.base_url))
    assert rate == pytest.approx(1 / 60)
    capped = [e for e in logs if e["event"] == "robots_crawl_delay_capped"]
    assert [(e["log_level"], e["seconds"], e["max_crawl_delay_seconds"]) for e in capped] == [
        ("warning", 100000000.0, 60.0)
    ]


def test_a_site_own_crawl_delay_ceiling() -> None:
    """A site's ``[sites.http] max_crawl_delay_seconds`` overrides the default one."""
    robots = Reply(body=b"User-agent: *\nCrawl-delay: 30\n")
    with ScriptedServer({"/robots.txt": robots}) as site:
        settings = settings_from_mapping(
            {
                "http": {"requests_per_second": 0},
                "sites": [
                    {"name": "a", "base_url": site.base_url, "http": {"max_crawl_delay_seconds": 5}}
                ],
            }
        )
        assert settings.http.max_crawl_delay_seconds == 60.0
        rate, logs = crawl_delay_logs(settings)
    assert rate == pytest.approx(1 / 5)
    assert sum(e["event"] == "robots_crawl_delay_capped" for e in logs) == 1
    under = settings_for("http://x.invalid", max_crawl_delay_seconds=0)
    assert under.site.http.max_crawl_delay_seconds == 0.0


# -- the proxy's credentials ---------------------------------------------------------------

PASSWORD = "p@ss:w%25rd"  # raw "@" and ":", and "%" percent-encoded
SHOWN = ("p@ss", "w%25rd", "w%rd", "p%40ss", PASSWORD)


def proxy_failures(proxy: str, target: str) -> tuple[str, list[MutableMapping[str, Any]]]:
    settings = settings_from_mapping(
        {
            "site": {"base_url": target},
            "http": {"proxy": proxy, "max_attempts": 1, "requests_per_second": 0},
        }
    )

    async def go() -> str:
        async with Fetcher(settings.site, settings.site.http) as fetcher:
            try:
                page: Page = await fetcher.get(target + "/a", kind="listing")
            except FetchError as exc:
                assert exc.__cause__ is None  # aiohttp's error holds Proxy-Authorization
                return str(exc)
            return f"HTTP {page.status}"

    with capture_logs() as logs:
        reason = asyncio.run(go())
    return reason, logs


@pytest.mark.parametrize("target", ["http://site.invalid", "https://site.invalid"])
def test_proxy_credentials_never_reach_errors_or_logs(target: str) -> None:
    """A proxy that refuses (407 to a GET, 501 to a CONNECT) or is not there: neither the
    error nor any log line of the fetch shows the password, in any spelling (aiohttp's error
    named the proxy's whole URL, re-encoded)."""
    texts = []
    with ScriptedServer(fallback=lambda seen: Reply(407)) as refusing:
        proxy_ports = (int(refusing.base_url.rpartition(":")[2]), closed_port())
        for proxy_port in proxy_ports:
            proxy = f"http://hunter:{PASSWORD}@127.0.0.1:{proxy_port}"
            reason, logs = proxy_failures(proxy, target)
            texts += [reason, json.dumps(logs, default=str)]
            if proxy_port == proxy_ports[0] and target.startswith("https"):
                assert f"***@127.0.0.1:{proxy_port}" in reason  # the 501 names the proxy
    for text in texts:
        for secret in SHOWN:
            assert secret not in text, (secret, text)


def test_proxy_password_with_a_raw_slash_is_a_config_error() -> None:
    """A raw ``/`` in the password would make the host be read from inside it (and aiohttp's
    error then showed the whole URL): refused at load, masked."""
    from ingest.errors import ConfigError

    with pytest.raises(ConfigError) as refused:
        settings_for("http://x.invalid", proxy="http://hunter:pa/ss@127.0.0.1:3128")
    assert "pa/ss" not in str(refused.value) and "hunter" not in str(refused.value)
    assert "'http://***@127.0.0.1:3128'" in str(refused.value)


def test_unreachable_proxy_is_transient() -> None:
    """(Unchanged) a proxy that is not there is a connection error, retried."""
    proxy = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(TransientFetchError, match=r"^connection error: "):
        settings = settings_for("http://site.invalid", proxy=proxy)

        async def go() -> None:
            async with Fetcher(settings.site, settings.site.http) as fetcher:
                await fetcher.get("http://site.invalid/a", kind="listing")

        asyncio.run(go())
