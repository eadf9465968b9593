"""Settings: loaded and validated once at the edge, then passed down as one frozen object.

Order of precedence: ``--config PATH``, else ``$INGEST_CONFIG``, else ``config/ingest.toml`` in the
working directory, else the built-in defaults (the real site). ``$INGEST_DATABASE_URL`` overrides
``[database] url``. Nothing else in the package reads the environment.
"""

from __future__ import annotations

import dataclasses
import re
import string
import tomllib
import types
import typing
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from ingest import __version__
from ingest.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("config/ingest.toml")
PROJECT_URL = "https://github.com/etilaf-ingest/ingest"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """Parse "45s", "30m", "2h" or "1d" into a positive timedelta."""
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration like '45s', '30m' or '2h'")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


@dataclass(frozen=True)
class SiteSettings:
    name: str = "etilaf"
    base_url: str = "https://en.etilaf.org"
    listing_path: str = "/date/{year}/{month}/{day}.html"
    timezone: str = "Asia/Damascus"
    layout: Literal["k2"] = "k2"
    fetch_article_pages: bool = True
    respect_robots_txt: bool = True

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def host(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()

    def listing_url_for(self, day: date) -> str:
        path = self.listing_path.format(year=day.year, month=day.month, day=day.day, date=day)
        return self.base_url.rstrip("/") + path


@dataclass(frozen=True)
class HttpSettings:
    user_agent: str = f"etilaf-ingest/{__version__} (+{PROJECT_URL})"
    timeout_seconds: float = 30.0
    concurrency: int = 4
    requests_per_second: float = 2.0
    max_attempts: int = 5
    backoff_initial_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    max_retry_after_seconds: float = 300.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    # Every request goes through this HTTP(S) proxy when set. The environment's HTTP(S)_PROXY
    # is not read: like every setting, it is named in the config file.
    proxy: str | None = None


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///data/ingest.db"


@dataclass(frozen=True)
class ScheduleSettings:
    interval: str = "30m"
    cron: str | None = None
    lookback_days: int = 3
    jitter_seconds: int = 0
    misfire_grace_seconds: int = 300

    @property
    def interval_delta(self) -> timedelta:
        return parse_duration(self.interval)


@dataclass(frozen=True)
class LoggingSettings:
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "console"] = "json"
    file: str | None = "logs/ingest.jsonl"
    max_bytes: int = 50 * 1024 * 1024
    backups: int = 5


@dataclass(frozen=True)
class MetricsSettings:
    port: int | None = None
    host: str = "127.0.0.1"


