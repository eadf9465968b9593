"""Logging configuration, in one place: structlog processors and the sinks they feed.

Every event is a dict that passes through a short pipeline (context variables such as
``run_id``, level, ISO 8601 UTC timestamp, exception rendering) and then reaches two sinks:
stderr in the configured format, and the log file, always as JSON lines.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor

from ingest.settings import LoggingSettings

_LEVELS = {"debug": 10, "info": 20, "warning": 30, "warn": 30, "error": 40, "critical": 50}


def _json_default(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def render_json(event: EventDict) -> str:
    return json.dumps(event, ensure_ascii=False, default=_json_default)


class _Sinks:
    """The final structlog 'logger': writes each event to stderr and to the log file."""

    def __init__(
        self, stream: TextIO, stream_level: int, console: bool, file: TextIO | None
    ) -> None:
        self._stream = stream
        self._stream_level = stream_level
        self._file = file
        self._lock = threading.Lock()
        self._console = structlog.dev.ConsoleRenderer(colors=stream.isatty()) if console else None

    def emit(self, **event: Any) -> None:
        level = _LEVELS.get(str(event.get("level", "info")), 20)
        with self._lock:
            if self._file is not None:
                self._file.write(render_json(event) + "\n")
                self._file.flush()
            if level >= self._stream_level:
                if self._console is not None:
                    line = str(self._console(None, "", dict(event)))
                else:
                    line = render_json(event)
                self._stream.write(line + "\n")
                self._stream.flush()

    msg = debug = info = warning = warn = error = critical = exception = emit


class _SinksFactory:
    def __init__(self, sinks: _Sinks) -> None:
        self._sinks = sinks

    def __call__(self, *args: Any) -> _Sinks:
        return self._sinks


_open_file: TextIO | None = None


def configure_logging(
    settings: LoggingSettings, *, stream: TextIO | None = None, stream_level: str | None = None
) -> None:
    """Configure structlog for the process. ``stream_level`` may quieten stderr (progress bar)."""
    global _open_file
    if _open_file is not None:
        _open_file.close()
        _open_file = None
    if settings.file:
        path = Path(settings.file)
        path.parent.mkdir(parents=True, exist_ok=True)
        _open_file = path.open("a", encoding="utf-8")
    level = logging.getLevelNamesMapping()[settings.level]
    shown = max(level, logging.getLevelNamesMapping()[stream_level]) if stream_level else level
    sinks = _Sinks(stream or sys.stderr, shown, settings.format == "console", _open_file)
    processors: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_SinksFactory(sinks),
        cache_logger_on_first_use=False,
    )


def close_logging() -> None:
    global _open_file
    if _open_file is not None:
        _open_file.close()
        _open_file = None
