"""The settings types: frozen msgspec structs, one per config table, every value decoded once
(durations as ``timedelta``, time zones as ``ZoneInfo``, URLs and crontab expressions checked).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta, Struct

from ingest import __version__
from ingest.errors import ConfigError
from ingest.settings.values import (
    Cron,
    DatabaseUrl,
    Duration,
    ProxyUrl,
    QuietAfter,
    SiteUrl,
    WebhookUrl,
    encode_value,
    mask_url,
)
from ingest.sites import SiteShape, default_listing_path

PROJECT_URL = "https://github.com/etilaf-ingest/ingest"

Positive = Annotated[int, Meta(ge=1)]
PositiveFloat = Annotated[float, Meta(gt=0)]
NonNegative = Annotated[int, Meta(ge=0)]
NonNegativeFloat = Annotated[float, Meta(ge=0)]
LayoutName = Literal["k2", "wordpress", "wordpress-api", "selectors"]


class _Table(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A config table: frozen, unknown keys refused."""


class HttpSettings(_Table, frozen=True):
    user_agent: str = f"etilaf-ingest/{__version__} (+{PROJECT_URL})"
    timeout_seconds: PositiveFloat = 30.0
    concurrency: Positive = 4
    requests_per_second: NonNegativeFloat = 2.0
    max_attempts: Positive = 5
    backoff_initial_seconds: NonNegativeFloat = 1.0
    backoff_max_seconds: NonNegativeFloat = 60.0
    max_retry_after_seconds: NonNegativeFloat = 300.0
    max_body_bytes: Positive = 10 * 1024 * 1024
    max_redirects: NonNegative = 5
    # Every request goes through this HTTP(S) proxy when set. The environment's HTTP(S)_PROXY
    # is not read: like every setting, it is named in the config file.
    proxy: ProxyUrl | None = None


class SiteSchedule(_Table, frozen=True):
    """A site's own schedule: the top-level ``[schedule]`` values unless it overrides them."""

    interval: Duration = Duration(minutes=30)
    cron: Cron | None = None
    lookback_days: NonNegative = 3


class SiteSettings(_Table, frozen=True):
    """One site as the crawl sees it: its own markup, politeness limits and schedule."""

    name: str = "etilaf"
    base_url: SiteUrl = SiteUrl("https://en.etilaf.org")
    # Filled with the layout's default when the file leaves it out (the selectors layout has
    # none, so its sites must give one).
    listing_path: str | None = None
    timezone: zoneinfo.ZoneInfo = zoneinfo.ZoneInfo("Asia/Damascus")
    # The real site moved from Joomla + K2 to WordPress.
    layout: LayoutName = "wordpress"
    fetch_article_pages: bool = True
    respect_robots_txt: bool = True
    # The ``selectors`` layout's table: CSS selectors by key (``item``, ``title``, ...), and
    # ``missing_day_is_empty`` (a boolean).
    selectors: dict[str, str | bool] = msgspec.field(default_factory=dict)
    http: HttpSettings = msgspec.field(default_factory=HttpSettings)
    schedule: SiteSchedule = msgspec.field(default_factory=SiteSchedule)

    @property
    def host(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()

    @property
    def shape(self) -> SiteShape:
        """What the site's layout is built from (``ingest.sites.build_layout``): the crawl
        and ``inspect`` build it; the settings only check, at load, that it builds."""
        path = self.listing_path or default_listing_path(self.layout) or ""
        return SiteShape(self.base_url, path, self.timezone, dict(self.selectors))


class DatabaseSettings(_Table, frozen=True):
    url: DatabaseUrl = DatabaseUrl("sqlite:///data/ingest.db")
    # Crawls (backfill, crawl, run, demo) bring the schema to this code's version at start;
    # the commands that only read never migrate.
    auto_migrate: bool = True
    # How long a run waits for an unreachable database before it ends failed.
    outage_timeout: Duration = Duration(minutes=5)


class ScheduleSettings(_Table, frozen=True):
    interval: Duration = Duration(minutes=30)
    cron: Cron | None = None
    lookback_days: NonNegative = 3
    jitter_seconds: NonNegative = 0
    misfire_grace_seconds: NonNegative = 300
    # Site crawls the daemon runs at once; each keeps its own politeness limits.
    max_parallel_sites: Positive = 4
    # Runs and daemon replicas write a heartbeat this often; one watched silent for one and a
    # half intervals is taken for dead, and its sites are taken over (``store.liveness``).
    heartbeat_seconds: PositiveFloat = 10.0

    @property
    def heartbeat(self) -> timedelta:
        return timedelta(seconds=self.heartbeat_seconds)


class LoggingSettings(_Table, frozen=True):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "console"] = "json"
    file: str | None = "logs/ingest.jsonl"
    max_bytes: NonNegative = 50 * 1024 * 1024
    backups: NonNegative = 5


