"""Loading the settings: find the file, read the TOML, decode each table into its type.

Each table is decoded key by key against its struct's fields, so an error names the key as the
user wrote it, in the table they wrote it in (``http.concurency: unknown key``,
``sites[1].http.concurrency: expected `int` >= 1``), without reading msgspec's error text for a
path. A site's own ``[sites.http]`` and ``[sites.schedule]`` are decoded with the very fields of
``HttpSettings`` and ``SiteSchedule``, then laid over the top-level tables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin

import msgspec
import tomli
from msgspec import Struct

from ingest import secrets
from ingest.errors import ConfigError
from ingest.settings.types import (
    AlertSettings,
    ArchiveSettings,
    DatabaseSettings,
    HealthSettings,
    HttpSettings,
    LoggingSettings,
    MetricsSettings,
    ScheduleSettings,
    Settings,
    SiteSchedule,
    SiteSettings,
)
from ingest.settings.values import BadValue, WebhookUrl, decode_value
from ingest.sites import LAYOUTS, build_layout, default_listing_path

DEFAULT_CONFIG_PATH = Path("config/ingest.toml")
# The database's columns hold a site name of at most this many characters (a test holds the
# two equal): a longer one is refused here, not by the first write of a crawl.
SITE_NAME_MAX_LENGTH = 100
_TABLES = ("http", "database", "schedule", "logging", "metrics", "archive", "health", "alerts")
_T = TypeVar("_T", bound=Struct)


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Find, read and validate the configuration; raise ConfigError naming the bad key."""
    environ = environ if environ is not None else {}
    explicit = path if path is not None else environ.get("INGEST_CONFIG") or None
    data: dict[str, Any] = {}
    source = "built-in defaults"
    if explicit is not None:
        config_path = Path(explicit)
        if not config_path.is_file():
            raise ConfigError(f"config file {config_path} does not exist")
        data, source = _read_toml(config_path), str(config_path)
    elif DEFAULT_CONFIG_PATH.is_file():
        data, source = _read_toml(DEFAULT_CONFIG_PATH), str(DEFAULT_CONFIG_PATH)
    if database_url := environ.get("INGEST_DATABASE_URL"):
        database = data.get("database")
        data = {**data, "database": {**(database if isinstance(database, dict) else {})}}
        data["database"]["url"] = database_url
    settings = _with_alert_url(settings_from_mapping(data, source=source), environ)
    # From here on, the process's logs, error lines and stored errors never show them.
    secrets.remember(
        urls=settings.credential_urls,
        whole_urls=[settings.alerts.url] if settings.alerts.url else [],
    )
    return settings


def _with_alert_url(settings: Settings, environ: Mapping[str, str]) -> Settings:
    """``alerts.url`` from the variable ``alerts.url_env`` names; unset, it stays None and each
    delivery fails with that reason (the other commands need not carry the secret)."""
    name = settings.alerts.url_env
    if name is None or not environ.get(name):
        return settings
    url = _decode(f"alerts.url (from ${name})", environ[name], WebhookUrl)
    alerts = msgspec.structs.replace(settings.alerts, url=url)
    return msgspec.structs.replace(settings, alerts=alerts)


def _read_toml(path: Path) -> dict[str, Any]:
    # tomli, not the standard library's copy of it (tomllib): the same parser and errors, but
    # compiled (mypyc), a third of the CPU: 0.2 s against 0.6 for 10,000 sites' tables.
    try:
        with path.open("rb") as fh:
            return tomli.load(fh)
    except tomli.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc


def settings_from_mapping(data: Mapping[str, Any], *, source: str = "mapping") -> Settings:
    """Build Settings from parsed TOML, refusing unknown keys and wrong values."""
    for name in data:
        if name not in (*_TABLES, "site", "sites"):
            raise ConfigError(f"unknown config section [{name}]")
    if "site" in data and "sites" in data:
        raise ConfigError("both [site] and [[sites]] are set: keep one")
    if {"cron", "interval"} <= set(_mapping("schedule", data.get("schedule"))):
        raise ConfigError("schedule.interval and schedule.cron are both set: keep one")
    http = _table("http", data.get("http"), HttpSettings)
    _check_http("http", http)
    schedule = _table("schedule", data.get("schedule"), ScheduleSettings)
    if "sites" in data:
        site_tables = data["sites"]
        if not isinstance(site_tables, list) or not site_tables:
            raise ConfigError("[[sites]] must be an array of tables with at least one site")
        paths = [f"sites[{index}]" for index in range(len(site_tables))]
    else:
        site_tables, paths = [data.get("site", {})], ["site"]
    sites = tuple(
        _site(path, table, http, schedule, single="sites" not in data)
        for path, table in zip(paths, site_tables, strict=True)
    )
    seen: set[str] = set()
    for path, site in zip(paths, sites, strict=True):
        if site.name in seen:
            raise ConfigError(f"{path}.name: another site is named {site.name!r} already")
        seen.add(site.name)
    settings = Settings(
        sites=sites,
        http=http,
        database=_table("database", data.get("database"), DatabaseSettings),
        schedule=schedule,
        logging=_table("logging", data.get("logging"), LoggingSettings),
        metrics=_table("metrics", data.get("metrics"), MetricsSettings),
        archive=_table("archive", data.get("archive"), ArchiveSettings),
        health=_table("health", data.get("health"), HealthSettings),
        alerts=_table("alerts", data.get("alerts"), AlertSettings),
        source=source,
    )
    _check_alerts(settings.alerts, settings.site_names)
    _check_retention(settings)
    return settings


