"""The feed first (``feed = true``): the incremental crawl asks the site's RSS feed before it
reads a complete date's listing again, against the sample site's WordPress flavour and its
``/feed/`` over loopback HTTP, into a real database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from structlog.testing import capture_logs

from ingest.crawl import RunSummary
from ingest.daemon import crawl_once
from ingest.domain import RunKind, RunStatus
from ingest.settings import Settings
from ingest.store import tables
from ingest.store.engine import Database
from tests.support.sample_site import SampleSite, SampleSiteServer, Status
from tests.support.sample_site.feeds import FEED_PATH
from tests.support.settings import loopback_settings

DAY = date(2020, 2, 10)  # the feed's 10 newest posts reach back into the 9th, not the 8th
WINDOW = [DAY - timedelta(days=2), DAY - timedelta(days=1), DAY]


def configure(tmp_path: Path, url: str, server: SampleSiteServer, **site: Any) -> Settings:
    table = {"name": "news", "base_url": server.base_url, "layout": "wordpress", "feed": True,
             "schedule": {"lookback_days": 2}, **site}  # fmt: skip
    return loopback_settings(tmp_path, url, table)


def crawl(settings: Settings, database: Database, today: date = DAY) -> RunSummary:
    noon = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    (outcome,) = crawl_once(settings, database, kind=RunKind.MANUAL, clock=lambda: noon)
    assert isinstance(outcome, RunSummary) and outcome.status is RunStatus.SUCCEEDED, outcome
    return outcome


def listings(server: SampleSiteServer) -> list[str]:
    days = {f"/{d.year}/{d.month:02d}/{d.day:02d}/": d for d in WINDOW}
    return sorted(days[p].isoformat() for p in server.paths_requested() if p in days)


def stored(database: Database) -> set[tuple[date, str, str]]:
    with database.transaction() as tx:
        rows = tx.connection.execute(select(tables.articles)).all()
    return {(a.date, a.title, a.url) for a in rows}


def truth(site: SampleSite, server: SampleSiteServer) -> set[tuple[date, str, str]]:
    return {
        (day, r.title, r.url)
        for day in WINDOW
        for r in site.expected_records(day, base_url=server.base_url, flavour="wordpress")
    }


def test_a_complete_date_the_feed_vouches_for_is_not_read_again(
    site: SampleSite,
    server: SampleSiteServer,
    tmp_path: Path,
    database_url: str,
    database: Database,
) -> None:
    """First crawl: no date complete, the feed is not even read. Second: the feed vouches for
    the 10th alone (it reaches back into the 9th only), so the 8th and 9th are read as
    always. A new post on the 10th: the feed shows it, the 10th is read, the post stored."""
    server.feed_day = DAY
    settings = configure(tmp_path, database_url, server)
    crawl(settings, database)
    assert FEED_PATH not in server.paths_requested()
    assert listings(server) == [d.isoformat() for d in WINDOW]
    assert stored(database) == truth(site, server)

    server.reset_counters()
    with capture_logs() as logs:
        again = crawl(settings, database)
    assert server.paths_requested().count(FEED_PATH) == 1
    assert listings(server) == ["2020-02-08", "2020-02-09"]
    assert [e["date"] for e in logs if e["event"] == "date_unchanged_in_feed"] == ["2020-02-10"]
    assert again.counts.articles_new == again.counts.articles_updated == 0

    site.add_article(DAY, title_html="Fresh news &amp; more", intro_paragraphs=("New.",),
                     full_paragraphs=("Full.",))  # fmt: skip
    server.reset_counters()
    fresh = crawl(settings, database)
    assert listings(server) == [d.isoformat() for d in WINDOW]
    assert fresh.counts.articles_new == 1
    assert stored(database) == truth(site, server)


def test_a_feed_that_cannot_be_read_vouches_for_nothing(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """A feed answering 503 (or none at all): every date's listing is read, as without it."""
    server.feed_day = DAY
    settings = configure(tmp_path, database_url, server)
    crawl(settings, database)
    server.faults.add(FEED_PATH, Status(503), times=None)
    server.reset_counters()
    with capture_logs() as logs:
        crawl(settings, database)
    assert listings(server) == [d.isoformat() for d in WINDOW]
    assert [e["event"] for e in logs].count("feed_unreadable") == 1


def test_a_sitemap_site_with_a_feed(
    site: SampleSite, tmp_path: Path, database_url: str, database: Database
) -> None:
    """The sitemap layout takes the feed too: the date it vouches for reads no sitemap. (On
    the 13th no post has its ``lastmod`` on the next day, which the crawl could not know yet:
    the feed would rightly not vouch for a day with a post the sitemaps place later.)"""
    today = date(2020, 2, 13)
    with SampleSiteServer(site, sitemap_only=True) as server:
        server.feed_day = today
        settings = configure(
            tmp_path, database_url, server, layout="sitemap", listing_path="/sitemap_index.xml"
        )
        crawl(settings, database, today)
        first = stored(database)
        server.reset_counters()
        with capture_logs() as logs:
            crawl(settings, database, today)
        assert [e["date"] for e in logs if e["event"] == "date_unchanged_in_feed"] == ["2020-02-13"]
        read = [e["date"] for e in logs if e["event"] == "date_done" and e["status"] == "complete"]
        assert sorted(read) == ["2020-02-11", "2020-02-12"]
        assert server.paths_requested().count(FEED_PATH) == 1
        assert stored(database) == first
