"""The settings types: frozen msgspec structs, one per config table, every value decoded once
(durations as ``timedelta``, time zones as ``ZoneInfo``, URLs and crontab expressions checked).
A site's own tables are in ``site``; this module holds the rest and the root, ``Settings``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from ingest.errors import ConfigError
from ingest.secrets import mask_url
from ingest.settings.base import (
    LayoutName,
    NonNegative,
    NonNegativeFloat,
    Positive,
    PositiveFloat,
)
from ingest.settings.base import Table as _Table
from ingest.settings.site import (
    PROJECT_URL,
    HttpSettings,
    LayoutPeriod,
    SiteSchedule,
    SiteSettings,
)
from ingest.settings.values import (
    Cron,
    DatabaseUrl,
    Duration,
    QuietAfter,
    WebhookUrl,
    encode_value,
)

__all__ = [
    "PROJECT_URL",
    "HttpSettings",
    "LayoutName",
    "LayoutPeriod",
    "NonNegative",
    "NonNegativeFloat",
    "Positive",
    "PositiveFloat",
    "SiteSchedule",
    "SiteSettings",
]


class DatabaseSettings(_Table, frozen=True):
    """The archive's database. ``$INGEST_DATABASE_URL`` overrides ``url``."""

    # ``sqlite:///path/to/ingest.db`` or ``postgresql+psycopg://user:password@host:5432/db``
    # (``postgresql://`` also uses psycopg 3); any other URL is refused at start. SQLite runs in
    # WAL mode with foreign keys on; its folder is made if missing, and a folder that cannot be
    # made or written is refused (exit 2) before a crawl creates anything.
    url: DatabaseUrl = DatabaseUrl("sqlite:///data/ingest.db")
    # Crawls (``backfill``, ``crawl``, ``run``, ``demo``) bring the schema to this code's
    # version at start; ``false``: they refuse an older schema, like the commands that only
    # read, which never migrate.
    auto_migrate: bool = True
    # How long a run waits for an unreachable database before it ends ``failed``
    # (docs/operations.md, "When the database is full or away").
    outage_timeout: Duration = Duration(minutes=5)
    # Run records: each site's newest ``keep_runs`` are kept (``0``: every run, nothing is
    # deleted; else at least 20, and ``alerts.after_failures`` + 10: what health and the alerts
    # read). The daemon deletes the others once ``keep_runs_days`` old, hourly, as
    # ``ingest db purge-runs`` does; a run an article or a date still names is kept
    # (docs/operations.md, "Run records").
    keep_runs: NonNegative = 100
    # Days every run is kept for, whatever ``keep_runs`` says.
    keep_runs_days: NonNegative = 7


class ScheduleSettings(_Table, frozen=True):
    """The daemon's schedule. A site may override ``interval``, ``cron`` and
    ``lookback_days`` in its own ``[sites.schedule]``."""

    # ``"45s"``, ``"30m"``, ``"2h"``: how often the daemon crawls.
    interval: Duration = Duration(minutes=30)
    # A crontab line (``"*/30 * * * *"``, in the site's time zone) instead of ``interval``;
    # setting both is an error. Checked as APScheduler reads it, without loading APScheduler.
    cron: Cron | None = None
    # The incremental window: today - lookback_days ... today.
    lookback_days: NonNegative = 3
    # Random delay added to each scheduled run.
    jitter_seconds: NonNegative = 0
    # A site run late by more than this (the machine slept, every replica was down) logs
    # ``run_late``; missed ticks are coalesced into one run at once.
    misfire_grace_seconds: NonNegative = 300
    # Site crawls running at once (per daemon replica, and for ``backfill`` and ``crawl``);
    # each keeps its own politeness limits.
    max_parallel_sites: Positive = 4
    # Runs and daemon replicas write a heartbeat this often; one on another host watched silent
    # for one and a half intervals, by a process that reached the database throughout, is taken
    # for dead and its sites are taken over (``store.liveness``; docs/operations.md, "Several
    # daemons on one PostgreSQL").
    heartbeat_seconds: PositiveFloat = 10.0

    @property
    def heartbeat(self) -> timedelta:
        return timedelta(seconds=self.heartbeat_seconds)


