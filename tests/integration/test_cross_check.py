"""The cross-check end to end: the sample site's WordPress date archives compared, day by
day, with its sitemaps, over loopback HTTP into a real database, through ``crawl.backfill``
as the ``backfill`` command runs it; the REST API is off, so the sitemaps are the only other
source.

A listing that hides some posts is completed from the sitemaps, each found article marked
``sitemap`` and its day "listing incomplete" in coverage, health and the metrics; a whole
listing reports nothing, though the sitemaps place every seventh post a day late (its
``lastmod``, an edit the next morning): its page's own date says whose it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from ingest import crawl
from ingest.coverage import Kind, read_calendar
from ingest.crawl import RunSummary
from ingest.domain import RunStatus
from ingest.health import check_sites
from ingest.metrics import MetricsCollector
from ingest.settings import Settings
from ingest.store import tables
from ingest.store.engine import Database
from tests.support.archive import Row, expected
from tests.support.sample_site import SampleSite, SampleSiteServer
from tests.support.sample_site.sitemaps import INDEX_PATH, Sitemaps, hideable, hint_day
from tests.support.settings import loopback_settings

SPAN = (date(2020, 1, 1), date(2020, 2, 29))
FIRST, LAST = date(2020, 2, 1), date(2020, 2, 9)

Key = tuple[date, str]


@pytest.fixture
def wordpress(site: SampleSite) -> Iterator[SampleSiteServer]:
    with SampleSiteServer(site, api_span=SPAN, rest_api=False) as server:
        yield server


def configure(tmp_path: Path, url: str, server: SampleSiteServer) -> Settings:
    table = {"name": "news", "base_url": server.base_url, "layout": "wordpress",
             "listing_path": server.wordpress_listing_path, "timezone": "Asia/Damascus",
             "cross_check": True, "sitemap_path": INDEX_PATH}  # fmt: skip
    return loopback_settings(tmp_path, url, table)


def only(outcomes: list[crawl.Outcome]) -> RunSummary:
    (outcome,) = outcomes
    assert isinstance(outcome, RunSummary), outcome
    return outcome


def stored(database: Database) -> dict[Key, tuple[Row, str | None]]:
    with database.transaction() as tx:
        rows = tx.connection.execute(select(tables.articles)).all()
    return {
        (a.date, a.title): ((a.url, a.category, a.body, a.published_at), a.found_by) for a in rows
    }


def truth(server: SampleSiteServer) -> dict[Key, Row]:
    return expected(server.site, server.base_url, FIRST, LAST, flavour="wordpress")


def found_elsewhere(database: Database) -> dict[date, int]:
    with database.transaction() as tx:
        rows = tx.connection.execute(select(tables.crawl_state)).all()
    assert {s.status for s in rows} == {"complete"}
    return {s.date: s.found_elsewhere for s in rows if s.found_elsewhere}


def test_a_listing_that_hides_posts_is_completed_from_the_sitemap(
    wordpress: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    server = wordpress
    # The 3rd's only post (its archive then answers 404, an empty day), two of the 4th's
    # and one of the 7th's.
    hidden = {day: hideable(server.site, day, SPAN)[:count]
              for day, count in ((date(2020, 2, 3), 1), (date(2020, 2, 4), 2),
                                 (date(2020, 2, 7), 1))}  # fmt: skip
    assert [len(ids) for ids in hidden.values()] == [1, 2, 1]
    assert len(server.site.articles_on(date(2020, 2, 3))) == 1
    server.hidden_from_listing = frozenset(i for ids in hidden.values() for i in ids)
    settings = configure(tmp_path, database_url, server)

    run = only(crawl.backfill(settings, database, FIRST, LAST))

    assert run.status is RunStatus.SUCCEEDED
    want = truth(server)
    got = stored(database)
    assert {key: row for key, (row, _) in got.items()} == want
    sitemaps = Sitemaps(server.site, server.base_url, SPAN)
    hidden_urls = {
        sitemaps.url_of(a)
        for day, ids in hidden.items()
        for a in server.site.articles_on(day)
        if a.id in ids
    }
    by_source = {row[0]: source for row, source in got.values()}
    assert {url for url, source in by_source.items() if source != "listing"} == hidden_urls
    assert {by_source[url] for url in hidden_urls} == {"sitemap"}
    assert found_elsewhere(database) == {day: len(ids) for day, ids in hidden.items()}
    paths = server.paths_requested()
    assert paths.count(INDEX_PATH) == 1, "the sitemaps are read once a run, not once a day"

    calendar = read_calendar(database, "news", FIRST, LAST)
    assert calendar is not None
    marked = {d.day: d.note for d in calendar.days if d.kind is Kind.INCOMPLETE}
    assert marked == {
        date(2020, 2, 3): "listing incomplete (1 found elsewhere)",
        date(2020, 2, 4): "listing incomplete (2 found elsewhere)",
        date(2020, 2, 7): "listing incomplete (1 found elsewhere)",
    }
    (report,) = check_sites(settings, database)
    assert report.figures["listing_incomplete"] == {
        "days": 3,
        "found_elsewhere": 4,
        "latest": {"date": "2020-02-07", "found_elsewhere": 1,
                   "note": "listing incomplete (1 found elsewhere)"},
    }  # fmt: skip
    collector = MetricsCollector()
    collector.health.watch(lambda: [report])
    sample = collector.registry.get_sample_value
    assert sample("ingest_listing_incomplete_days", {"site": "news"}) == 3
    assert sample("ingest_found_elsewhere_articles", {"site": "news"}) == 4

    # Read again from the WARC archive alone: the same articles, from the same sources.
    requests = len(server.requests)
    reparsed = only(crawl.reparse(settings, database, FIRST, LAST))
    assert reparsed.status is RunStatus.SUCCEEDED
    assert len(server.requests) == requests, "not one request during the reparse"
    assert stored(database) == got
    assert found_elsewhere(database) == {day: len(ids) for day, ids in hidden.items()}


def test_a_whole_listing_reports_nothing(
    wordpress: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    server = wordpress
    settings = configure(tmp_path, database_url, server)
    edited = [
        a
        for day in crawl.dates_between(FIRST, LAST)
        for a in server.site.articles_on(day)
        if hint_day(server.site, a, SPAN) != day
    ]
    assert edited, "the sitemaps place some posts on another day than their own"

    run = only(crawl.backfill(settings, database, FIRST, LAST))

    assert run.status is RunStatus.SUCCEEDED
    got = stored(database)
    assert {key: row for key, (row, _) in got.items()} == truth(server)
    assert {source for _, source in got.values()} == {"listing"}
    assert found_elsewhere(database) == {}
    # Each post's page is read once; an edited one at most twice: by its own day's listing,
    # and by the next day's cross-check when that comes first (its page then says whose it is).
    sitemaps = Sitemaps(server.site, server.base_url, SPAN)
    twice = {sitemaps.url_of(a).removeprefix(server.base_url) for a in edited}
    reads = Counter(server.paths_requested())
    posts = {row[0].removeprefix(server.base_url) for row, _ in got.values()}
    assert {reads[path] for path in posts - twice} == {1}
    assert {reads[path] for path in twice} <= {1, 2}
    calendar = read_calendar(database, "news", FIRST, LAST)
    assert calendar is not None and not any(d.kind is Kind.INCOMPLETE for d in calendar.days)
    (report,) = check_sites(settings, database)
    assert report.figures["listing_incomplete"] == {
        "days": 0,
        "found_elsewhere": 0,
        "latest": None,
    }
