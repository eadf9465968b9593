"""The sitemap layout end to end: the sample site served without date archives (an index, a
gzip child, a Google News sitemap, WordPress post pages) over loopback HTTP into a real
database, through ``crawl.backfill`` as the ``backfill`` command runs it.

What a correct reader stores is ``sitemaps.sitemap_expected``: every public post the sitemaps
place on a date of the range, on its own page's date.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ingest.crawl import RunSummary, backfill
from ingest.domain import RunStatus
from ingest.settings import Settings
from ingest.store import tables
from ingest.store.engine import Database
from tests.support import archive
from tests.support.archive import Row
from tests.support.sample_site import SampleSite, SampleSiteServer, Status
from tests.support.sample_site.sitemaps import (
    ARTICLE_SELECTORS,
    INDEX_PATH,
    NEWS_PATH,
    month_path,
    sitemap_expected,
    without_post_footer,
)
from tests.support.settings import loopback_settings

SPAN = (date(2020, 1, 1), date(2020, 2, 29))
FIRST, LAST = date(2020, 2, 1), date(2020, 2, 12)
Key = tuple[date, str]


@pytest.fixture
def sitemap_server(site: SampleSite) -> Iterator[SampleSiteServer]:
    with SampleSiteServer(site, sitemap_only=True, api_span=SPAN) as server:
        yield server


def configure(tmp_path: Path, url: str, server: SampleSiteServer, **site: Any) -> Settings:
    table = {
        "name": "news",
        "base_url": server.base_url,
        "layout": "sitemap",
        "listing_path": INDEX_PATH,
        "timezone": "Asia/Damascus",
        **site,
    }
    return loopback_settings(tmp_path, url, table)


def crawl(
    settings: Settings, database: Database, first: date, last: date, *, force: bool = False
) -> RunSummary:
    (outcome,) = backfill(settings, database, first, last, force=force)
    assert isinstance(outcome, RunSummary), outcome
    return outcome


def stored(database: Database) -> dict[Key, Row]:
    return {
        key: (url, category, without_post_footer(body), published_at)
        for key, (url, category, body, published_at) in archive.stored(database, "news").items()
    }


def truth(server: SampleSiteServer, first: date, last: date) -> dict[Key, Row]:
    expected = sitemap_expected(server.site, server.base_url, SPAN, first, last)
    return {
        (day, r.title): (r.url, r.category, r.body, r.published_at)
        for day, records in expected.items()
        for r in records
    }


def states(database: Database) -> dict[date, tuple[str, int]]:
    with database.transaction() as tx:
        rows = tx.connection.execute(select(tables.crawl_state)).all()
    return {s.date: (s.status, s.item_count) for s in rows}


def test_backfill_stores_each_article_on_its_own_date(
    sitemap_server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """Through the index, the gzip and plain monthly children and the news sitemap, with the
    site's article selectors: the store equals the truth exactly. Posts whose ``lastmod`` is
    a day late are stored on their own date, before the range too; every date is complete."""
    server = sitemap_server
    settings = configure(tmp_path, database_url, server, selectors=ARTICLE_SELECTORS)
    run = crawl(settings, database, FIRST, LAST)
    assert run.status == RunStatus.SUCCEEDED
    got, want = stored(database), truth(server, FIRST, LAST)
    assert got == want
    assert len(got) > 40
    assert any(day < FIRST for day, _ in got), "a post edited the next morning, stored on its day"
    assert {day for day, (status, _) in states(database).items() if status == "complete"} == {
        d for d in (date(2020, 2, n) for n in range(1, 13))
    }
    paths = server.paths_requested()
    assert paths.count(INDEX_PATH) == 1, "the index is read once a run"
    assert paths.count(month_path(2020, 2)) == 1 and paths.count(NEWS_PATH) == 1
    # January's child changed last on February 1st (a post of the 31st, edited): read.
    assert paths.count(month_path(2020, 1)) == 1
    assert not any("/private/" in p for p in paths), "robots.txt keeps the reader off"
    # Again, from the 5th: every entry unchanged, no article page fetched again, and
    # January's child, last changed before the 5th, cannot hold an entry: not read.
    server.reset_counters()
    again = crawl(settings, database, date(2020, 2, 5), LAST, force=True)
    assert again.status == RunStatus.SUCCEEDED
    assert again.counts.articles_new == 0 and again.counts.articles_updated == 0
    assert again.counts.articles_unchanged > 20
    assert stored(database) == want
    # Only the second post of a story posted twice on a day is fetched again: no article is
    # stored at its URL (the date keeps the first one).
    requested = server.paths_requested()
    assert requested[:4] == ["/robots.txt", INDEX_PATH, NEWS_PATH, month_path(2020, 2)]
    assert len(requested[4:]) == again.counts.duplicates == 2


def test_generic_reading_without_selectors(
    sitemap_server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """Without selectors the page's metadata gives title, time and category exactly, and
    trafilatura the body: on this theme most bodies come out exactly as the selectors read
    them (the rest differ by the theme's furniture, not by lost articles)."""
    server = sitemap_server
    settings = configure(tmp_path, database_url, server)
    assert crawl(settings, database, FIRST, LAST).status == RunStatus.SUCCEEDED
    got, want = stored(database), truth(server, FIRST, LAST)
    assert set(got) == set(want)
    assert {k: v[:2] + v[3:] for k, v in got.items()} == {k: v[:2] + v[3:] for k, v in want.items()}
    exact = sum(got[k][2] == want[k][2] for k in want)
    assert exact >= 0.8 * len(want), f"{exact} of {len(want)} bodies exact"


def test_a_failing_article_page_fails_only_its_date(
    sitemap_server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """An article page that keeps answering 503 fails the date its entry is placed on; the
    other dates are complete, and a rerun completes it."""
    server = sitemap_server
    settings = configure(tmp_path, database_url, server, selectors=ARTICLE_SELECTORS)
    day = date(2020, 2, 3)
    victim = next(r for r in truth(server, day, day).items() if r[0][0] == day)
    victim_path = victim[1][0].removeprefix(server.base_url)
    server.faults.add(victim_path, Status(503), times=None)
    first = crawl(settings, database, FIRST, LAST)
    assert first.status == RunStatus.PARTIAL
    assert {d for d, (status, _) in states(database).items() if status == "failed"} == {day}
    server.faults.clear()
    assert crawl(settings, database, FIRST, LAST).status == RunStatus.SUCCEEDED
    assert stored(database) == truth(server, FIRST, LAST)


def test_a_broken_sitemap_fails_the_dates_it_may_hold(
    sitemap_server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """A child sitemap that cannot be read fails the dates it may hold: none is complete
    without it."""
    server = sitemap_server
    server.faults.add(month_path(2020, 2), Status(404), times=None)
    settings = configure(tmp_path, database_url, server, selectors=ARTICLE_SELECTORS)
    run = crawl(settings, database, FIRST, FIRST)
    assert run.status == RunStatus.FAILED
    assert states(database) == {FIRST: ("failed", 0)}
    assert stored(database) == {}
