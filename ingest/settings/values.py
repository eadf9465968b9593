"""The values a config file spells as text, each a type of its own decoded once at load:
durations, URLs, time zones and crontab expressions.

``decode_value`` is msgspec's ``dec_hook`` for them. A value it refuses raises ``BadValue``,
whose message reads after the key (``schedule.interval 'soon' is not a duration ...``).
``encode_value`` writes them back as a person would (``masked``, the start-up log).
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from ingest.secrets import mask_url, split_database_url
from ingest.settings.cron import check_crontab

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class BadValue(Exception):
    """A value of the right type that means nothing valid. The message follows the key, after
    ``joint``: "site.base_url must be ...", "schedule.interval: '1x' is not a duration ..."."""

    def __init__(self, message: str, *, joint: str = " ") -> None:
        super().__init__(message)
        self.joint = joint


class Duration(timedelta):
    """A positive duration, written "45s", "30m", "2h" or "1d"."""


class QuietAfter(timedelta):
    """``"off"`` (a zero duration) or a duration: the "nothing new" alert's threshold."""


class SiteUrl(str):
    """A site's http(s) address: a host, no query, no fragment."""


class ProxyUrl(str):
    """An http(s) proxy; its password is never shown."""


class WebhookUrl(str):
    """An http(s) webhook: a secret as a whole, so only its scheme is ever shown."""


class DatabaseUrl(str):
    """A SQLAlchemy database URL (``scheme://...``); its password is never shown."""


class Cron(str):
    """A crontab expression, checked as APScheduler 3 reads it."""


def parse_duration(text: str) -> timedelta:
    """Parse "45s", "30m", "2h" or "1d" into a positive timedelta."""
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration like '45s', '30m' or '2h'")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def format_duration(delta: timedelta) -> str:
    """A duration as the config file writes it: "30m", "2h", "45s"."""
    seconds = delta.total_seconds()
    for unit in ("d", "h", "m"):
        if seconds >= _UNITS[unit] and seconds % _UNITS[unit] == 0:
            return f"{int(seconds // _UNITS[unit])}{unit}"
    return f"{seconds:g}s"


def decode_value(kind: type, value: Any) -> Any:
    """msgspec's ``dec_hook``: one of the types above (or a time zone) from its text."""
    if kind not in _DECODERS:
        raise NotImplementedError(f"no decoder for {kind!r}")
    if not isinstance(value, str):
        raise TypeError(f"Expected `str`, got `{type(value).__name__}`")
    return _DECODERS[kind](value)


def encode_value(value: Any) -> Any:
    """msgspec's ``enc_hook``: each value as the config file writes it."""
    if isinstance(value, zoneinfo.ZoneInfo):
        return value.key
    if isinstance(value, QuietAfter):
        return format_duration(value) if value else "off"
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, str):
        return str(value)
    raise NotImplementedError(f"cannot encode {type(value).__name__}")


def _duration(text: str) -> Duration:
    try:
        return Duration(seconds=parse_duration(text).total_seconds())
    except ValueError as exc:
        raise BadValue(str(exc), joint=": ") from None


def _quiet_after(text: str) -> QuietAfter:
    if text == "off":
        return QuietAfter(0)
    try:
        return QuietAfter(seconds=parse_duration(text).total_seconds())
    except ValueError as exc:
        raise BadValue(f"{exc} (or 'off')", joint=": ") from None


def _time_zone(text: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise BadValue(f"{text!r} is not a known time zone") from None


def _http_url(text: str, shown: str) -> tuple[str, str | None]:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadValue(f"must be an http(s) URL, not {shown}")
    return text, parts.query or parts.fragment or None


def _site_url(text: str) -> SiteUrl:
    _, extra = _http_url(text, repr(text))
    if extra is not None:
        raise BadValue("must not carry a query or fragment")
    return SiteUrl(text)


def _proxy_url(text: str) -> ProxyUrl:
    _http_url(text, repr(mask_url(text)))
    scheme, _, rest = text.partition("://")
    userinfo, _, host = rest.rpartition("@")
    if any(c in userinfo for c in "/?#"):
        # Else the host is read from inside the password, and aiohttp's error shows it.
        raise BadValue(
            f"'{scheme}://***@{host}': '/', '?' and '#' in its user or password must be "
            "percent-encoded (%2F, %3F, %23)",
            joint=": ",
        )
    return ProxyUrl(text)


def _webhook_url(text: str) -> WebhookUrl:
    # Only the scheme is shown: the rest of a webhook URL is its secret.
    _http_url(text, f"{urlsplit(text).scheme or '?'}://…")
    return WebhookUrl(text)


def _database_url(text: str) -> DatabaseUrl:
    """A URL SQLAlchemy will read as the user meant it: a port that is a number, and no
    ``@`` left in the host (a raw ``@`` in the password ends it early, and the rest of the
    password would be shown as the host name)."""
    parts = split_database_url(text) if re.match(r"^[a-z][a-z0-9+]*://", text) else None
    if parts is None:
        raise BadValue(f"{mask_url(text)!r} is not a database URL")
    if parts.host is not None and "@" in parts.host:
        raise BadValue(
            f"{mask_url(text)!r}: write an '@' in the user name or password as %40", joint=": "
        )
    if parts.port and not (parts.port.isdigit() and 0 < int(parts.port) <= 65535):
        raise BadValue(
            f"{mask_url(text)!r}: the port {parts.port!r} is not a number from 1 to 65535",
            joint=": ",
        )
    return DatabaseUrl(text)


def _cron(text: str) -> Cron:
    try:
        check_crontab(text)
    except ValueError as exc:
        raise BadValue(f"{text!r} is not a crontab expression: {exc}") from None
    return Cron(text)


_DECODERS: dict[type, Any] = {
    Duration: _duration,
    QuietAfter: _quiet_after,
    zoneinfo.ZoneInfo: _time_zone,
    SiteUrl: _site_url,
    ProxyUrl: _proxy_url,
    WebhookUrl: _webhook_url,
    DatabaseUrl: _database_url,
    Cron: _cron,
}
