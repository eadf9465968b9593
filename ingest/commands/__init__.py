"""The commands, one module each (as ``scrapy/commands/``): its arguments, its handler and how
it shows its result.

Each module has ``NAME``, ``add_arguments`` (its options on its own subparser) and
``handle(args, settings)``, which starts the log as the command wants it (a crawl narrates on
stderr, a probe keeps its events to the log file), does the work and returns the exit code.
``ingest.cli`` only builds the parser, loads the settings, dispatches and maps errors to exit
codes.

A command's module is imported only when that command is chosen (to run it, or to show its own
``--help``): ``COMMANDS`` holds each one's line in ``ingest --help``, so ``health``, what a probe
runs every few seconds, loads neither the other commands nor what they import. A module also
imports what only its work needs (the crawl, the daemon, the HTTP client) inside ``handle``.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Protocol, cast

from ingest.settings import Settings


class Command(Protocol):
    """What a command module holds."""

    NAME: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def handle(self, args: argparse.Namespace, settings: Settings) -> int: ...


# Each command's name (its module's) and its line in ``ingest --help``, in the order listed.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("backfill", "crawl a range of dates once"),
    ("reparse", "read stored pages again from the WARC archive with today's layout (no request)"),
    ("export", "write stored articles as JSON lines or CSV"),
    ("runs", "show recent runs, newest first"),
    ("crawl", "run the daemon's incremental crawl once"),
    ("run", "start the daemon: scheduled incremental crawls"),
    ("health", "exit 0 when ingestion is healthy, 1 if not"),
    ("logs", "show a run's events from the log file"),
    ("inspect", "show what a site's layout extracts from live pages (stores nothing)"),
    ("add", "look at a site and print its [[sites]] block (or append it to a config)"),
    ("coverage", "draw each site's archive as a calendar: complete, empty, failed days"),
    ("db", "database maintenance"),
    ("demo", "ingest the bundled offline sample site"),
)


def load(name: str) -> Command:
    """The module of the command ``name`` (one of ``COMMANDS``), imported now."""
    return cast(Command, importlib.import_module(f"{__name__}.{name}"))


__all__ = ["COMMANDS", "Command", "load"]
