"""Every site's health in a few set-based reads: the same verdicts and figures as reading each
site alone (the per-site reads of ``store.runs`` / ``store.health``, judged by ``assess``)."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ingest import health
from ingest.domain import ArticleRecord, BodySource, DateStatus, RunKind, RunStatus
from ingest.health import FailingDate, HealthReport, ListingGaps, QuietSignals, assess
from ingest.health import reads as health_module
from ingest.settings import Settings, settings_from_mapping
from ingest.store import health as health_reads
from ingest.store import liveness, runs
from ingest.store.articles import store_day
from ingest.store.days import record_date_state
from ingest.store.engine import Database
from ingest.store.runs import RunCounts, finish_run, start_run
from ingest.text import title_key

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()


def settings_for(url: str, names: list[str]) -> Settings:
    return settings_from_mapping(
        {
            "sites": [{"name": n, "base_url": f"https://{n}.example"} for n in names],
            "schedule": {"interval": "1h"},
            "health": {"empty_days": 5, "field_window_days": 7},
            "database": {"url": url},
        }
    )


def add_runs(database: Database, site: str, statuses: list[str], *, tie: bool = False) -> None:
    """Oldest first, an hour apart ending an hour ago; ``tie``: the oldest four start together
    (the newest 20 end among them: their order is their ids')."""
    with database.transaction() as tx:
        for n, status in enumerate(statuses):
            back = len(statuses) - n
            started = NOW - timedelta(hours=min(back, len(statuses) - 3) if tie else back)
            run_id = start_run(tx.connection, site=site, kind=RunKind.SCHEDULED, date_from=None,
                               date_to=None, now=started, owner=f"host:{n}:t")  # fmt: skip
            if status != "running":
                finish_run(tx.connection, run_id, status=RunStatus(status),
                           counts=RunCounts(), error_summary=f"error {n}; more",
                           now=started + timedelta(minutes=1))  # fmt: skip
        tx.commit()


def add_days(
    database: Database, site: str, counts: list[int], *, failed: tuple[int, ...] = (),
    failing_for: timedelta = timedelta(hours=2), missing_from: int | None = None,
    found_elsewhere: dict[int, int] | None = None,
) -> None:  # fmt: skip
    """Day ``n`` back from today (``counts[n]`` articles), newest first; ``failed`` days failed
    for ``failing_for``; articles of days newer than ``missing_from`` lack their category;
    day ``n`` of ``found_elsewhere`` had that many articles its listing lacked."""
    with database.transaction() as tx:
        run_id = start_run(tx.connection, site=site, kind=RunKind.BACKFILL, date_from=None,
                           date_to=None, now=NOW - timedelta(days=60))  # fmt: skip
        for n, count in enumerate(counts):
            day = TODAY - timedelta(days=n)
            bare = missing_from is not None and n < missing_from
            records = [
                ArticleRecord(site, day, f"{day} {i}", title_key(f"{day} {i}"), f"https://x/{i}",
                              None if bare else "news", "body", BodySource.ARTICLE, "h", NOW)
                for i in range(count)
            ]  # fmt: skip
            store_day(tx.connection, site, day, records, run_id=run_id, now=NOW)
            status = DateStatus.FAILED if n in failed else DateStatus.COMPLETE
            record_date_state(tx.connection, site=site, day=day, status=status, item_count=count,
                              error="HTTP 503" if n in failed else None, run_id=run_id,
                              now=NOW - failing_for,
                              found_elsewhere=(found_elsewhere or {}).get(n, 0))  # fmt: skip
        finish_run(tx.connection, run_id, status=RunStatus.SUCCEEDED, counts=RunCounts(),
                   error_summary=None, now=NOW - timedelta(days=59))  # fmt: skip
        tx.commit()


def one_by_one(settings: Settings, database: Database) -> list[HealthReport]:
    """The reference: each site read alone, as ``check_sites`` did before it read them all."""
    reports = []
    thresholds = settings.health
    with database.transaction() as tx:
        conn = tx.connection
        for site in settings.sites:
            name = site.name
            recent = runs.recent_runs(conn, limit=20, site=name)
            late = 3 * settings.schedule.heartbeat
            stuck = [r for r in liveness.stuck_runs(conn, NOW, late) if r.site == name]
            failing = [FailingDate(s.date, s.failing_since, s.last_error)
                       for s in health_reads.failing_dates(conn, name)]  # fmt: skip
            days = health_reads.recent_day_counts(conn, name, thresholds.empty_days)
            latest = health_reads.latest_complete_date(conn, name)
            fill_recent = fill_earlier = health_reads.FieldFill(0, 0, 0, 0)
            if latest is not None:
                cutoff = latest - timedelta(days=thresholds.field_window_days - 1)
                fill_recent = health_reads.field_fill(conn, name, since=cutoff, before=None)
                fill_earlier = health_reads.field_fill(conn, name, since=None, before=cutoff)

            def fills(f: health_reads.FieldFill) -> dict[str, tuple[int, int]]:
                return {"published_at": (f.published_at, f.total),
                        "article_body": (f.article_body, f.total),
                        "category": (f.category, f.total)}  # fmt: skip

            quiet = QuietSignals(days.recent, days.earlier_days, days.earlier_items,
                                 fills(fill_earlier), fills(fill_recent), thresholds.empty_days,
                                 thresholds.empty_history_min_per_day,
                                 thresholds.field_missing_share)  # fmt: skip
            gap = health_reads.listing_gaps(conn, name)
            gaps = ListingGaps(0, 0, None, 0)
            if gap is not None:
                gaps = ListingGaps(gap.days, gap.articles, gap.latest, gap.latest_found)
            reports.append(assess(name, recent, stuck=stuck, failing_dates=failing, now=NOW,
                                  max_age=3 * site.schedule.interval, quiet=quiet,
                                  listing_gaps=gaps))  # fmt: skip
    return reports


def comparable(report: HealthReport) -> dict[str, Any]:
    figures = {k: v for k, v in report.figures.items() if k != "now"}
    return {"line": report.line, "healthy": report.healthy, **figures}


@pytest.mark.parametrize("few", [True, False], ids=["named-sites", "every-site"])
def test_every_site_at_once_says_what_each_site_alone_says(
    database: Database, database_url: str, few: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Healthy, never run, last failed, partial thrice, a success past the 20 newest runs,
    ties at the 20th, stuck, a date failing for days, empty recent days, a field gone
    missing: each verdict and figure equal to the per-site reads'."""
    if not few:  # read every site's rows, not only the named ones'
        monkeypatch.setattr(health_module, "FEW_SITES", 1)
    names = ["ok", "never", "failed", "partial", "old-success", "ties", "stuck", "dates",
             "empty", "drift", "incomplete", "unknown-elsewhere"]  # fmt: skip
    add_runs(database, "ok", ["failed", "succeeded", "succeeded"])
    add_runs(database, "failed", ["succeeded", "failed"])
    add_runs(database, "partial", ["succeeded", "partial", "partial", "partial"])
    add_runs(database, "old-success", ["succeeded"] + ["partial", "failed"] * 10)
    tied = ["failed", "succeeded", "failed", "failed"]
    add_runs(database, "ties", tied + ["partial", "failed"] * 9, tie=True)
    add_runs(database, "stuck", ["succeeded", "running"])
    add_runs(database, "dates", ["succeeded"])
    add_days(database, "dates", [3] * 10, failed=(2, 4), failing_for=timedelta(days=3))
    add_runs(database, "empty", ["succeeded"])
    add_days(database, "empty", [0] * 6 + [4] * 14, failed=(1,))
    add_runs(database, "drift", ["succeeded"])
    add_days(database, "drift", [3] * 20, missing_from=6)
    add_runs(database, "incomplete", ["succeeded"])
    # Days 2 and 5 lacked articles; day 1's count is of a failed day: not a complete one's.
    add_days(database, "incomplete", [3] * 8, failed=(1,), found_elsewhere={1: 4, 2: 1, 5: 2})
    add_runs(database, "not-configured", ["failed"])  # in the database, not asked about
    settings = settings_for(database_url, names)
    monkeypatch.setattr(health_module, "utc_now", lambda: NOW)

    reports = health.check_sites(settings, database)

    assert [comparable(r) for r in reports] == [
        comparable(r) for r in one_by_one(settings, database)
    ]
    lines = {r.site: r.reason for r in reports}
    assert lines["ok"].startswith("healthy: last success")
    assert lines["never"] == "unhealthy: no run has succeeded yet"
    assert lines["failed"].startswith("unhealthy: the last run (")
    assert lines["partial"] == "unhealthy: the last 3 runs were partial"
    assert lines["stuck"].startswith("unhealthy: run ") and "is stuck" in lines["stuck"]
    assert lines["dates"].startswith(f"unhealthy: date {TODAY - timedelta(days=4)} has failed")
    assert lines["empty"].startswith("unhealthy: the last 5 crawled days were all empty")
    assert lines["drift"].startswith("unhealthy: category went missing")
    assert reports[names.index("incomplete")].figures["listing_incomplete"] == {
        "days": 2, "found_elsewhere": 3,
        "latest": {"date": str(TODAY - timedelta(days=2)), "found_elsewhere": 1,
                   "note": "listing incomplete (1 found elsewhere)"},
    }  # fmt: skip
    assert reports[names.index("old-success")].figures["last_success"] is None
    assert reports[names.index("ties")].figures["last_success"] is None


def test_every_site_is_judged_without_a_garbage_collection(
    database: Database, database_url: str
) -> None:
    """The reports are built with the collector paused (each batch of them used to set off
    collections that walked every report so far: 40 % of 10,000 sites' check), and it runs
    again afterwards: the young generation's collection put off till then, and no other."""
    names = [f"site-{n}" for n in range(300)]
    for name in names:
        add_runs(database, name, ["succeeded"])
    settings = settings_for(database_url, names)
    collections: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        reports = health.check_sites(settings, database)
    finally:
        gc.callbacks.remove(seen)
    assert len(reports) == 300
    assert len(collections) <= 1, collections  # the one put off, once the collector is back
    assert gc.isenabled()
