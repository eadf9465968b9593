"""``ingest logs``: the JSON log file read back for a person: one run's events, errors only,
or following as they are written."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from ingest.commands._common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    named_sites,
    positive_int,
    site_option,
    start_logging,
)
from ingest.settings import Settings
from ingest.terminal import Colour, paint, printable, wants_colour

NAME = "logs"

_COLOURS = {"debug": Colour.DIM, "info": Colour.GREEN, "warning": Colour.YELLOW,
            "error": Colour.RED, "critical": Colour.BOLD_RED}  # fmt: skip
_SERIOUS = frozenset({"warning", "error", "critical"})
_FIRST = ("timestamp", "level", "event", "run_id", "site")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_id", nargs="?", type=positive_int, help="default: the latest run")
    parser.add_argument("--errors", action="store_true", help="warnings and errors only")
    parser.add_argument("--follow", action="store_true", help="keep printing new events")
    site_option(parser, also="one named in the log")


def handle(args: argparse.Namespace, settings: Settings) -> int:
    # It prints the log file: its own events stay out of it (--follow would show them).
    start_logging(settings, NAME, stream_level="CRITICAL", log_file=False, reads_only=True)
    if not settings.logging.file:
        print("ingest: error: logging.file is not set: there is no log file", file=sys.stderr)
        return EXIT_USAGE
    path = Path(settings.logging.file)
    if not path.is_file():
        print(f"ingest: error: no log file at {path}", file=sys.stderr)
        return EXIT_FAILED
    colour = wants_colour(sys.stdout)
    with path.open(encoding="utf-8") as handle:
        events = list(read_events(handle))
    in_log = {str(event["site"]) for event in events if event.get("site")}
    named_sites(args, settings, stored=lambda: in_log, where="in the log")
    sites = set(args.sites) if args.sites else None
    # The given run, else the latest run of each site; a log without any run: everything.
    latest = {args.run_id} if args.run_id is not None else latest_run_ids(events, sites)
    run_ids = latest or None
    for event in events:
        if keep(event, run_ids, args.errors, sites):
            print(render(event, colour=colour))
    if args.follow:
        try:
            follow(path, sys.stdout, run_ids=run_ids if args.run_id else None,
                   errors_only=args.errors, colour=colour, sites=sites)  # fmt: skip
        except KeyboardInterrupt:
            return EXIT_OK
    return EXIT_OK


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
    """The latest run of each site (of ``sites`` only, when given): the last run id a site's
    events carry (a scheduled run's ``run_started`` is DEBUG, most logs lack it)."""
    latest: dict[str, int] = {}
    for event in events:
        site, run_id = event.get("site"), event.get("run_id")
        if not isinstance(run_id, int):
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
    """One event on one line; what the log file holds (site text, errors) made printable."""
    level = printable(str(event.get("level", "info")))
    stamp = printable(str(event.get("timestamp", ""))[:19].replace("T", " "))
    rest = " ".join(
        f"{key}={value}" for key, value in event.items() if key not in _FIRST and value is not None
    )
    head = paint(f"{level.upper():<8}", _COLOURS.get(level), enabled=colour)
    run = f" run={event['run_id']}" if "run_id" in event else ""
    site = f" site={event['site']}" if "site" in event else ""
    body = printable(f"{event.get('event', '?'):<22}{run}{site} {rest}")
    return f"{stamp} {head} {body}".rstrip()


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
