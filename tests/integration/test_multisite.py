"""Several sites in one deployment: one run record each, crawled side by side."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from ingest import crawl, health
from ingest.crawl import RunSummary, SiteSkipped
from ingest.domain import RunStatus
from ingest.settings import Settings, settings_from_mapping
from ingest.store import tables
from ingest.store.engine import Database
from tests.support.sample_site import SampleSite, SampleSiteServer, Status

FAST_HTTP = {
    "requests_per_second": 0.0,
    "timeout_seconds": 2.0,
    "backoff_initial_seconds": 0.01,
    "backoff_max_seconds": 0.05,
    "max_attempts": 2,
}


def two_sites(a: SampleSiteServer, b: SampleSiteServer, tmp_path: Path, url: str) -> Settings:
    return settings_from_mapping(
        {
            "http": FAST_HTTP,
            "sites": [
                {"name": "alpha", "base_url": a.base_url, "layout": "k2"},
                {"name": "beta", "base_url": b.base_url, "layout": "k2",
                 "http": {"concurrency": 1}},
            ],
            "database": {"url": url},
            "logging": {"file": str(tmp_path / "ingest.jsonl")},
            "archive": {"dir": str(tmp_path / "warc")},
        }
    )  # fmt: skip


def test_backfill_crawls_every_site_with_its_own_run(
    tmp_path: Path, database_url: str, database: Database
) -> None:
    """Two sites, one backfill: a run record per site, each site's articles under its name,
    and a failing site leaves the other's run succeeded."""
    with (
        SampleSiteServer(SampleSite(seed=1)) as a,
        SampleSiteServer(SampleSite(seed=2)) as b,
    ):
        b.faults.add(lambda path: path.startswith("/date/2020/2/2."), Status(404), times=None)
        settings = two_sites(a, b, tmp_path, database_url)
        first, last = date(2020, 2, 1), date(2020, 2, 3)
        outcomes = crawl.backfill(settings, database, first, last)
        by_site = {o.site: o for o in outcomes}
        assert set(by_site) == {"alpha", "beta"}
        alpha, beta = by_site["alpha"], by_site["beta"]
        assert isinstance(alpha, RunSummary) and isinstance(beta, RunSummary)
        assert alpha.status is RunStatus.SUCCEEDED
        assert beta.status is RunStatus.PARTIAL and beta.failed_dates == (date(2020, 2, 2),)
        with database.transaction() as tx:
            runs = {r.site: r.status for r in tx.connection.execute(select(tables.runs))}
            titles = {
                site: {t for (t,) in tx.connection.execute(
                    select(tables.articles.c.title).where(tables.articles.c.site == site))}
                for site in ("alpha", "beta")
            }  # fmt: skip
        assert runs == {"alpha": "succeeded", "beta": "partial"}
        for server, name in ((a, "alpha"), (b, "beta")):
            days = [first, last] if name == "beta" else [first, date(2020, 2, 2), last]
            want = {r.title for d in days for r in server.site.expected_records(d, base_url="x")}
            assert titles[name] == want
        reports = {r.site: r for r in health.check_sites(settings, database)}
        assert reports["alpha"].healthy and not reports["beta"].healthy
        assert reports["beta"].line.startswith("beta: unhealthy")
        only_beta = crawl.backfill(settings, database, first, last, sites=settings.sites[1:])
        assert [o.site for o in only_beta] == ["beta"]
        assert not isinstance(only_beta[0], SiteSkipped)
