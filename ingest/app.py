"""The service layer: what each command does, wired from settings. Entry points call these."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import msgspec
import structlog
from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from ingest.domain import RunKind, utc_now
from ingest.errors import ConfigError, SchemaError
from ingest.health import FailingDate, HealthReport, QuietSignals, assess
from ingest.settings import Settings, SiteSettings
from ingest.store import articles, liveness, runs
from ingest.store import health as health_reads
from ingest.store.backup import Backup, backup_sqlite
from ingest.store.engine import Database
from ingest.store.schema import UPGRADE_HINT, require_current_schema

# Imported where used: a command that does not crawl (health, runs, export) loads neither the
# HTTP client nor the crawl pipeline, nor Alembic unless it migrates.
if TYPE_CHECKING:
    from ingest.crawl import Outcome, Progress

log = structlog.get_logger("ingest.app")


DEMO_SITE_NAME = "etilaf-sample"
DEMO_RANGE = (date(2020, 2, 1), date(2020, 2, 29))


Access = Literal["crawl", "read", "upgrade"]


def open_database(settings: Settings, *, access: Access = "crawl") -> Database:
    """The configured database, checked for what the command will do with it.

    Every command first reaches the database: when it cannot, one line names the engine, host
    and port and the driver's reason (``DatabaseUnavailableError``). ``read`` (health, runs,
    export) never writes: a SQLite file that does not exist yet or a schema behind the code is
    a ``SchemaError`` naming ``ingest db upgrade``. ``crawl`` brings the schema to this code's
    version when ``database.auto_migrate`` (else requires it) and closes the records of runs
    whose process died. ``upgrade`` migrates.
    """
    url = settings.database.url
    if access == "read":
        _require_sqlite_file(url)
    database = Database.from_url(
        url,
        outage_timeout=settings.database.outage_timeout_delta,
        heartbeat=settings.schedule.heartbeat,
    )
    try:
        database.ping()
        if access == "read" or (access == "crawl" and not settings.database.auto_migrate):
            require_current_schema(database.engine)
        else:
            from ingest.store.migrate import upgrade_to_head

            upgrade_to_head(database.engine)
        if access == "crawl":
            # A crawl notices runs whose process died and closes their records.
            with database.transaction() as tx:
                abandoned = liveness.mark_abandoned_runs(tx.connection, utc_now(), database.witness)
                tx.commit()
            if abandoned:
                log.warning("runs_abandoned", run_ids=abandoned)
    except BaseException:
        database.dispose()
        raise
    return database


def _require_sqlite_file(url: str) -> None:
    """A reading command does not create the SQLite file that a crawl would."""
    parsed = make_url(url)
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return
    if not Path(path).is_file():
        raise SchemaError(f"no database at {path} yet: a crawl creates it, or {UPGRADE_HINT}")


def backup_database(settings: Settings, target: Path) -> Backup:
    """A consistent copy of the configured SQLite database at ``target`` (``db backup``)."""
    parsed = make_url(settings.database.url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise ConfigError(
            "db backup copies a SQLite database; for PostgreSQL use its own tool, pg_dump "
            "(e.g. pg_dump --format=custom --file=ingest.dump DBNAME; restore with pg_restore)"
        )
    if parsed.database == ":memory:":
        raise ConfigError("db backup: an in-memory database has nothing to back up")
    return backup_sqlite(Path(parsed.database), target)


def backfill(
    settings: Settings,
    database: Database,
    first: date,
    last: date,
    *,
    sites: Sequence[SiteSettings] | None = None,
    force: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
) -> list[Outcome]:
    """Crawl ``first`` .. ``last`` of each site (default: every configured site), in parallel."""
    from ingest.crawl import CrawlDeps, crawl_sites
    from ingest.fetch import Hosts

    deps = CrawlDeps(
        database,
        on_progress=on_progress,
        heartbeat=settings.schedule.heartbeat,
        hosts=Hosts.for_sites(settings.sites),
    )
    return crawl_sites(
        sites or settings.sites,
        lambda _site: (first, last),
        deps,
        kind=RunKind.BACKFILL,
        force=force,
        parallel=settings.schedule.max_parallel_sites,
    )


@dataclass(frozen=True, slots=True)
class RunView:
    """A run as people read it."""

    id: int
    site: str
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    date_from: date | None
    date_to: date | None
    dates_total: int
    dates_done: int
    dates_failed: int
    dates_skipped: int
    pages_fetched: int
    pages_failed: int
    pages_not_modified: int
    articles_new: int
    articles_updated: int
    articles_unchanged: int
    duplicates: int
    error_summary: str | None
    owner: str | None

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def recent_runs(
    database: Database, *, limit: int, sites: Sequence[str] | None = None
) -> Sequence[RunView]:
    names = [f.name for f in dataclasses.fields(RunView)]
    with database.transaction() as tx:
        return [
            RunView(**{name: getattr(run, name) for name in names})
            for run in runs.recent_runs(tx.connection, limit=limit, sites=sites)
        ]


def demo_settings(settings: Settings, base_url: str, listing_path: str) -> Settings:
    """The configured settings with one site: the bundled K2 sample site on loopback."""
    # Loopback is free: no rate limit, more requests in flight, short backoff.
    http = msgspec.structs.replace(
        settings.http,
        requests_per_second=0.0,
        concurrency=8,
        backoff_initial_seconds=0.05,
        backoff_max_seconds=1.0,
    )
    site = SiteSettings(
        name=DEMO_SITE_NAME,
        base_url=base_url,
        listing_path=listing_path,
        timezone="Asia/Damascus",
        layout="k2",
        http=http,
    )
    return msgspec.structs.replace(settings, sites=(site,))


def run_as_dict(run: RunView) -> dict[str, object]:
    data: dict[str, object] = dataclasses.asdict(run)
    for key, value in data.items():
        if isinstance(value, date | datetime):
            data[key] = value.isoformat()
    data["duration_seconds"] = run.duration_seconds
    return data


def count_articles(database: Database, site: str, first: date, last: date) -> int:
    with database.transaction() as tx:
        return articles.count_articles(tx.connection, site, first, last)


def stored_articles_preview(
    database: Database, site: str, first: date, last: date, *, limit: int
) -> list[str]:
    """A few stored articles as lines for a person: date, category, title."""
    with database.transaction() as tx:
        stored = articles.articles_between(tx.connection, site, first, last, limit=limit)
    return [
        f"  {day.isoformat()}  {(category or '-')[:16]:<16}  {title[:90]}"
        for day, category, title in stored
    ]


def health(
    settings: Settings,
    database: Database,
    *,
    sites: Sequence[SiteSettings] | None = None,
    max_age: timedelta | None = None,
) -> list[HealthReport]:
    """Each site's ingestion health (default: every configured site), in config order."""
    return [
        site_health(site, settings, database, max_age=max_age) for site in (sites or settings.sites)
    ]


def site_health(
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
            max_age=max_age or 3 * site_settings.schedule.interval_delta,
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
