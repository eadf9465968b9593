"""Politeness is per host: two configured sites on one host, crawled side by side by one
``ingest backfill``, together keep that host's strictest concurrency and rate, and read its
robots.txt once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ingest.crawl import RunSummary, backfill
from ingest.domain import RunStatus
from ingest.settings import settings_from_mapping
from ingest.store.engine import Database
from tests.support.sample_site import SampleSite, SampleSiteServer
from tests.support.servers import Reply, ScriptedServer, Seen

# Each answer takes this long, so requests overlap whenever the limits let them.
ANSWER_SECONDS = 0.15
STRICT_CONCURRENCY = 2
STRICT_RATE = 20.0  # requests per second: starts 50 ms apart


class _Pages(SampleSiteServer):
    """The sample site's renderer (never started), its links pointing at another server."""

    def __init__(self, site: SampleSite, server: ScriptedServer) -> None:
        super().__init__(site)
        self._server = server

    @property
    def base_url(self) -> str:
        return self._server.base_url


def sample_pages(site: SampleSite) -> ScriptedServer:
    """The sample site's K2 pages (fault-free), answered after ANSWER_SECONDS by a server
    that counts the requests in flight and stamps each arrival."""
    server = ScriptedServer()
    pages = _Pages(site, server)

    def answer(seen: Seen) -> Reply:
        page = pages.respond(seen.path, dict(seen.headers))
        headers = {"Content-Type": page.content_type, **page.headers}
        return Reply(page.status, page.body, headers, delay=ANSWER_SECONDS)

    server.fallback = answer
    return server


def test_two_sites_on_one_host_keep_its_strictest_limits(
    tmp_path: Path, database_url: str, database: Database
) -> None:
    """alpha asks for 4 requests at once and no rate, beta for 2 at 20 a second, both on
    127.0.0.1: together they never have more than 2 requests in flight nor start two within
    50 ms (each run with its own limits would have 6 in flight, and alpha unpaced), and
    robots.txt is requested once for both."""
    with sample_pages(SampleSite(seed=0)) as server:
        fast = {"timeout_seconds": 5.0, "backoff_initial_seconds": 0.01, "max_attempts": 2}
        settings = settings_from_mapping(
            {
                "http": fast,
                "sites": [
                    {"name": "alpha", "base_url": server.base_url, "layout": "k2",
                     "http": {"concurrency": 4, "requests_per_second": 0}},
                    {"name": "beta", "base_url": server.base_url, "layout": "k2",
                     "http": {"concurrency": STRICT_CONCURRENCY,
                              "requests_per_second": STRICT_RATE}},
                ],
                "database": {"url": database_url},
                "logging": {"file": str(tmp_path / "ingest.jsonl")},
                "archive": {"dir": str(tmp_path / "warc")},
            }
        )  # fmt: skip
        outcomes = backfill(settings, database, date(2020, 2, 1), date(2020, 2, 2))
        requests = list(server.requests)
    assert [o.site for o in outcomes] == ["alpha", "beta"]
    for outcome in outcomes:
        assert isinstance(outcome, RunSummary) and outcome.status is RunStatus.SUCCEEDED
        assert outcome.counts.pages_fetched > 3  # each site fetched its own listings, articles
    assert [seen.path for seen in requests].count("/robots.txt") == 1
    # Both sites' requests were under way together: the limits, not turn-taking, held them.
    assert max(seen.in_flight for seen in requests) == STRICT_CONCURRENCY
    arrivals = sorted(seen.arrived for seen in requests)
    interval = 1 / STRICT_RATE
    # Stamped as each request arrives: on a busy machine a server thread may stamp one late,
    # shortening the gap after it by as much. So every 4 gaps in a row span 4 intervals, less
    # one interval for such a late stamp; unpaced, alpha sends 4 requests within milliseconds.
    spans = [later - earlier for earlier, later in zip(arrivals, arrivals[4:], strict=False)]
    assert min(spans) >= 3 * interval, spans
    assert arrivals[-1] - arrivals[0] >= (len(arrivals) - 1) * interval * 0.95
