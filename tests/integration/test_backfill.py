"""Backfills against the real loopback sample site and a real SQLite file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from ingest.crawl import CrawlDeps, RunSummary, dates_between, run_crawl
from ingest.domain import RunStatus
from ingest.settings import Settings
from ingest.store import tables
from ingest.store.engine import Database
from tests.support.archive import expected, stored
from tests.support.sample_site import Delay, Drop, SampleSite, SampleSiteServer, Status
from tests.support.settings import fast_settings, with_site


def backfill(
    settings: Settings, database: Database, first: date, last: date, **kw: bool
) -> RunSummary:
    return run_crawl(settings.site, first, last, CrawlDeps(database), **kw)


def test_backfill_stores_exactly_the_sites_articles(
    site: SampleSite, server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """Seed days and generated days, every quirk: none missing, none doubled, bodies exact."""
    first, last = date(2020, 1, 25), date(2020, 2, 20)
    summary = backfill(settings, database, first, last)
    assert summary.status is RunStatus.SUCCEEDED
    assert stored(database) == expected(site, server.base_url, first, last)
    assert summary.counts.duplicates > 0
    assert summary.counts.articles_new == len(stored(database))


def test_seed_day_matches_the_real_page(
    site: SampleSite, server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """2020-02-01 holds the two seed articles, bodies ending with their source line."""
    backfill(settings, database, date(2020, 2, 1), date(2020, 2, 1))
    rows = stored(database)
    assert len(rows) == 2
    assert all(
        body.endswith("(Source: Syrian National Coalition’s Media Department)")
        for _, _, body, _ in rows.values()
    )


def test_start_offset_pagination(site: SampleSite, tmp_path: Path, database: Database) -> None:
    """Core K2's ?start=N pagination is followed through each page's own Next link."""
    with SampleSiteServer(site, pagination="start") as other:
        settings = fast_settings(other.base_url, other.listing_path, tmp_path)
        first, last = date(2020, 3, 1), date(2020, 3, 31)
        backfill(settings, database, first, last)
        assert stored(database) == expected(site, other.base_url, first, last)
        assert any("start=" in path for path in other.paths_requested())


def test_rerun_skips_complete_dates_without_requests(
    server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """A second backfill of a complete range makes no request at all; --force crawls again."""
    first, last = date(2020, 2, 1), date(2020, 2, 7)
    backfill(settings, database, first, last)
    server.reset_counters()
    again = backfill(settings, database, first, last)
    assert again.status is RunStatus.SUCCEEDED
    assert again.dates_skipped == 7
    assert server.paths_requested() == []
    forced = backfill(settings, database, first, last, force=True)
    assert forced.counts.articles_new == 0
    assert forced.counts.articles_unchanged > 0
    assert not any("/item/" in p for p in server.paths_requested()), "unchanged: no article page"


def test_transient_faults_are_retried(
    site: SampleSite, server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """503 and 429 with Retry-After, a dropped connection and a timeout all recover."""
    day = date(2020, 2, 1)
    path = "/date/2020/2/1.html"
    server.faults.add(path, Status(503, retry_after=0.2))
    server.faults.add(path, Status(429, retry_after=0))
    server.faults.add(path, Drop())
    server.faults.add(path, Delay(3.0))  # over the 2 s timeout
    summary = backfill(settings, database, day, day)
    assert summary.status is RunStatus.SUCCEEDED
    assert stored(database) == expected(site, server.base_url, day, day)
    # The delayed request is logged by the server only once its delay is over, after the run.
    statuses = [r.status for r in server.requests if r.path == path]
    assert statuses[:4] == [503, 429, 0, 200]


def test_permanently_failing_date_then_rerun_completes_only_it(
    site: SampleSite, server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """One date failing every attempt makes the run partial; the rerun fetches only that date."""
    first, last = date(2020, 2, 1), date(2020, 2, 5)
    bad = "/date/2020/2/3.html"
    server.faults.add(bad, Status(500), times=None)
    summary = backfill(settings, database, first, last)
    assert summary.status is RunStatus.PARTIAL
    assert summary.failed_dates == (date(2020, 2, 3),)
    assert server.count(bad) == settings.http.max_attempts
    with database.transaction() as tx:
        states = tables.crawl_state.c
        state = tx.connection.execute(
            select(tables.crawl_state).where(states.site == "test", states.date == date(2020, 2, 3))
        ).one()
        assert (
            state is not None
            and state.status == "failed"
            and "HTTP 500" in (state.last_error or "")
        )
        run = tx.connection.execute(
            select(tables.runs).where(tables.runs.c.id == summary.run_id)
        ).one()
        assert run is not None and run.status == "partial" and run.dates_failed == 1
    server.faults.clear()
    server.reset_counters()
    rerun = backfill(settings, database, first, last)
    assert rerun.status is RunStatus.SUCCEEDED
    assert rerun.dates_skipped == 4
    listings = [p for p in server.paths_requested() if p.startswith("/date/")]
    assert listings and all(p.startswith("/date/2020/2/3") for p in listings)
    assert stored(database) == expected(site, server.base_url, first, last)


def test_all_dates_failing_is_a_failed_run(
    server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """When no date succeeds the run is failed, not partial."""
    server.faults.add(lambda path: path.startswith("/date/"), Status(404), times=None)
    summary = backfill(settings, database, date(2020, 2, 1), date(2020, 2, 2))
    assert summary.status is RunStatus.FAILED
    assert server.count("/date/2020/2/1.html") == 1, "a 404 is not retried"


def test_edited_article_is_updated_in_place_with_a_revision(
    site: SampleSite, server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """A correction updates the one record and keeps its earlier version."""
    day = date(2020, 2, 1)
    backfill(settings, database, day, day)
    article = site.articles_on(day)[0]
    site.edit_article(article.id, intro_paragraphs=("Corrected intro.",))
    summary = backfill(settings, database, day, day, force=True)
    assert summary.counts.articles_updated == 1
    assert summary.counts.articles_new == 0
    assert stored(database) == expected(site, server.base_url, day, day)
    with database.transaction() as tx:
        revisions = tx.connection.execute(select(tables.article_revisions)).all()
        assert len(revisions) == 1
        assert "Corrected intro." not in revisions[0].body
        assert tx.connection.scalar(select(func.count(tables.articles.c.id))) == 2


def test_an_article_that_only_moved_is_no_edit(
    site: SampleSite, server: SampleSiteServer, tmp_path: Path, database: Database
) -> None:
    """The same site at another address (as a move from http to https, or the demo's new port
    each run): every article keeps its record and gets the new URL, with no revision and no
    "updated"; an article edited meanwhile is still an edit."""
    first, last = date(2020, 2, 1), date(2020, 2, 5)
    settings = fast_settings(server.base_url, server.listing_path, tmp_path)
    backfill(settings, database, first, last)
    edited = site.articles_on(first)[0]
    site.edit_article(edited.id, intro_paragraphs=("Corrected intro.",))
    with SampleSiteServer(site) as moved:
        assert moved.base_url != server.base_url
        again = fast_settings(moved.base_url, moved.listing_path, tmp_path)
        summary = backfill(again, database, first, last, force=True)
        assert stored(database) == expected(site, moved.base_url, first, last)
    assert (summary.counts.articles_new, summary.counts.articles_updated) == (0, 1)
    assert summary.counts.articles_unchanged == len(stored(database)) - 1
    with database.transaction() as tx:
        urls = tx.connection.execute(select(tables.articles.c.url)).scalars().all()
        revisions = tx.connection.execute(select(tables.article_revisions)).all()
    assert all(not url.startswith(server.base_url) for url in urls)
    assert [r.url.startswith(server.base_url) for r in revisions] == [True]


def test_offsite_and_robots_disallowed_links_are_never_requested(
    site: SampleSite, server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """Off-site and private items are stored from the listing text and never fetched."""
    first, last = date(2020, 1, 1), date(2020, 3, 31)
    backfill(settings, database, first, last)
    items = [a for d in dates_between(first, last) for a in site.articles_on(d)]
    private = [a for a in items if a.private]
    assert private and any(a.offsite_url for a in items)
    requested = set(server.paths_requested())
    assert not any(p.startswith("/media-center/private/") for p in requested)
    assert stored(database) == expected(site, server.base_url, first, last)


def test_listing_only_mode_uses_listing_text(
    site: SampleSite, server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """With fetch_article_pages off, no article page is requested and bodies are excerpts."""
    first, last = date(2020, 2, 1), date(2020, 2, 10)
    backfill(with_site(settings, fetch_article_pages=False), database, first, last)
    assert not any("/item/" in p for p in server.paths_requested())
    assert stored(database) == expected(
        site, server.base_url, first, last, fetch_article_pages=False
    )


def test_robots_disallowing_listings_fails_dates(
    site: SampleSite, tmp_path: Path, database: Database
) -> None:
    """A listing robots.txt forbids is never fetched; the date fails with that reason."""
    with SampleSiteServer(site, robots_txt="User-agent: *\nDisallow: /date/\n") as other:
        settings = fast_settings(other.base_url, other.listing_path, tmp_path)
        summary = backfill(settings, database, date(2020, 2, 1), date(2020, 2, 1))
        assert summary.status is RunStatus.FAILED
        assert other.paths_requested() == ["/robots.txt"]


def test_three_months_with_faults_store_exactly_the_site(
    site: SampleSite, server: SampleSiteServer, settings: Settings, database: Database
) -> None:
    """Random transient faults everywhere: still every article, once."""
    server.faults.random_transient(rate=0.3, seed=7)
    first, last = date(2020, 1, 1), date(2020, 3, 31)
    summary = backfill(settings, database, first, last)
    assert summary.status is RunStatus.SUCCEEDED, summary
    assert stored(database) == expected(site, server.base_url, first, last)
    with database.transaction() as tx:
        assert tx.connection.scalar(select(func.count(tables.crawl_state.c.date))) == 91


def test_oversized_response_is_refused(
    server: SampleSiteServer, tmp_path: Path, database: Database
) -> None:
    """A body over the size cap is refused and the date fails, without retrying."""
    settings = fast_settings(server.base_url, server.listing_path, tmp_path, max_body_bytes=1000)
    summary = backfill(settings, database, date(2020, 2, 1), date(2020, 2, 1))
    assert summary.status is RunStatus.FAILED
    assert server.count("/date/2020/2/1.html") == 1