def _mapping(path: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{path}] must be a table")
    return dict(value)


def _table(path: str, value: Any, cls: type[_T]) -> _T:
    """A whole table: every key known, every required key given."""
    fields = _fields(path, _mapping(path, value), cls)
    for name in _field_types(cls)[1]:
        if name not in fields:
            raise ConfigError(f"{path}.{name}: required")
    return cls(**fields)


@cache
def _field_types(cls: type[Struct]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Each field's type by name, and the required fields' names. Cached per struct:
    ``msgspec.structs.fields`` evaluates the class's annotations afresh on every call, and that
    was nine tenths of loading 10,000 ``[[sites]]`` (docs/performance.md, "Many sites")."""
    fields = msgspec.structs.fields(cls)
    return {f.name: f.type for f in fields}, tuple(f.name for f in fields if f.required)


def _fields(path: str, table: Mapping[str, Any], cls: type[Struct]) -> dict[str, Any]:
    """The keys ``table`` gives, each decoded as the field of ``cls`` it names."""
    types_by_name = _field_types(cls)[0]
    decoded: dict[str, Any] = {}
    for key, value in table.items():
        if key not in types_by_name:
            raise ConfigError(f"{path}.{key}: unknown key")
        kind = types_by_name[key]
        if value == "" and type(None) in get_args(kind):
            decoded[key] = None  # an empty string switches an optional setting off
        else:
            decoded[key] = _decode(f"{path}.{key}", value, kind)
    return decoded


def _decode(path: str, value: Any, kind: Any) -> Any:
    """One value as its type; an error names ``path``."""
    if isinstance(kind, type) and issubclass(kind, Struct):
        return _table(path, value, kind)
    if get_origin(kind) is dict:
        item = get_args(kind)[1]
        return {key: _decode(f"{path}.{key}", v, item) for key, v in _mapping(path, value).items()}
    if get_origin(kind) is Literal and value not in get_args(kind):
        allowed = ", ".join(repr(a) for a in get_args(kind))
        raise ConfigError(f"{path}: {value!r} is not one of the allowed values ({allowed})")
    try:
        return msgspec.convert(value, kind, dec_hook=decode_value)
    except BadValue as exc:
        raise ConfigError(f"{path}{exc.joint}{exc}") from None
    except msgspec.ValidationError as exc:
        what = str(exc)
        raise ConfigError(f"{path}: {what[:1].lower()}{what[1:]}") from None


def _site(
    path: str, value: Any, http: HttpSettings, schedule: ScheduleSettings, *, single: bool
) -> SiteSettings:
    table = _mapping(path, value)
    own_http = _mapping(f"{path}.http", table.pop("http", None))
    own_schedule = _mapping(f"{path}.schedule", table.pop("schedule", None))
    if not single:
        for key in ("name", "base_url"):
            if key not in table:
                raise ConfigError(f"{path}.{key}: required")
    name = table.get("name")
    label = f" (site {name!r})" if isinstance(name, str) and not single else ""
    try:
        if "layouts" in table:
            given = sorted({"layout", "listing_path", "selectors"} & set(table))
            if given:
                raise ConfigError(
                    f"{path}: {', '.join(given)} and {path}.layouts are both given: with"
                    f" layouts over time, each [[{path.split('[')[0]}.layouts]] table says its own"
                )
        site = _table(path, table, SiteSettings)
        site = _current_layout(path, site)
        http_changes = _fields(f"{path}.http", own_http, HttpSettings)
        schedule_changes = _fields(f"{path}.schedule", own_schedule, SiteSchedule)
        if {"cron", "interval"} <= set(schedule_changes):
            raise ConfigError(f"{path}.schedule: interval and cron are both set: keep one")
        if {"cron", "interval"} & set(schedule_changes):
            # A site's own cadence replaces the default one, whichever form each uses.
            inherited = SiteSchedule(lookback_days=schedule.lookback_days)
        else:
            inherited = SiteSchedule(interval=schedule.interval, cron=schedule.cron,
                                     lookback_days=schedule.lookback_days)  # fmt: skip
        site = msgspec.structs.replace(
            site,
            listing_path=site.listing_path or default_listing_path(site.layout),
            http=msgspec.structs.replace(http, **http_changes),
            schedule=msgspec.structs.replace(inherited, **schedule_changes),
        )
        _check_site(path, site)
    except ConfigError as exc:
        raise ConfigError(f"{exc}{label}") from None
    return site


def _current_layout(path: str, site: SiteSettings) -> SiteSettings:
    """With ``[[sites.layouts]]``: their order checked, each one's layout built once (a bad
    selector refused now), and the site's ``layout``, ``listing_path`` and ``selectors`` made
    the last, current one's."""
    if not site.layouts:
        return site
    periods = site.layouts
    for index, period in enumerate(periods):
        where = f"{path}.layouts[{index}]"
        last = index == len(periods) - 1
        if last and period.until is not None:
            raise ConfigError(f"{where}.until: the last layout reads every later day: drop until")
        if not last and period.until is None:
            raise ConfigError(f"{where}.until: required on every layout but the last")
        before = periods[index - 1].until if index else None
        if before is not None and period.until is not None and period.until <= before:
            raise ConfigError(f"{where}.until: {period.until} is not after {before}")
        _check_layout(where, period.layout, period.listing_path, period.selectors, site)
    current = periods[-1]
    return msgspec.structs.replace(
        site,
        layout=current.layout,
        listing_path=current.listing_path,
        selectors=current.selectors,
    )


