"""robots.txt against the real loopback sample site: what is requested, how fast, and why not."""

from __future__ import annotations

import asyncio
import itertools
import socket
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from ingest.crawl import CrawlDeps, run_crawl
from ingest.domain import RunStatus
from ingest.errors import FetchError
from ingest.fetch import Fetcher
from ingest.settings import Settings
from ingest.store import tables
from ingest.store.engine import Database
from tests.support.sample_site import SampleSite, SampleSiteServer, Status
from tests.support.settings import fast_settings

DAY = date(2020, 2, 1)
LISTING = "/date/2020/2/1.html"


def outcomes(settings: Settings, paths: list[str]) -> dict[str, str]:
    """Load robots.txt, then GET each path: "ok", or the error's message."""

    async def go() -> dict[str, str]:
        async with Fetcher(settings.site, settings.site.http) as fetcher:
            await fetcher.load_robots()
            results: dict[str, str] = {}
            for path in paths:
                try:
                    await fetcher.get(settings.site.base_url + path, kind="listing")
                    results[path] = "ok"
                except FetchError as exc:
                    results[path] = str(exc)
            return results

    return asyncio.run(go())


def served(site: SampleSite, tmp_path: Path, robots_txt: str, paths: list[str]) -> dict[str, str]:
    """``outcomes`` on a sample site serving ``robots_txt``; every refusal never requested."""
    with SampleSiteServer(site, robots_txt=robots_txt) as server:
        settings = fast_settings(server.base_url, server.listing_path, tmp_path)
        results = outcomes(settings, paths)
        requested = set(server.paths_requested())
    for path, outcome in results.items():
        refused = "disallowed by robots.txt" in outcome
        assert refused == (path not in requested), (path, outcome)
    return results


def article_path(site: SampleSite) -> str:
    return next(a.url_path for a in site.articles_on(DAY) if not a.private and not a.offsite_url)


def test_longest_match_and_wildcards(site: SampleSite, tmp_path: Path) -> None:
    """The longer Allow wins over a shorter Disallow; ``*`` refuses a query anywhere."""
    article = article_path(site)
    robots = "User-agent: *\nDisallow: /date/\nAllow: /date/2020/\nDisallow: /*?print=\n"
    results = served(
        site, tmp_path, robots, [LISTING, "/date/2019/2/1.html", article, article + "?print=1"]
    )
    assert results[LISTING] == "ok" and results[article] == "ok"
    assert "disallowed by robots.txt" in results["/date/2019/2/1.html"]
    assert "disallowed by robots.txt" in results[article + "?print=1"]


def test_dollar_anchors_the_end(site: SampleSite, tmp_path: Path) -> None:
    """``$`` refuses the exact path only, not the same path with a query or a suffix."""
    robots = f"User-agent: *\nDisallow: {LISTING}$\nDisallow: /*.html?catid=9$\n"
    paths = [LISTING, LISTING + "?catid=3", LISTING + "?catid=9", LISTING + "?catid=99"]
    results = served(site, tmp_path, robots, paths)
    refused = {path for path, outcome in results.items() if outcome != "ok"}
    assert refused == {LISTING, LISTING + "?catid=9"}


def test_our_own_group_overrides_the_star_group(
    site: SampleSite, tmp_path: Path, database: Database
) -> None:
    """A group naming ``etilaf-ingest`` replaces ``*`` for us: listings allowed, articles not."""
    robots = "User-agent: *\nDisallow: /\n\nUser-agent: etilaf-ingest\nDisallow: /media-center/\n"
    with SampleSiteServer(site, robots_txt=robots) as server:
        settings = fast_settings(server.base_url, server.listing_path, tmp_path)
        summary = run_crawl(settings.site, DAY, DAY, CrawlDeps(database))
        requested = server.paths_requested()
    assert summary.status is RunStatus.SUCCEEDED
    assert requested == ["/robots.txt", LISTING]
    with database.transaction() as tx:
        sources = set(tx.connection.scalars(select(tables.articles.c.body_source)))
    assert {str(source) for source in sources} == {"listing"}


