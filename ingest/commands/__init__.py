"""The commands, one module each (as ``scrapy/commands/``): its arguments, its handler and how
it shows its result.

Each module has ``NAME`` and ``HELP`` (its line in ``ingest --help``), ``add_arguments`` (its
options on its own subparser) and ``handle(args, settings)``, which starts the log as the
command wants it (a crawl narrates on stderr, a probe keeps its events to the log file), does
the work and returns the exit code. ``ingest.cli`` only builds the parser, loads the settings,
dispatches and maps errors to exit codes.

A module imports what only its work needs (the crawl, the daemon, the HTTP client) inside
``handle``: every command's module is loaded to build the parser, and ``health``, what a probe
runs every few seconds, must start without them.
"""

from __future__ import annotations

import argparse
from typing import Protocol

from ingest.commands import (
    add,
    backfill,
    coverage,
    crawl,
    db,
    demo,
    export,
    health,
    inspect,
    logs,
    reparse,
    run,
    runs,
)
from ingest.settings import Settings


class Command(Protocol):
    """What a command module holds."""

    NAME: str
    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def handle(self, args: argparse.Namespace, settings: Settings) -> int: ...


# In the order ``ingest --help`` lists them.
COMMANDS: tuple[Command, ...] = (
    backfill,
    reparse,
    export,
    runs,
    crawl,
    run,
    health,
    logs,
    inspect,
    add,
    coverage,
    db,
    demo,
)

__all__ = ["COMMANDS", "Command"]