def _check_layout(
    where: str,
    layout: str,
    listing_path: str | None,
    selectors: dict[str, str | bool],
    site: SiteSettings,
) -> None:
    if layout not in LAYOUTS:
        raise ConfigError(f"{where}.layout: {layout!r} is not available in this build")
    if selectors and layout not in ("selectors", "sitemap"):
        raise ConfigError(
            f"{where}.selectors: only read by layouts 'selectors' and 'sitemap', not {layout!r}"
        )
    if (listing_path or default_listing_path(layout)) is None:
        raise ConfigError(f"{where}.listing_path: required for layout {layout!r}")
    try:
        build_layout(layout, site.shape_of(layout, listing_path, selectors))
    except ValueError as exc:
        raise ConfigError(f"{where}.{exc}") from None


def _check_site(path: str, site: SiteSettings) -> None:
    if not site.name.strip():
        raise ConfigError(f"{path}.name must not be empty")
    if len(site.name) > SITE_NAME_MAX_LENGTH:
        raise ConfigError(
            f"{path}.name is {len(site.name)} characters long: at most {SITE_NAME_MAX_LENGTH}"
        )
    if not site.name.isprintable():
        raise ConfigError(f"{path}.name must not hold control characters")
    # The layout is built here only to refuse a bad one at start (a selector that does not
    # parse, a listing path without the day); the crawl and ``inspect`` build their own.
    _check_layout(path, site.layout, site.listing_path, site.selectors, site)
    if not site.feed_path.startswith("/"):
        raise ConfigError(f"{path}.feed_path must start with '/', not {site.feed_path!r}")
    _check_cross_check(path, site)
    _check_http(f"{path}.http", site.http)


def _check_cross_check(path: str, site: SiteSettings) -> None:
    sitemap = site.sitemap_path
    if sitemap is not None and (not sitemap.startswith("/") or "{" in sitemap):
        raise ConfigError(
            f"{path}.sitemap_path is the sitemap's path on the site (such as"
            f" '/sitemap_index.xml'), not {sitemap!r}"
        )
    layouts = {layout for _, layout, _ in site.periods()}
    if site.cross_check and not (site.sitemap_path or site.feed or "wordpress" in layouts):
        raise ConfigError(
            f"{path}.cross_check: no other source to compare the listings with: set"
            " sitemap_path, or feed = true (the REST API is asked for layout 'wordpress')"
        )


def _check_http(path: str, http: HttpSettings) -> None:
    if not http.user_agent.strip():
        raise ConfigError(f"{path}.user_agent must not be empty")


def _check_retention(settings: Settings) -> None:
    """Purged runs must be runs nothing reads: health reads each site's newest 20, the alerts
    ``after_failures + 10``."""
    keep, least = settings.database.keep_runs, max(20, settings.alerts.after_failures + 10)
    if 0 < keep < least:
        raise ConfigError(
            f"database.keep_runs: {keep} is fewer than the {least} runs health and alerts read"
            f" of each site: at least {least}, or 0 to keep every run"
        )


def _check_alerts(alerts: AlertSettings, site_names: tuple[str, ...]) -> None:
    if alerts.url is not None and alerts.url_env is not None:
        raise ConfigError("alerts.url and alerts.url_env are both set: keep one")
    if alerts.url_env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", alerts.url_env):
        raise ConfigError(f"alerts.url_env: {alerts.url_env!r} is not an environment variable name")
    for name in alerts.sites:
        if name not in site_names:
            known = ", ".join(site_names)
            raise ConfigError(f"alerts.sites.{name}: no site named {name!r} (sites: {known})")


__all__ = ["DEFAULT_CONFIG_PATH", "load_settings", "settings_from_mapping"]