def test_crawl_delay_spaces_requests(site: SampleSite, tmp_path: Path, database: Database) -> None:
    """Crawl-delay 0.3 s under an unlimited configured rate: every request starts 0.3 s apart."""
    delay = 0.3
    robots = f"User-agent: *\nDisallow: /tmp/\nCrawl-delay: {delay}\n"
    with SampleSiteServer(site, robots_txt=robots) as server:
        settings = fast_settings(server.base_url, server.listing_path, tmp_path, concurrency=4)
        with capture_logs() as logs:
            summary = run_crawl(settings.site, DAY, DAY, CrawlDeps(database))
        times = [record.time for record in server.requests]
    assert summary.status is RunStatus.SUCCEEDED
    assert len(times) >= 4  # robots.txt, the listing, its articles
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # Stamped when each response is sent, so one slow response can shorten the gap after it;
    # the whole span cannot shrink by more than the first response's time. Without the
    # delay every gap is a few milliseconds.
    assert min(gaps) >= delay * 0.5, gaps
    assert times[-1] - times[0] >= (len(times) - 1) * delay - 0.05, gaps
    events = [e for e in logs if e["event"] == "robots_crawl_delay"]
    assert len(events) == 1
    assert events[0]["seconds"] == delay and events[0]["requests_per_second"] == 3.333


def test_crawl_delay_faster_than_configured_rate_changes_nothing(
    site: SampleSite, tmp_path: Path
) -> None:
    """The slower of the two wins: a short Crawl-delay leaves a slow configured rate alone."""
    with SampleSiteServer(site, robots_txt="User-agent: *\nCrawl-delay: 0.01\n") as server:
        settings = fast_settings(
            server.base_url, server.listing_path, tmp_path, requests_per_second=2.0
        )
        with capture_logs() as logs:
            outcomes(settings, [LISTING])
    [event] = [e for e in logs if e["event"] == "robots_crawl_delay"]
    assert event["requests_per_second"] == 2.0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_unreachable_site_says_robots_could_not_be_fetched(
    tmp_path: Path, database: Database
) -> None:
    """Connection refused: every date fails saying robots.txt could not be fetched, and why."""
    base_url = f"http://127.0.0.1:{closed_port()}"
    settings = fast_settings(base_url, "/date/{year}/{month}/{day}.html", tmp_path)
    with capture_logs() as logs:
        summary = run_crawl(settings.site, DAY, DAY, CrawlDeps(database))
    assert summary.status is RunStatus.FAILED
    [event] = [e for e in logs if e["event"] == "robots_unreachable"]
    reason = event["reason"]
    assert reason.startswith("robots.txt could not be fetched (connection error: ")
    assert reason.endswith("): RFC 9309 allows nothing until it can be read")
    with database.transaction() as tx:
        errors = list(tx.connection.scalars(select(tables.crawl_state.c.last_error)))
    assert errors == [reason]


def test_robots_answering_503_says_so(site: SampleSite, tmp_path: Path) -> None:
    """A 5xx robots.txt refuses every URL, naming the status, and nothing else is requested."""
    with SampleSiteServer(site) as server:
        server.faults.add("/robots.txt", Status(503), times=None)
        settings = fast_settings(server.base_url, server.listing_path, tmp_path)
        results = outcomes(settings, [LISTING])
        assert set(server.paths_requested()) == {"/robots.txt"}
    assert results[LISTING] == (
        "robots.txt could not be fetched (HTTP 503): RFC 9309 allows nothing until it can be read"
    )


@pytest.mark.parametrize("status", [404, 410])
def test_missing_robots_allows_everything(site: SampleSite, tmp_path: Path, status: int) -> None:
    """A 4xx robots.txt means no restrictions."""
    with SampleSiteServer(site) as server:
        server.faults.add("/robots.txt", Status(status), times=None)
        settings = fast_settings(server.base_url, server.listing_path, tmp_path)
        assert outcomes(settings, [LISTING, "/tmp/x"]) == {LISTING: "ok", "/tmp/x": "HTTP 404"}
