"""Settings: loaded and validated once at the edge, then passed down as one frozen object.

Order of precedence: ``--config PATH``, else ``$INGEST_CONFIG``, else ``config/ingest.toml`` in the
working directory, else the built-in defaults (the real site). ``$INGEST_DATABASE_URL`` overrides
``[database] url``. Nothing else in the package reads the environment (but ``NO_COLOR``, in
``ingest.terminal``).

The file holds one ``[site]`` table or an array of ``[[sites]]``; each site may override any
``[http]`` key in ``[sites.http]`` and ``interval``, ``cron`` and ``lookback_days`` in
``[sites.schedule]``. Shapes and types are checked by msgspec (fast to import: every command,
the health probe included, loads the settings); what msgspec cannot say (URLs, time zones,
layouts, durations) is checked here. Every error is one line naming the key.
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta, Struct

from ingest import __version__
from ingest.errors import ConfigError
from ingest.sites import LAYOUTS, Layout, SiteShape, build_layout, default_listing_path

DEFAULT_CONFIG_PATH = Path("config/ingest.toml")
PROJECT_URL = "https://github.com/etilaf-ingest/ingest"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

Positive = Annotated[int, Meta(ge=1)]
PositiveFloat = Annotated[float, Meta(gt=0)]
NonNegative = Annotated[int, Meta(ge=0)]
NonNegativeFloat = Annotated[float, Meta(ge=0)]
LayoutName = Literal["k2", "wordpress", "wordpress-api", "selectors"]


def parse_duration(text: str) -> timedelta:
    """Parse "45s", "30m", "2h" or "1d" into a positive timedelta."""
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration like '45s', '30m' or '2h'")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


class _Table(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, dict=True):
    """A config table: frozen, unknown keys refused. ``dict=True`` lets properties cache."""


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
    proxy: str | None = None


class SiteSchedule(_Table, frozen=True):
    """A site's own schedule: the top-level ``[schedule]`` values unless it overrides them."""

    interval: str = "30m"
    cron: str | None = None
    lookback_days: NonNegative = 3

    @property
    def interval_delta(self) -> timedelta:
        return parse_duration(self.interval)


