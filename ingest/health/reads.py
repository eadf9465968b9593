"""Each site's health read from the database: its recent runs, the runs stuck, the dates
failing, and the quiet signals (empty days, fields gone missing), judged by ``verdict``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

import msgspec
from sqlalchemy import Connection

from ingest.domain import RunStatus, utc_now
from ingest.health.verdict import JUDGED_VERSION, HealthReport, conclude, history, quiet_figures
from ingest.heap import collection_paused
from ingest.settings import Settings, SiteSettings
from ingest.store import figures, liveness, runs
from ingest.store import health as health_reads
from ingest.store.engine import Database

# At most this many sites named: read only theirs; more, read every site's (one pass each).
FEW_SITES = 100


def check_sites(
    settings: Settings,
    database: Database,
    *,
    sites: Sequence[SiteSettings] | None = None,
    max_age: timedelta | None = None,
) -> list[HealthReport]:
    """Each site's ingestion health (default: every configured site), in config order;
    ``max_age`` defaults to three of the site's schedule intervals.

    Each site as its last run left it (``store.figures``: one row a site, what its runs, dates
    and articles say whatever the time), with what the time changes added (``conclude``).
    Afresh, in a few set-based reads over those sites: a site with a run under way or without
    a row, and the quiet signals judged with other thresholds. 10,000 sites in well under a
    second (docs/performance.md, "Many sites"), with the garbage collector paused: the
    reports are thousands of small acyclic objects that refcounting alone frees."""
    with collection_paused():
        return _check(settings, database, sites or settings.sites, max_age)


def _check(
    settings: Settings,
    database: Database,
    chosen: Sequence[SiteSettings],
    max_age: timedelta | None,
) -> list[HealthReport]:
    names = {site.name for site in chosen} if len(chosen) <= FEW_SITES else None
    now = utc_now()
    bases = _bases(settings, chosen)
    spelled = {basis: basis.key for basis in set(bases.values())}
    keys = {name: spelled[basis] for name, basis in bases.items()}
    with database.transaction() as tx:
        connection = tx.connection
        running = figures.running_sites(connection)
        rows = figures.read(connection, names)
        # Stuck is judged more leniently than dead: a late heartbeat is not yet a verdict.
        stuck: dict[str, list[Any]] = defaultdict(list)
        for run in liveness.stuck_runs(connection, now, 3 * settings.schedule.heartbeat):
            stuck[run.site].append(run)
        kept: dict[str, dict[str, Any]] = {}
        quiet: dict[str, dict[str, Any]] = {}
        for name in keys:
            row = rows.get(name)
            if row is None or name in running:
                continue
            said = _decode(row.history)
            if said.get("version") == JUDGED_VERSION:
                kept[name] = said
                if row.quiet_basis == keys[name]:
                    quiet[name] = _decode(row.quiet)
        fresh = {name for name in keys if name not in kept}
        unjudged = {name for name in keys if name not in quiet}
        recent = _recent_runs(connection, _by_name(fresh)) if fresh else {}
        failing = health_reads.failing_dates_by_site(connection, _by_name(fresh)) if fresh else {}
        gaps = health_reads.listing_gaps_by_site(connection, _by_name(fresh)) if fresh else {}
        if unjudged:
            quiet.update(_judge_quiet(connection, settings, chosen, unjudged, bases))
    for name in fresh:
        failing_dates = figures.failing_dates(failing.get(name, []))
        gaps_of = figures.listing_gaps(gaps.get(name))
        kept[name] = history(recent.get(name, []), failing_dates, gaps_of)
    return [
        conclude(
            site.name,
            kept[site.name],
            quiet[site.name],
            stuck=stuck.get(site.name, []),
            now=now,
            max_age=max_age or 3 * site.schedule.interval,
        )
        for site in chosen
    ]


# Sites read afresh up to this many are named in the reads; more, every site is read.
_BY_NAME = 1000


def _by_name(sites: set[str]) -> set[str] | None:
    return sites if len(sites) <= _BY_NAME else None


# msgspec's JSON decoder: a third of the json module's time on these rows.
_decode: Callable[[str], dict[str, Any]] = msgspec.json.Decoder(dict[str, Any]).decode


def _basis(settings: Settings, site: SiteSettings) -> figures.QuietBasis:
    return figures.QuietBasis.of(settings.health, site.current_layout_since)


def _bases(settings: Settings, chosen: Sequence[SiteSettings]) -> dict[str, figures.QuietBasis]:
    """Each site's basis: one object for the sites whose layout began on the same day (all
    of them, mostly), so each key is spelled once."""
    shared: dict[date | None, figures.QuietBasis] = {}
    found = {}
    for site in chosen:
        since = site.current_layout_since
        if since not in shared:
            shared[since] = figures.QuietBasis.of(settings.health, since)
        found[site.name] = shared[since]
    return found


def _judge_quiet(
    connection: Connection,
    settings: Settings,
    chosen: Sequence[SiteSettings],
    unjudged: set[str],
    bases: dict[str, figures.QuietBasis],
) -> dict[str, dict[str, Any]]:
    """The quiet figures of the ``unjudged`` sites, read afresh."""
    thresholds = settings.health
    # A site whose layout changed is judged on the days of its current layout only.
    since = {s.name: s.current_layout_since for s in chosen if s.current_layout_since}
    names = _by_name(unjudged)
    days = health_reads.day_signals_by_site(connection, thresholds.empty_days, names, since)
    window = thresholds.field_window_days
    fills = health_reads.field_fills_by_site(connection, window, names, since)
    no_days = health_reads.DaySignals(health_reads.DayCounts((), 0, 0), None)
    empty = health_reads.FieldFill(0, 0, 0, 0)
    found = {}
    for name in unjudged:
        recent, earlier = fills.get(name, (empty, empty))
        counts = days.get(name, no_days).counts
        found[name] = quiet_figures(figures.quiet_signals(counts, recent, earlier, bases[name]))
    return found


def _recent_runs(connection: Connection, names: set[str] | None) -> dict[str, list[Any]]:
    """Each site's newest runs (``figures.RECENT_RUNS``), newest first: the verdict reads only
    the status of most, so those are (id, site, status), and only its last finished run and
    its last success (among these) are whole records."""
    recent = runs.recent_runs_by_site(connection, limit=figures.RECENT_RUNS, sites=names)
    read: set[int] = set()
    for own in recent.values():
        finished = [run for run in own if run.status != RunStatus.RUNNING.value]
        success = next((r for r in finished if r.status == RunStatus.SUCCEEDED.value), None)
        read.update(run.id for run in (*finished[:1], success) if run is not None)
    records = runs.runs_by_id(connection, read)
    return {site: [records.get(run.id, run) for run in own] for site, own in recent.items()}