class LoggingSettings(_Table, frozen=True):
    """Log events: JSON lines on stderr and in the file (docs/monitoring.md)."""

    # The lowest level logged.
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Of stderr only; the file is always JSON lines.
    format: Literal["json", "console"] = "json"
    # ``""`` to log to stderr only. A crawl makes its folder (one it cannot make or write is
    # refused at start, exit 2); the commands that only read write here only when the folder
    # exists, and then one short line.
    file: str | None = "logs/ingest.jsonl"
    # Rotate the file by size (``ingest.jsonl.1`` ...); an external logrotate is also safe: the
    # file is reopened when moved.
    max_bytes: NonNegative = 50 * 1024 * 1024
    # Rotated files kept.
    backups: NonNegative = 5


class ArchiveSettings(_Table, frozen=True):
    """The WARC archive: every response a crawl receives, kept as it arrived (docs/operations.md,
    "The WARC archive")."""

    # Keep every response as WARC/1.1 records; this is an archiver, so on unless switched off.
    enabled: bool = True
    # The folder of the WARC files, made owner-only when the product makes it; a relative path
    # is relative to the working directory, as ``database.url``'s SQLite file is.
    dir: str = "data/warc"
    # A file is closed and a new one begun once it would pass this size.
    max_file_bytes: Positive = 1024 * 1024 * 1024


class MetricsSettings(_Table, frozen=True):
    """The daemon's Prometheus endpoint (docs/monitoring.md)."""

    # The daemon serves Prometheus ``/metrics`` and ``/healthz`` on this port; unset: no server.
    # A port already taken is refused at start (exit 2), before anything is created.
    port: Annotated[int, Meta(ge=0, le=65535)] | None = None
    # The metrics bind address (``0.0.0.0`` in a container).
    host: str = "127.0.0.1"


class HealthSettings(_Table, frozen=True):
    """Thresholds of the quiet failures: days that went empty, fields that went missing."""

    # Unhealthy when the last ``empty_days`` crawled days are all empty, while the stored days
    # before them averaged at least ``empty_history_min_per_day`` articles a day.
    empty_days: Positive = 14
    # The average a day the stored days before the empty ones must have reached for
    # ``empty_days`` to count.
    empty_history_min_per_day: NonNegativeFloat = 1.0
    # Articles of the last ``field_window_days`` crawled days are compared with the ones before
    # (see ``field_missing_share``).
    field_window_days: Positive = 14
    # Unhealthy when a field filled on most earlier articles (60 %: ``published_at``, a body
    # from the article page, ``category``) is missing on more than this share of the articles
    # of the last ``field_window_days`` crawled days: drift.
    field_missing_share: Annotated[float, Meta(gt=0, le=1)] = 0.5


class SiteAlertSettings(_Table, frozen=True):
    """One site's own alert keys, in ``[alerts.sites.NAME]``."""

    # ``"off"``, or a duration: this site's "nothing new" alert, instead of
    # ``alerts.quiet_after``.
    quiet_after: QuietAfter | None = None


