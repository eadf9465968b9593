"""Settings: loaded and validated once at the edge, then passed down as one frozen object.

Order of precedence: ``--config PATH``, else ``$INGEST_CONFIG``, else ``config/ingest.toml`` in the
working directory, else the built-in defaults (the real site). ``$INGEST_DATABASE_URL`` overrides
``[database] url``. Nothing else in the package reads the environment (but ``NO_COLOR``, in
``ingest.terminal``).

The file holds one ``[site]`` table or an array of ``[[sites]]``; each site may override any
``[http]`` key in ``[sites.http]`` and ``interval``, ``cron`` and ``lookback_days`` in
``[sites.schedule]``. ``types`` holds the msgspec structs (fast to import: every command, the
health probe included, loads the settings); ``values`` the values decoded from text
(durations, URLs, time zones, crontab expressions, checked without APScheduler by ``cron``);
``loading`` reads the file and decodes it, every error one line naming the key as written.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ingest.secrets import mask_url
from ingest.settings.loading import DEFAULT_CONFIG_PATH, load_settings, settings_from_mapping
from ingest.settings.types import (
    PROJECT_URL,
    AlertSettings,
    ArchiveSettings,
    DatabaseSettings,
    HealthSettings,
    HttpSettings,
    LoggingSettings,
    MetricsSettings,
    ScheduleSettings,
    Settings,
    SiteAlertSettings,
    SiteSchedule,
    SiteSettings,
)
from ingest.settings.values import (
    Cron,
    DatabaseUrl,
    Duration,
    ProxyUrl,
    QuietAfter,
    SiteUrl,
    WebhookUrl,
    format_duration,
    parse_duration,
)


def replace_site(settings: Settings, name: str, **changes: Any) -> Settings:
    """The settings with one site's fields changed (tests, the demo)."""
    sites = tuple(
        msgspec.structs.replace(site, **changes) if site.name == name else site
        for site in settings.sites
    )
    return msgspec.structs.replace(settings, sites=sites)


__all__ = [
    "DEFAULT_CONFIG_PATH",
    "PROJECT_URL",
    "AlertSettings",
    "ArchiveSettings",
    "Cron",
    "DatabaseSettings",
    "DatabaseUrl",
    "Duration",
    "HealthSettings",
    "HttpSettings",
    "LoggingSettings",
    "MetricsSettings",
    "ProxyUrl",
    "QuietAfter",
    "ScheduleSettings",
    "Settings",
    "SiteAlertSettings",
    "SiteSchedule",
    "SiteSettings",
    "SiteUrl",
    "WebhookUrl",
    "format_duration",
    "load_settings",
    "mask_url",
    "parse_duration",
    "replace_site",
    "settings_from_mapping",
]