class SiteSettings(_Table, frozen=True):
    """One site as the crawl sees it: its own markup, politeness limits and schedule."""

    name: str = "etilaf"
    base_url: str = "https://en.etilaf.org"
    # Filled with the layout's default when the file leaves it out (the selectors layout has
    # none, so its sites must give one).
    listing_path: str | None = None
    timezone: str = "Asia/Damascus"
    # The real site moved from Joomla + K2 to WordPress.
    layout: LayoutName = "wordpress"
    fetch_article_pages: bool = True
    respect_robots_txt: bool = True
    # The ``selectors`` layout's table: CSS selectors by key (``item``, ``title``, ...), and
    # ``missing_day_is_empty`` (a boolean).
    selectors: dict[str, str | bool] = msgspec.field(default_factory=dict)
    http: HttpSettings = msgspec.field(default_factory=HttpSettings)
    schedule: SiteSchedule = msgspec.field(default_factory=SiteSchedule)

    @cached_property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def host(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()

    @property
    def shape(self) -> SiteShape:
        path = self.listing_path or default_listing_path(self.layout) or ""
        return SiteShape(self.base_url, path, self.tz, dict(self.selectors))

    @cached_property
    def parser(self) -> Layout:
        """The site's layout, bound to it (validated when the settings were loaded)."""
        return build_layout(self.layout, self.shape)

    def listing_url_for(self, day: date) -> str:
        return self.parser.listing_url(day)


class DatabaseSettings(_Table, frozen=True):
    url: str = "sqlite:///data/ingest.db"
    # Crawls (backfill, crawl, run, demo) bring the schema to this code's version at start;
    # the commands that only read never migrate.
    auto_migrate: bool = True
    # How long a run waits for an unreachable database before it ends failed.
    outage_timeout: str = "5m"

    @property
    def outage_timeout_delta(self) -> timedelta:
        return parse_duration(self.outage_timeout)


class ScheduleSettings(_Table, frozen=True):
    interval: str = "30m"
    cron: str | None = None
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
    quiet_after: str | None = None


class AlertSettings(_Table, frozen=True):
    """Webhook alerts on each health transition of a site (for hosts without Alertmanager)."""

    # The webhook URL, or the name of an environment variable holding it (read at load time,
    # so the secret stays out of the file). Neither: alerts are off.
    url: str | None = None
    url_env: str | None = None
    format: Literal["json", "slack"] = "json"
    # Unhealthy after this many consecutive failed or partial runs (or any other health reason).
    after_failures: Positive = 2
    # "Nothing new": no article stored for this long ("2d"); None: off.
    quiet_after: str | None = None
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
        text = own.quiet_after if own is not None and own.quiet_after is not None else None
        text = text if text is not None else self.quiet_after
        if text is None or text == "off":
            return None
        return parse_duration(text)


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
        data: dict[str, Any] = msgspec.to_builtins(self)
        data["database"]["url"] = mask_url(self.database.url)
        if self.alerts.url is not None:
            data["alerts"]["url"] = "***"  # a webhook URL is a secret as a whole
        return data


def mask_url(url: str) -> str:
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def replace_site(settings: Settings, name: str, **changes: Any) -> Settings:
    """The settings with one site's fields changed (tests, the demo)."""
    sites = tuple(
        msgspec.structs.replace(site, **changes) if site.name == name else site
        for site in settings.sites
    )
    return msgspec.structs.replace(settings, sites=sites)


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
    settings = settings_from_mapping(data, source=source)
    return _with_alert_url(settings, environ)


def _with_alert_url(settings: Settings, environ: Mapping[str, str]) -> Settings:
    """``alerts.url`` from the variable ``alerts.url_env`` names; unset, it stays None and each
    delivery fails with that reason (the other commands need not carry the secret)."""
    name = settings.alerts.url_env
    if name is None or not environ.get(name):
        return settings
    url = environ[name]
    _validate_alert_url(f"alerts.url (from ${name})", url)
    alerts = msgspec.structs.replace(settings.alerts, url=url)
    return msgspec.structs.replace(settings, alerts=alerts)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc


_SECTIONS = ("http", "database", "schedule", "logging", "metrics", "health", "alerts")
# What a site may set in its own [sites.schedule].
_SITE_SCHEDULE_KEYS = frozenset(f.name for f in msgspec.structs.fields(SiteSchedule))
_T = TypeVar("_T", bound=_Table)


def settings_from_mapping(data: Mapping[str, Any], *, source: str = "mapping") -> Settings:
    """Build Settings from parsed TOML, refusing unknown keys and wrong types."""
    for name in data:
        if name not in (*_SECTIONS, "site", "sites"):
            raise ConfigError(f"unknown config section [{name}]")
    if "site" in data and "sites" in data:
        raise ConfigError("both [site] and [[sites]] are set: keep one")
    schedule = _mapping("schedule", data.get("schedule"))
    if "cron" in schedule and "interval" in schedule:
        raise ConfigError("schedule.interval and schedule.cron are both set: keep one")
    if "sites" in data:
        tables = data["sites"]
        if not isinstance(tables, list) or not tables:
            raise ConfigError("[[sites]] must be an array of tables with at least one site")
        paths = [f"sites[{index}]" for index in range(len(tables))]
    else:
        tables, paths = [data.get("site", {})], ["site"]
    http = _mapping("http", data.get("http"))
    sites = tuple(
        _site(path, table, http, schedule, single="sites" not in data)
        for path, table in zip(paths, tables, strict=True)
    )
    seen: set[str] = set()
    for path, site in zip(paths, sites, strict=True):
        if site.name in seen:
            raise ConfigError(f"{path}.name: another site is named {site.name!r} already")
        seen.add(site.name)
    settings = Settings(
        sites=sites,
        http=_table("http", data.get("http"), HttpSettings),
        database=_table("database", data.get("database"), DatabaseSettings),
        schedule=_table("schedule", data.get("schedule"), ScheduleSettings),
        logging=_table("logging", data.get("logging"), LoggingSettings),
        metrics=_table("metrics", data.get("metrics"), MetricsSettings),
        health=_table("health", data.get("health"), HealthSettings),
        alerts=_table("alerts", data.get("alerts"), AlertSettings),
        source=source,
    )
    _validate(settings)
    return settings


def _mapping(path: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{path}] must be a table")
    return dict(value)


def _table(path: str, value: Any, cls: type[_T]) -> _T:
    return _convert(path, _mapping(path, value), cls)


def _convert(path: str, values: Mapping[str, Any], cls: type[_T]) -> _T:
    """msgspec's conversion with its errors rewritten as ``path.key: what is wrong``."""
    cleaned = _blank_optionals(values, cls)
    try:
        return msgspec.convert(cleaned, cls)
    except msgspec.ValidationError as exc:
        raise ConfigError(_rewrite(path, str(exc))) from None


def _blank_optionals(values: Mapping[str, Any], cls: type[_Table]) -> dict[str, Any]:
    """An empty string switches an optional setting off (``file = ""``, ``proxy = ""``)."""
    optional = {
        f.name
        for f in msgspec.structs.fields(cls)
        if isinstance(f.type, msgspec.inspect.Type) or "None" in repr(f.type)
    }
    return {k: (None if v == "" and k in optional else v) for k, v in values.items()}


_MSGSPEC_ERROR = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<where>[^`]*)`)?$", re.DOTALL)


def _rewrite(path: str, message: str) -> str:
    match = _MSGSPEC_ERROR.match(message)
    assert match is not None
    what, where = match.group("what"), match.group("where") or ""
    key = path + where
    if unknown := re.match(r"Object contains unknown field `(.+)`", what):
        return f"{key}.{unknown.group(1)}: unknown key"
    if missing := re.match(r"Object missing required field `(.+)`", what):
        return f"{key}.{missing.group(1)}: required"
    if enum := re.match(r"Invalid enum value (.+)", what):
        return f"{key}: {enum.group(1)} is not one of the allowed values"
    return f"{key}: {what.replace('Expected', 'expected')}"


def _site(
    path: str,
    value: Any,
    http: Mapping[str, Any],
    schedule: Mapping[str, Any],
    *,
    single: bool,
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
        site = _convert(path, table, SiteSettings)
        # Unknown keys of the site's own [http] are refused before merging with the defaults.
        _convert(f"{path}.http", own_http, _HttpOverrides)
        merged_http = _convert(f"{path}.http", {**http, **own_http}, HttpSettings)
        unknown = set(own_schedule) - _SITE_SCHEDULE_KEYS
        if unknown:
            raise ConfigError(f"{path}.schedule.{sorted(unknown)[0]}: unknown key")
        if "cron" in own_schedule and "interval" in own_schedule:
            raise ConfigError(f"{path}.schedule: interval and cron are both set: keep one")
        inherited = {k: v for k, v in schedule.items() if k in _SITE_SCHEDULE_KEYS}
        if "cron" in own_schedule or "interval" in own_schedule:
            # A site's own cadence replaces the default one, whichever form each uses.
            inherited.pop("cron", None)
            inherited.pop("interval", None)
        merged_schedule = _convert(f"{path}.schedule", {**inherited, **own_schedule}, SiteSchedule)
        site = msgspec.structs.replace(
            site,
            listing_path=site.listing_path or default_listing_path(site.layout),
            http=merged_http,
            schedule=merged_schedule,
        )
        _validate_site(path, site)
    except ConfigError as exc:
        raise ConfigError(f"{exc}{label}") from None
    return site


class _HttpOverrides(_Table, frozen=True):
    """A site's [sites.http] keys, each optional: only names are checked here."""

    user_agent: Any = None
    timeout_seconds: Any = None
    concurrency: Any = None
    requests_per_second: Any = None
    max_attempts: Any = None
    backoff_initial_seconds: Any = None
    backoff_max_seconds: Any = None
    max_retry_after_seconds: Any = None
    max_body_bytes: Any = None
    max_redirects: Any = None
    proxy: Any = None


def _validate_site(path: str, site: SiteSettings) -> None:
    base = urlsplit(site.base_url)
    if base.scheme not in ("http", "https") or not base.hostname:
        raise ConfigError(f"{path}.base_url must be an http(s) URL, not {site.base_url!r}")
    if base.query or base.fragment:
        raise ConfigError(f"{path}.base_url must not carry a query or fragment")
    if not site.name.strip():
        raise ConfigError(f"{path}.name must not be empty")
    try:
        zoneinfo.ZoneInfo(site.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{path}.timezone {site.timezone!r} is not a known time zone") from exc
    if site.layout not in LAYOUTS:
        raise ConfigError(f"{path}.layout: {site.layout!r} is not available in this build")
    if site.selectors and site.layout != "selectors":
        raise ConfigError(f"{path}.selectors: only read by layout 'selectors', not {site.layout!r}")
    if site.listing_path is None:
        raise ConfigError(f"{path}.listing_path: required for layout {site.layout!r}")
    try:
        build_layout(site.layout, site.shape)
    except ValueError as exc:
        raise ConfigError(f"{path}.{exc}") from None
    _validate_http(f"{path}.http", site.http)
    _validate_schedule(f"{path}.schedule", site.schedule.interval, site.schedule.cron)


def _validate_http(path: str, http: HttpSettings) -> None:
    if not http.user_agent.strip():
        raise ConfigError(f"{path}.user_agent must not be empty")
    if http.proxy is not None:
        proxy = urlsplit(http.proxy)
        if proxy.scheme not in ("http", "https") or not proxy.hostname:
            raise ConfigError(f"{path}.proxy must be an http(s) URL, not {mask_url(http.proxy)!r}")


def _validate_schedule(path: str, interval: str, cron: str | None) -> None:
    try:
        parse_duration(interval)
    except ValueError as exc:
        raise ConfigError(f"{path}.interval: {exc}") from exc
    if cron is not None:
        _validate_cron(f"{path}.cron", cron)


def _validate(settings: Settings) -> None:
    _validate_http("http", settings.http)
    _validate_schedule("schedule", settings.schedule.interval, settings.schedule.cron)
    url = settings.database.url
    if not re.match(r"^[a-z][a-z0-9+]*://", url):
        raise ConfigError(f"database.url {mask_url(url)!r} is not a database URL")
    _validate_alerts(settings.alerts, settings.site_names)
    try:
        parse_duration(settings.database.outage_timeout)
    except ValueError as exc:
        raise ConfigError(f"database.outage_timeout: {exc}") from exc


def _validate_alerts(alerts: AlertSettings, site_names: Sequence[str]) -> None:
    if alerts.url is not None and alerts.url_env is not None:
        raise ConfigError("alerts.url and alerts.url_env are both set: keep one")
    if alerts.url is not None:
        _validate_alert_url("alerts.url", alerts.url)
    if alerts.url_env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", alerts.url_env):
        raise ConfigError(f"alerts.url_env: {alerts.url_env!r} is not an environment variable name")
    durations = {"alerts.quiet_after": alerts.quiet_after}
    for name, own in alerts.sites.items():
        if name not in site_names:
            known = ", ".join(site_names)
            raise ConfigError(f"alerts.sites.{name}: no site named {name!r} (sites: {known})")
        durations[f"alerts.sites.{name}.quiet_after"] = own.quiet_after
    for key, text in durations.items():
        if text is None or text == "off":
            continue
        try:
            parse_duration(text)
        except ValueError as exc:
            raise ConfigError(f"{key}: {exc} (or 'off')") from None


def _validate_alert_url(key: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # Only the scheme is shown: the rest of a webhook URL is its secret.
        raise ConfigError(f"{key} must be an http(s) URL, not {parts.scheme or '?'}://…")


def _validate_cron(key: str, expression: str) -> None:
    error = _cron_error(expression)
    if error is not None:
        raise ConfigError(f"{key} {expression!r} is not a crontab expression: {error}")


# A crontab's fields as APScheduler 3.x's CronTrigger.from_crontab reads them: name, bounds,
# value names. Checked here, not by APScheduler, so that loading the settings never imports it
# (180 ms; health, run by every probe, loads the settings). What passes here, the daemon's
# CronTrigger takes (a unit test holds it against APScheduler's own parser).
_CRON_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                      "nov", "dec")),
    ("day_of_week", 0, 6, ("mon", "tue", "wed", "thu", "fri", "sat", "sun")),
)  # fmt: skip
# "*", "*/step"; "a", "a-b", "a/step", "a-b/step" (numbers); "name", "name-name".
_CRON_TERM = re.compile(
    r"\*(?:/([0-9]+))?|([0-9]+)(?:-([0-9]+))?(?:/([0-9]+))?|([a-z]+)(?:-([a-z]+))?"
)


def _cron_error(expression: str) -> str | None:
    """Why ``expression`` is not a crontab APScheduler takes; None when it is one."""
    fields = expression.split()
    if len(fields) != 5:
        return f"Wrong number of fields; got {len(fields)}, expected 5"
    for text, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        for term in text.split(","):
            if not _cron_term_ok(term.lower(), low, high, names, last=name == "day"):
                return f"{term!r} is not a value of field {name!r} ({low}-{high})"
    return None


def _cron_term_ok(term: str, low: int, high: int, names: tuple[str, ...], *, last: bool) -> bool:
    if last and term == "last":
        return True  # the day field's "last day of the month"
    match = _CRON_TERM.fullmatch(term)
    if match is None:
        return False
    every, first, end, step, first_name, end_name = match.groups()
    if first_name is not None:
        if first_name not in names or (end_name is not None and end_name not in names):
            return False
        return end_name is None or names.index(first_name) <= names.index(end_name)
    if first is None:  # "*" or "*/step"
        return every is None or 0 < int(every) <= high - low
    start = int(first)
    stop = int(end) if end is not None else (start if step is None else high)
    return low <= start <= stop <= high and (step is None or 0 < int(step) <= stop - start)


__all__ = [
    "LAYOUTS",
    "AlertSettings",
    "DatabaseSettings",
    "HealthSettings",
    "HttpSettings",
    "LoggingSettings",
    "MetricsSettings",
    "ScheduleSettings",
    "Settings",
    "SiteAlertSettings",
    "SiteSchedule",
    "SiteSettings",
    "load_settings",
    "mask_url",
    "parse_duration",
    "replace_site",
    "settings_from_mapping",
]
