"""Each site's health read from the database: its recent runs, the runs stuck, the dates
failing, and the quiet signals (empty days, fields gone missing), judged by ``verdict``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from ingest.domain import RunStatus, utc_now
from ingest.health.verdict import FailingDate, HealthReport, ListingGaps, QuietSignals, assess
from ingest.settings import Settings, SiteSettings
from ingest.store import health as health_reads
from ingest.store import liveness, runs
from ingest.store.engine import Database

# At most this many sites named: read only theirs; more, read every site's (one pass each).
FEW_SITES = 100
RECENT_RUNS = 20


def check_sites(
    settings: Settings,
    database: Database,
    *,
    sites: Sequence[SiteSettings] | None = None,
    max_age: timedelta | None = None,
) -> list[HealthReport]:
    """Each site's ingestion health (default: every configured site), in config order;
    ``max_age`` defaults to three of the site's schedule intervals.

    Every figure comes from a handful of set-based reads over all sites, not a round of reads
    per site: 10,000 sites in well under a second (docs/performance.md, "Many sites")."""
    chosen = sites or settings.sites
    names = {site.name for site in chosen} if len(chosen) <= FEW_SITES else None
    now = utc_now()
    thresholds = settings.health
    with database.transaction() as tx:
        connection = tx.connection
        recent = _recent_runs(connection, names)
        # Stuck is judged more leniently than dead: a late heartbeat is not yet a verdict.
        stuck: dict[str, list[Any]] = defaultdict(list)
        for run in liveness.stuck_runs(connection, now, 3 * settings.schedule.heartbeat):
            stuck[run.site].append(run)
        failing = health_reads.failing_dates_by_site(connection, names)
        # A site whose layout changed is judged on the days of its current layout only.
        since = {s.name: s.current_layout_since for s in chosen if s.current_layout_since}
        days = health_reads.day_signals_by_site(connection, thresholds.empty_days, names, since)
        window = thresholds.field_window_days
        fills = health_reads.field_fills_by_site(connection, window, names, since)
        gaps = health_reads.listing_gaps_by_site(connection, names)
    no_days = health_reads.DaySignals(health_reads.DayCounts((), 0, 0), None)
    empty = health_reads.FieldFill(0, 0, 0, 0)
    return [
        assess(
            site.name,
            recent.get(site.name, []),
            stuck=stuck.get(site.name, []),
            failing_dates=[
                FailingDate(state.date, state.failing_since, state.last_error)
                for state in failing.get(site.name, [])
                if state.failing_since is not None
            ],
            now=now,
            max_age=max_age or 3 * site.schedule.interval,
            quiet=_quiet_signals(
                days.get(site.name, no_days).counts,
                *fills.get(site.name, (empty, empty)),
                settings=settings,
            ),
            listing_gaps=_gaps(gaps.get(site.name)),
        )
        for site in chosen
    ]


def _gaps(gaps: health_reads.ListingGapRow | None) -> ListingGaps:
    if gaps is None:
        return ListingGaps(0, 0, None, 0)
    return ListingGaps(gaps.days, gaps.articles, gaps.latest, gaps.latest_found)


def _recent_runs(connection: Connection, names: set[str] | None) -> dict[str, list[Any]]:
    """Each site's ``RECENT_RUNS`` newest runs, newest first: the verdict reads only the status
    of most, so those are (id, site, status), and only its last finished run and its last
    success (among these) are whole records."""
    recent = runs.recent_runs_by_site(connection, limit=RECENT_RUNS, sites=names)
    read: set[int] = set()
    for own in recent.values():
        finished = [run for run in own if run.status != RunStatus.RUNNING.value]
        success = next((r for r in finished if r.status == RunStatus.SUCCEEDED.value), None)
        read.update(run.id for run in (*finished[:1], success) if run is not None)
    records = runs.runs_by_id(connection, read)
    return {site: [records.get(run.id, run) for run in own] for site, own in recent.items()}


def _quiet_signals(
    days: health_reads.DayCounts,
    recent: health_reads.FieldFill,
    earlier: health_reads.FieldFill,
    *,
    settings: Settings,
) -> QuietSignals:
    thresholds = settings.health
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
