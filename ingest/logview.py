"""Reading the JSON log file back for a person: one run's events, errors only, or following."""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

_COLOURS = {"debug": "\x1b[2m", "info": "\x1b[32m", "warning": "\x1b[33m", "error": "\x1b[31m",
            "critical": "\x1b[31;1m"}  # fmt: skip
_RESET = "\x1b[0m"
_SERIOUS = frozenset({"warning", "error", "critical"})
_FIRST = ("timestamp", "level", "event", "run_id", "site")


def read_events(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Parse JSON lines, skipping any that are not a JSON object (a torn last line, say)."""
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            yield event


def latest_run_ids(
    events: Iterable[dict[str, Any]], sites: Collection[str] | None = None
) -> set[int]:
    """The latest run of each site (of ``sites`` only, when given)."""
    latest: dict[str, int] = {}
    for event in events:
        site, run_id = event.get("site"), event.get("run_id")
        if not isinstance(run_id, int) or event.get("event") != "run_started":
            continue
        if sites is None or site in sites:
            latest[str(site)] = run_id
    return set(latest.values())


def keep(
    event: dict[str, Any],
    run_ids: Collection[int] | None,
    errors_only: bool,
    sites: Collection[str] | None = None,
) -> bool:
    if run_ids is not None and event.get("run_id") not in run_ids:
        return False
    if sites is not None and event.get("site") not in sites:
        return False
    return not errors_only or str(event.get("level")) in _SERIOUS


def render(event: dict[str, Any], *, colour: bool) -> str:
    level = str(event.get("level", "info"))
    stamp = str(event.get("timestamp", ""))[:19].replace("T", " ")
    rest = " ".join(
        f"{key}={value}" for key, value in event.items() if key not in _FIRST and value is not None
    )
    head = f"{level.upper():<8}"
    if colour:
        head = f"{_COLOURS.get(level, '')}{head}{_RESET}"
    run = f" run={event['run_id']}" if "run_id" in event else ""
    site = f" site={event['site']}" if "site" in event else ""
    return f"{stamp} {head} {event.get('event', '?'):<22}{run}{site} {rest}".rstrip()


def follow(path: Path, out: TextIO, *, run_ids: Collection[int] | None, errors_only: bool,
           colour: bool, sites: Collection[str] | None = None, poll_seconds: float = 0.5,
           stop_after: float | None = None) -> None:  # fmt: skip
    """Print new events as they are written, reopening the file when it is rotated."""
    started = time.monotonic()
    handle = path.open("r", encoding="utf-8")
    handle.seek(0, 2)
    inode = path.stat().st_ino
    try:
        while stop_after is None or time.monotonic() - started < stop_after:
            line = handle.readline()
            if line:
                for event in read_events([line]):
                    if keep(event, run_ids, errors_only, sites):
                        out.write(render(event, colour=colour) + "\n")
                        out.flush()
                continue
            time.sleep(poll_seconds)
            try:
                if path.stat().st_ino != inode:
                    handle.close()
                    handle = path.open("r", encoding="utf-8")
                    inode = path.stat().st_ino
            except FileNotFoundError:
                continue
    finally:
        handle.close()