class MetricsSettings(_Table, frozen=True):
    port: Annotated[int, Meta(ge=0, le=65535)] | None = None
    host: str = "127.0.0.1"


class HealthSettings(_Table, frozen=True):
    """Thresholds of the quiet failures: days that went empty, fields that went missing."""

    # Unhealthy when the last ``empty_days`` crawled days are all empty...
    empty_days: Positive = 14
    # ...while the stored days before them averaged at least this many articles a day.
    empty_history_min_per_day: NonNegativeFloat = 1.0
    # Articles of the last ``field_window_days`` crawled days are compared with the ones before:
    field_window_days: Positive = 14
    # a field filled on most earlier articles (60 %) but missing on more than this share of
    # the recent ones is drift.
    field_missing_share: Annotated[float, Meta(gt=0, le=1)] = 0.5


class SiteAlertSettings(_Table, frozen=True):
    """One site's own alert keys, in ``[alerts.sites.NAME]``."""

    # "off", or a duration: this site's "nothing new" alert, instead of alerts.quiet_after.
    quiet_after: QuietAfter | None = None


class AlertSettings(_Table, frozen=True):
    """Webhook alerts on each health transition of a site (for hosts without Alertmanager)."""

    # The webhook URL, or the name of an environment variable holding it (read at load time,
    # so the secret stays out of the file). Neither: alerts are off.
    url: WebhookUrl | None = None
    url_env: str | None = None
    format: Literal["json", "slack"] = "json"
    # Unhealthy after this many consecutive failed or partial runs (or any other health reason).
    after_failures: Positive = 2
    # "Nothing new": no article stored for this long ("2d"); unset or "off": off.
    quiet_after: QuietAfter | None = None
    timeout_seconds: PositiveFloat = 10.0
    max_attempts: Positive = 3
    backoff_seconds: NonNegativeFloat = 1.0
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
        self, names: Sequence[str] | None, *, stored_too: bool = False
    ) -> tuple[SiteSettings, ...]:
        """The sites named (in config order), or all of them; ConfigError for an unknown name.

        With ``stored_too`` (commands that only read), a name not configured is a site stored
        in the database (the demo's, one removed from the config), with the default settings.
        """
        if not names:
            return self.sites
        unknown = [name for name in names if name not in self.site_names]
        if unknown and stored_too:
            known = tuple(site for site in self.sites if site.name in names)
            extra = tuple(msgspec.structs.replace(SiteSettings(), name=name) for name in unknown)
            return known + extra
        if unknown:
            listed = ", ".join(self.site_names)
            raise ConfigError(f"no site named {unknown[0]!r} in the config (sites: {listed})")
        return tuple(site for site in self.sites if site.name in names)

    def masked(self) -> dict[str, Any]:
        """The settings as a dict for the start-up log, with the database password hidden."""
        data: dict[str, Any] = msgspec.to_builtins(self, enc_hook=encode_value)
        data["database"]["url"] = mask_url(self.database.url)
        if self.alerts.url is not None:
            data["alerts"]["url"] = "***"  # a webhook URL is a secret as a whole
        return data
