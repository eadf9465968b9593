"""``ingest reparse``: read a range of dates again from the WARC archive, with no request."""

from __future__ import annotations

import argparse
import sys

from ingest.commands._common import (
    check_start,
    configured_sites,
    iso_date,
    open_database,
    require_range,
    site_option,
    start_logging,
)
from ingest.commands._runs_report import ProgressLine, report_runs
from ingest.heap import freeze_startup_objects
from ingest.settings import Settings

NAME = "reparse"
HELP = "read stored pages again from the WARC archive with today's layout (no request)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="first", type=iso_date, required=True, metavar="DATE")
    parser.add_argument("--to", dest="last", type=iso_date, required=True, metavar="DATE")
    site_option(parser)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    require_range(args.first, args.last)
    sites = configured_sites(args, settings)
    check_start(settings)  # the log and database folders, before either is made
    progress = ProgressLine.for_stream(sys.stderr)
    start_logging(
        settings,
        NAME,
        stream_level="WARNING" if progress else None,
        stream=progress.above() if progress else None,
    )
    from ingest import crawl

    freeze_startup_objects()
    try:
        database = open_database(settings, access="crawl")
        try:
            outcomes = crawl.reparse(
                settings,
                database,
                args.first,
                args.last,
                sites=sites,
                on_progress=progress.update if progress else None,
            )
        finally:
            database.dispose()
        return report_runs(outcomes, sys.stdout, progress)
    finally:
        if progress is not None:
            progress.close()
