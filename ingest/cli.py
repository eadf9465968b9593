"""Command line: build the parser, load the settings, dispatch to the command, turn errors into
one line and an exit code. Each command is a module of ``ingest.commands``.

Exit codes: 0 success, 1 a run with failed dates or an operational error, 2 bad usage or
configuration, 130 interrupted, 141 the reader of standard output went away.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import structlog

from ingest import __version__
from ingest.commands import COMMANDS, load
from ingest.commands._common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_READER_GONE,
    EXIT_USAGE,
    config_option,
)
from ingest.errors import ConfigError, IngestError, SiteBusyError, UsageError
from ingest.heap import keep_heap_between_pages
from ingest.logs import close_logging
from ingest.secrets import redact
from ingest.settings import load_settings
from ingest.terminal import printable

log = structlog.get_logger("ingest.cli")

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_READER_GONE", "EXIT_USAGE"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit 2, no usage dump
        self.exit(EXIT_USAGE, f"ingest: error: {message}\n")


if TYPE_CHECKING:  # generic in typeshed only
    _SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    _SubParsers = argparse._SubParsersAction


class _Commands(_SubParsers):
    """The subcommands, each given its own options only once it is chosen: what ``ingest
    health`` runs then imports no other command's module (``ingest.commands``)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        assert isinstance(values, list)  # argparse hands a subcommand its name and the rest
        subparser = self._name_parser_map.get(values[0])
        if subparser is not None:  # else argparse says which names there are
            load(values[0]).add_arguments(subparser)
            config_option(subparser)
        super().__call__(parser, namespace, values, option_string)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ingest",
        description="Scrape date-filtered news listings into a deduplicated SQL store.",
    )
    parser.add_argument("--config", metavar="PATH", help="TOML config file")
    parser.add_argument("--version", action="version", version=f"ingest {__version__}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser, action=_Commands
    )
    commands.required = True
    for name, summary in COMMANDS:
        commands.add_parser(name, help=summary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    keep_heap_between_pages()
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config, os.environ)
    except ConfigError as exc:
        _say(f"ingest: config error: {exc}")
        return EXIT_USAGE
    command = load(args.command)  # imported already, to parse its arguments
    try:
        return command.handle(args, settings)
    except BrokenPipeError:
        return _reader_gone()
    except ConfigError as exc:
        _say(f"ingest: config error: {exc}")
        return EXIT_USAGE
    except UsageError as exc:
        _say(f"ingest: error: {exc}")
        return EXIT_USAGE
    except SiteBusyError as exc:
        log.warning("run_skipped", command=args.command, reason=str(exc))
        _say(f"ingest: skipped: {exc}")
        return EXIT_FAILED
    except IngestError as exc:
        log.error("command_failed", command=args.command, error=str(exc))
        _say(f"ingest: error: {exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("ingest: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        log.exception("internal_error", command=args.command)
        _say(f"ingest: internal error: {type(exc).__name__}: {exc}")
        return EXIT_FAILED
    finally:
        close_logging()


def _say(line: str) -> None:
    """The command's one line on stderr, without any secret of the settings in it, and with
    what a site wrote in it (an error can quote the site) made printable."""
    print(printable(redact(line)), file=sys.stderr)


def _reader_gone() -> int:
    """Stop quietly, as Unix tools do, when the reader of stdout went away (a closed pipe).

    Python ignores SIGPIPE, so such a write raises BrokenPipeError instead of ending the
    process. As Python's docs say (signal, "Note on SIGPIPE"), stdout is pointed at devnull
    first: what is still buffered is flushed at exit, and would raise again there.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, ValueError, OSError):
        pass  # stdout is no file (replaced in-process): nothing is flushed to a pipe at exit
    finally:
        os.close(devnull)
    return EXIT_READER_GONE
