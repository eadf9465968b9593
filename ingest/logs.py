"""Logging configuration, in one place: structlog processors and the sinks they feed.

Every event is a dict that passes through a short pipeline (context variables such as
``run_id``, level, ISO 8601 UTC timestamp, exception rendering) and then reaches two sinks:
stderr in the configured format, and the log file, always as JSON lines.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor

from ingest.owner_only import open_for_append
from ingest.secrets import redact_value
from ingest.settings import LoggingSettings
from ingest.terminal import printable, wants_colour

_LEVELS = {"debug": 10, "info": 20, "warning": 30, "warn": 30, "error": 40, "critical": 50}


def _json_default(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


# What json.dumps leaves raw and a terminal showing the file (tail -f, journald) would act on:
# DEL, the C1 controls (U+009B is CSI) and bidirectional controls. JSON escapes them exactly.
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def render_json(event: EventDict) -> str:
    line = json.dumps(event, ensure_ascii=False, default=_json_default)
    return _RAW_IN_JSON.sub(lambda found: f"\\u{ord(found[0]):04x}", line)


class _LogFile:
    """An append-only JSON-lines file that rotates by size and survives external rotation.

    Past ``max_bytes`` it is renamed to ``.1`` (older ones shifted, ``backups`` kept); when
    logrotate or a person moves or deletes it, the next write reopens the path.
    """

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        self._path, self._max_bytes, self._backups = path, max_bytes, backups
        # Created 0600 in a 0700 folder (``owner_only``), as are the files that replace it.
        self._handle = open_for_append(path)

    def write(self, line: str) -> None:
        self._reopen_if_moved()
        self._handle.write(line)
        self._handle.flush()
        if self._max_bytes and self._handle.tell() >= self._max_bytes:
            self._rotate()

    def _reopen_if_moved(self) -> None:
        try:
            moved = self._path.stat().st_ino != os.fstat(self._handle.fileno()).st_ino
        except FileNotFoundError:
            moved = True
        if moved:
            self._handle.close()
            self._handle = open_for_append(self._path)

    def _rotate(self) -> None:
        self._handle.close()
        if self._backups > 0:
            for n in range(self._backups - 1, 0, -1):
                older = self._path.with_name(f"{self._path.name}.{n}")
                if older.exists():
                    older.replace(self._path.with_name(f"{self._path.name}.{n + 1}"))
            self._path.replace(self._path.with_name(f"{self._path.name}.1"))
        else:
            self._path.unlink(missing_ok=True)
        self._handle = open_for_append(self._path)

    def close(self) -> None:
        self._handle.close()


class _Sinks:
    """The final structlog 'logger': writes each event to stderr and to the log file."""

    def __init__(
        self, stream: TextIO, stream_level: int, console: bool, file: _LogFile | None
    ) -> None:
        self._stream = stream
        self._stream_level = stream_level
        self._file = file
        self._lock = threading.Lock()
        self._console = (
            structlog.dev.ConsoleRenderer(colors=wants_colour(stream)) if console else None
        )

    def emit(self, **event: Any) -> None:
        level = _LEVELS.get(str(event.get("level", "info")), 20)
        with self._lock:
            as_json = None  # rendered once for both sinks when both take JSON
            if self._file is not None:
                as_json = render_json(event)
                self._file.write(as_json + "\n")
            if level >= self._stream_level:
                if self._console is not None:
                    line = str(self._console(None, "", _printable(event)))
                else:
                    line = as_json if as_json is not None else render_json(event)
                self._stream.write(line + "\n")
                self._stream.flush()

    msg = debug = info = warning = warn = error = critical = exception = emit


def _printable(event: EventDict) -> EventDict:
    """The event's text made printable for the console format (a URL, a title, an error from a
    site); a traceback keeps its lines. The log file's JSON escapes it instead."""
    shown = dict(event)
    for key, value in event.items():
        if isinstance(value, str):
            lines = value.split("\n") if key == "exception" else [value]
            shown[key] = "\n".join(map(printable, lines))
    return shown


class _SinksFactory:
    def __init__(self, sinks: _Sinks) -> None:
        self._sinks = sinks

    def __call__(self, *args: Any) -> _Sinks:
        return self._sinks


_open_file: _LogFile | None = None


def configure_logging(
    settings: LoggingSettings,
    *,
    stream: TextIO | None = None,
    stream_level: str | None = None,
    observers: Sequence[Processor] = (),
) -> None:
    """Configure structlog for the process, in one place.

    ``stream_level`` may quieten stderr (under a progress bar). ``observers`` are processors
    that see every event, DEBUG ones included (``page_fetched`` is DEBUG), before the level
    filter (the metrics collector). Without observers, events under the level cost one call.
    """
    global _open_file
    close_logging()
    if settings.file:
        _open_file = _LogFile(Path(settings.file), settings.max_bytes, settings.backups)
    names = logging.getLevelNamesMapping()
    level = names[settings.level]
    shown = max(level, names[stream_level]) if stream_level else level
    sinks = _Sinks(stream or sys.stderr, shown, settings.format == "console", _open_file)
    processors: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        *observers,
    ]
    if observers and level > logging.DEBUG:
        processors.append(_DropBelow(level))
    processors += [
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        # Last: whatever an event holds, a traceback included, no secret of the settings.
        _redact_secrets,
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG if observers else level),
        logger_factory=_SinksFactory(sinks),
        cache_logger_on_first_use=False,
    )


def _redact_secrets(_logger: Any, _method: str, event: EventDict) -> EventDict:
    """Every value of the event without the settings' secrets (``ingest.secrets.redact``)."""
    return {key: redact_value(value) for key, value in event.items()}


class _DropBelow:
    """Drops events under the configured level once the observers have seen them."""

    def __init__(self, level: int) -> None:
        self._level = level

    def __call__(self, _logger: Any, _method: str, event: EventDict) -> EventDict:
        if _LEVELS.get(str(event.get("level")), 20) < self._level:
            raise structlog.DropEvent
        return event


class CachedLogger:
    """A module's logger, bound once per structlog configuration rather than on every call.

    structlog's own ``cache_logger_on_first_use`` would keep the first configuration for good,
    and ingest is configured again (tests, ``capture_logs``): this one rebinds when structlog's
    processors, wrapper class or logger factory change.
    """

    __slots__ = ("_bound", "_key", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._key: tuple[object, ...] = ()
        self._bound: Any = None

    def _logger(self) -> Any:
        config = structlog.get_config()
        key = (config["processors"], config["wrapper_class"], config["logger_factory"])
        if len(self._key) != len(key) or any(
            a is not b for a, b in zip(self._key, key, strict=True)
        ):
            self._bound = structlog.get_logger(self._name).bind()
            self._key = key
        return self._bound

    def is_enabled_for(self, level: int) -> bool:
        """False when events at ``level`` are dropped at once: a hot path then skips building
        them."""
        check = getattr(self._logger(), "is_enabled_for", None)
        return True if check is None else bool(check(level))

    def debug(self, event: str, **kw: Any) -> None:
        self._logger().debug(event, **kw)

    def info(self, event: str, **kw: Any) -> None:
        self._logger().info(event, **kw)

    def warning(self, event: str, **kw: Any) -> None:
        self._logger().warning(event, **kw)

    def error(self, event: str, **kw: Any) -> None:
        self._logger().error(event, **kw)

    def exception(self, event: str, **kw: Any) -> None:
        self._logger().exception(event, **kw)


def get_logger(name: str) -> CachedLogger:
    return CachedLogger(name)


def close_logging() -> None:
    global _open_file
    if _open_file is not None:
        _open_file.close()
        _open_file = None