@dataclass(frozen=True)
class Settings:
    site: SiteSettings = field(default_factory=SiteSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    source: str = "built-in defaults"

    def masked(self) -> dict[str, Any]:
        """The settings as a dict for the start-up log, with the database password hidden."""
        data = dataclasses.asdict(self)
        data["database"]["url"] = mask_url(self.database.url)
        return data


def mask_url(url: str) -> str:
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


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
    settings = settings_from_mapping(data, source=source)
    if database_url := environ.get("INGEST_DATABASE_URL"):
        settings = dataclasses.replace(settings, database=DatabaseSettings(url=database_url))
        _validate(settings)
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc


def settings_from_mapping(data: Mapping[str, Any], *, source: str = "mapping") -> Settings:
    """Build Settings from parsed TOML, refusing unknown keys and wrong types."""
    sections: dict[str, Any] = {}
    section_types = {f.name: f.type for f in dataclasses.fields(Settings) if f.name != "source"}
    hints = typing.get_type_hints(Settings)
    for name, value in data.items():
        if name not in section_types:
            raise ConfigError(f"unknown config section [{name}]")
        if not isinstance(value, Mapping):
            raise ConfigError(f"[{name}] must be a table")
        sections[name] = _build_section(name, hints[name], value)
    schedule = data.get("schedule", {})
    if isinstance(schedule, Mapping) and "cron" in schedule and "interval" in schedule:
        raise ConfigError("schedule.interval and schedule.cron are both set: keep one")
    settings = Settings(**sections, source=source)
    _validate(settings)
    return settings


def _build_section(section: str, cls: type[Any], values: Mapping[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in hints:
            raise ConfigError(f"unknown config key {section}.{key}")
        kwargs[key] = _coerce(f"{section}.{key}", hints[key], value)
    return cls(**kwargs)


def _coerce(key: str, expected: Any, value: Any) -> Any:
    origin = typing.get_origin(expected)
    if origin is Literal:
        choices = typing.get_args(expected)
        if value not in choices:
            allowed = ", ".join(repr(c) for c in choices)
            raise ConfigError(f"{key} must be one of {allowed}, not {value!r}")
        return value
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(expected) if a is not type(None)]
        if value == "":  # an empty string switches an optional setting off
            return None
        return _coerce(key, options[0], value)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ConfigError(
            f"{key} must be {_type_name(expected)}, not {type(value).__name__} {value!r}"
        )
    return value


def _type_name(tp: Any) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        tp, str(tp)
    )


def _validate(settings: Settings) -> None:
    site, http = settings.site, settings.http
    base = urlsplit(site.base_url)
    if base.scheme not in ("http", "https") or not base.hostname:
        raise ConfigError(f"site.base_url must be an http(s) URL, not {site.base_url!r}")
    if base.query or base.fragment:
        raise ConfigError("site.base_url must not carry a query or fragment")
    if not site.name.strip():
        raise ConfigError("site.name must not be empty")
    _validate_listing_path(site.listing_path)
    try:
        zoneinfo.ZoneInfo(site.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"site.timezone {site.timezone!r} is not a known time zone") from exc
    positive = {
        "http.timeout_seconds": http.timeout_seconds,
        "http.concurrency": http.concurrency,
        "http.max_attempts": http.max_attempts,
        "http.max_body_bytes": http.max_body_bytes,
    }
    for key, number in positive.items():
        if number <= 0:
            raise ConfigError(f"{key} must be greater than 0, not {number}")
    non_negative = {
        "http.requests_per_second": http.requests_per_second,
        "http.backoff_initial_seconds": http.backoff_initial_seconds,
        "http.backoff_max_seconds": http.backoff_max_seconds,
        "http.max_retry_after_seconds": http.max_retry_after_seconds,
        "http.max_redirects": http.max_redirects,
        "schedule.lookback_days": settings.schedule.lookback_days,
        "schedule.jitter_seconds": settings.schedule.jitter_seconds,
        "schedule.misfire_grace_seconds": settings.schedule.misfire_grace_seconds,
        "logging.max_bytes": settings.logging.max_bytes,
        "logging.backups": settings.logging.backups,
    }
    for key, number in non_negative.items():
        if number < 0:
            raise ConfigError(f"{key} must not be negative, not {number}")
    if not http.user_agent.strip():
        raise ConfigError("http.user_agent must not be empty")
    if http.proxy is not None:
        proxy = urlsplit(http.proxy)
        if proxy.scheme not in ("http", "https") or not proxy.hostname:
            raise ConfigError(f"http.proxy must be an http(s) URL, not {mask_url(http.proxy)!r}")
    try:
        parse_duration(settings.schedule.interval)
    except ValueError as exc:
        raise ConfigError(f"schedule.interval: {exc}") from exc
    if settings.schedule.cron is not None:
        _validate_cron(settings.schedule.cron)
    port = settings.metrics.port
    if port is not None and not 0 <= port <= 65535:
        raise ConfigError(f"metrics.port must be between 0 and 65535, not {port}")
    url = settings.database.url
    if not re.match(r"^[a-z][a-z0-9+]*://", url):
        raise ConfigError(f"database.url {mask_url(url)!r} is not a database URL")


def _validate_listing_path(path: str) -> None:
    if not path.startswith("/"):
        raise ConfigError(f"site.listing_path must start with '/', not {path!r}")
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(path) if name is not None}
    except ValueError as exc:
        raise ConfigError(f"site.listing_path is not a valid format string: {exc}") from exc
    roots = {re.split(r"[.\[]", name, maxsplit=1)[0] for name in fields}
    unknown = roots - {"year", "month", "day", "date"}
    if unknown:
        raise ConfigError(f"site.listing_path has unknown field {{{sorted(unknown)[0]}}}")
    if "date" not in roots and not {"year", "month", "day"} <= roots:
        raise ConfigError(
            "site.listing_path must name the day: {year}, {month} and {day}, or {date}"
        )
    try:
        path.format(year=2020, month=2, day=1, date=date(2020, 2, 1))
    except (ValueError, AttributeError, IndexError, KeyError) as exc:
        raise ConfigError(f"site.listing_path cannot be formatted: {exc}") from exc


def _validate_cron(expression: str) -> None:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(expression)
    except ValueError as exc:
        raise ConfigError(
            f"schedule.cron {expression!r} is not a crontab expression: {exc}"
        ) from exc
