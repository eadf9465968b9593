"""Each site's health read from the database: its recent runs, the runs stuck, the dates
failing, and the quiet signals (empty days, fields gone missing), judged by ``verdict``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Connection

from ingest.domain import utc_now
from ingest.health.verdict import FailingDate, HealthReport, QuietSignals, assess
from ingest.settings import Settings, SiteSettings
from ingest.store import health as health_reads
from ingest.store import liveness, runs
from ingest.store.engine import Database


def check_sites(
    settings: Settings,
    database: Database,
    *,
    sites: Sequence[SiteSettings] | None = None,
    max_age: timedelta | None = None,
) -> list[HealthReport]:
    """Each site's ingestion health (default: every configured site), in config order."""
    return [
        check_site(site, settings, database, max_age=max_age) for site in (sites or settings.sites)
    ]


def check_site(
    site_settings: SiteSettings,
    settings: Settings,
    database: Database,
    *,
    max_age: timedelta | None,
) -> HealthReport:
    """One site's ingestion health; ``max_age`` defaults to three of its schedule intervals."""
    now = utc_now()
    site = site_settings.name
    with database.transaction() as tx:
        connection = tx.connection
        recent = runs.recent_runs(connection, limit=20, site=site)
        # Stuck is judged more leniently than dead: a late heartbeat is not yet a verdict.
        late = 3 * settings.schedule.heartbeat
        stuck = [r for r in liveness.stuck_runs(connection, now, late) if r.site == site]
        failing = [
            FailingDate(state.date, state.failing_since, state.last_error)
            for state in health_reads.failing_dates(connection, site)
            if state.failing_since is not None
        ]
        quiet = _quiet_signals(connection, site, settings)
        return assess(
            site,
            recent,
            stuck=stuck,
            failing_dates=failing,
            now=now,
            max_age=max_age or 3 * site_settings.schedule.interval,
            quiet=quiet,
        )


def _quiet_signals(conn: Connection, site: str, settings: Settings) -> QuietSignals:
    thresholds = settings.health
    days = health_reads.recent_day_counts(conn, site, thresholds.empty_days)
    latest = health_reads.latest_complete_date(conn, site)
    recent = earlier = health_reads.FieldFill(0, 0, 0, 0)
    if latest is not None:
        cutoff = latest - timedelta(days=thresholds.field_window_days - 1)
        recent = health_reads.field_fill(conn, site, since=cutoff, before=None)
        earlier = health_reads.field_fill(conn, site, since=None, before=cutoff)
    return QuietSignals(
        recent_day_items=days.recent,
        earlier_days=days.earlier_days,
        earlier_items=days.earlier_items,
        fields_earlier=_fills(earlier),
        fields_recent=_fills(recent),
        empty_days=thresholds.empty_days,
        empty_history_min_per_day=thresholds.empty_history_min_per_day,
        field_missing_share=thresholds.field_missing_share,
    )


def _fills(fill: health_reads.FieldFill) -> dict[str, tuple[int, int]]:
    return {
        "published_at": (fill.published_at, fill.total),
        "article_body": (fill.article_body, fill.total),
        "category": (fill.category, fill.total),
    }
