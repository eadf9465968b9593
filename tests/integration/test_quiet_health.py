"""Quiet failures: an archive path gone wrong, a field gone missing. Health must say so."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ingest import crawl, health
from ingest.settings import Settings, settings_from_mapping
from ingest.store.engine import Database
from tests.support.sample_site import SampleSiteServer

FAST_HTTP = {"requests_per_second": 0.0, "timeout_seconds": 2.0, "backoff_initial_seconds": 0.01}


def wordpress_site(server: SampleSiteServer, tmp_path: Path, url: str, **site: object) -> Settings:
    layout = {} if "layouts" in site else {"layout": "wordpress"}
    return settings_from_mapping(
        {
            "site": {"name": "wp", "base_url": server.base_url, **layout, **site},
            "http": FAST_HTTP,
            "health": {"empty_days": 5, "field_window_days": 7},
            "database": {"url": url},
            "logging": {"file": str(tmp_path / "ingest.jsonl")},
            "archive": {"dir": str(tmp_path / "warc")},
        }
    )


def test_wrong_archive_path_turns_health_unhealthy(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """Every day 404s at a wrong path, so every day looks complete and empty: health names it."""
    good = wordpress_site(server, tmp_path, database_url)
    crawl.backfill(good, database, date(2020, 1, 1), date(2020, 1, 20))
    (before,) = health.check_sites(good, database)
    assert before.healthy, before.line
    wrong = wordpress_site(
        server, tmp_path, database_url, listing_path="/archives/{year}/{month:02d}/{day:02d}/"
    )
    (outcome,) = crawl.backfill(wrong, database, date(2020, 1, 21), date(2020, 1, 27))
    assert not getattr(outcome, "failed_dates", None), "a 404 day is a complete, empty day"
    (after,) = health.check_sites(wrong, database)
    assert not after.healthy
    assert after.line.startswith("wp: unhealthy: the last 5 crawled days were all empty")
    assert "ingest inspect" in after.reason


def test_article_bodies_gone_missing_turn_health_unhealthy(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """Article pages stop being read (markup drift looks the same): the field is named."""
    reading = wordpress_site(server, tmp_path, database_url)
    crawl.backfill(reading, database, date(2020, 1, 1), date(2020, 1, 20))
    assert all(r.healthy for r in health.check_sites(reading, database))
    listing_only = wordpress_site(server, tmp_path, database_url, fetch_article_pages=False)
    crawl.backfill(listing_only, database, date(2020, 1, 21), date(2020, 1, 31))
    (report,) = health.check_sites(listing_only, database)
    assert not report.healthy
    assert "bodies from article pages went missing" in report.reason


def test_a_site_is_judged_by_the_days_of_its_current_layout(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """The same change, but the site says its markup changed on that day
    (``[[site.layouts]]``): the days before were another layout's, so a field it filled is
    no drift of this one, and the site is healthy."""
    reading = wordpress_site(server, tmp_path, database_url)
    crawl.backfill(reading, database, date(2020, 1, 1), date(2020, 1, 20))
    changed = wordpress_site(
        server,
        tmp_path,
        database_url,
        fetch_article_pages=False,
        layouts=[{"layout": "wordpress", "until": date(2020, 1, 20)}, {"layout": "wordpress"}],
    )
    crawl.backfill(changed, database, date(2020, 1, 21), date(2020, 1, 31))
    (report,) = health.check_sites(changed, database)
    assert report.healthy, report.line