class AlertSettings(_Table, frozen=True):
    """Webhook alerts on each health transition of a site (for hosts without Alertmanager)."""

    # The webhook URL (docs/monitoring.md, "Webhook alerts"). Neither it nor ``url_env``:
    # alerts are off.
    url: WebhookUrl | None = None
    # The name of an environment variable holding the webhook URL (read at load time, so the
    # secret stays out of the file).
    url_env: str | None = None
    # ``json`` (ours) or ``slack`` (an incoming webhook's ``text`` and ``blocks``).
    format: Literal["json", "slack"] = "json"
    # The health alert fires after this many consecutive failed, partial or abandoned runs (or
    # at once for any other health reason).
    after_failures: Positive = 2
    # "Nothing new": the quiet alert fires when no new article was stored for this long
    # (``"2d"``); unset or ``"off"``: off.
    quiet_after: QuietAfter | None = None
    # Per delivery: each attempt's timeout.
    timeout_seconds: PositiveFloat = 10.0
    # Per delivery: attempts within one check.
    max_attempts: Positive = 3
    # Per delivery: backoff between attempts (exponential, full jitter).
    backoff_seconds: NonNegativeFloat = 1.0
    # One site's own alert keys, ``[alerts.sites.NAME]``.
    sites: dict[str, SiteAlertSettings] = msgspec.field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.url is not None or self.url_env is not None

    def quiet_after_for(self, site: str) -> timedelta | None:
        """The site's "nothing new" threshold, or None when that alert is off for it."""
        own = self.sites.get(site)
        chosen = own.quiet_after if own is not None and own.quiet_after is not None else None
        chosen = chosen if chosen is not None else self.quiet_after
        return chosen or None  # "off" is a zero duration


class Settings(_Table, frozen=True):
    sites: tuple[SiteSettings, ...] = (SiteSettings(),)
    # The [http] and [schedule] tables as written: the defaults every site starts from.
    http: HttpSettings = msgspec.field(default_factory=HttpSettings)
    database: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    schedule: ScheduleSettings = msgspec.field(default_factory=ScheduleSettings)
    logging: LoggingSettings = msgspec.field(default_factory=LoggingSettings)
    metrics: MetricsSettings = msgspec.field(default_factory=MetricsSettings)
    archive: ArchiveSettings = msgspec.field(default_factory=ArchiveSettings)
    health: HealthSettings = msgspec.field(default_factory=HealthSettings)
    alerts: AlertSettings = msgspec.field(default_factory=AlertSettings)
    source: str = "built-in defaults"

    @property
    def site(self) -> SiteSettings:
        """The first configured site: the only one of a single-site config."""
        return self.sites[0]

    @property
    def site_names(self) -> tuple[str, ...]:
        return tuple(site.name for site in self.sites)

    def select_sites(
        self,
        names: Sequence[str] | None,
        *,
        stored: Collection[str] = (),
        where: str = "stored in the database",
    ) -> tuple[SiteSettings, ...]:
        """The sites named (in config order), or all of them; ConfigError, naming the sites
        there are, for a name neither configured nor in ``stored``.

        ``stored`` (commands that only read): the sites the database holds. A name among them
        but not configured (the demo's, one removed from the config) is read with the default
        settings.
        """
        if not names:
            return self.sites
        unknown = [name for name in names if name not in self.site_names]
        missing = [name for name in unknown if name not in stored]
        if missing:
            listed = ", ".join(self.site_names)
            extra = sorted(set(stored) - set(self.site_names))
            also = f"; {where}: {', '.join(extra)}" if extra else ""
            raise ConfigError(f"no site named {missing[0]!r} (configured: {listed}{also})")
        known = tuple(site for site in self.sites if site.name in names)
        return known + tuple(
            msgspec.structs.replace(SiteSettings(), name=name) for name in dict.fromkeys(unknown)
        )

    @property
    def credential_urls(self) -> tuple[str, ...]:
        """Every configured URL that may carry a password: the database's, the proxies."""
        proxies = {http.proxy for http in (self.http, *(s.http for s in self.sites))}
        return (self.database.url, *sorted(p for p in proxies if p))

    def masked(self) -> dict[str, Any]:
        """The settings as a dict for the start-up log, every credential masked
        (``ingest.secrets.mask_url``): the database URL, the proxies, the webhook."""
        data: dict[str, Any] = msgspec.to_builtins(self, enc_hook=encode_value)
        data["database"]["url"] = mask_url(self.database.url)
        for http in (data["http"], *(site["http"] for site in data["sites"])):
            if http.get("proxy"):
                http["proxy"] = mask_url(http["proxy"])
        if self.alerts.url is not None:
            data["alerts"]["url"] = mask_url(self.alerts.url, whole=True)
        return data
