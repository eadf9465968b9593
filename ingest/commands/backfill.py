"""``ingest backfill``: crawl a range of dates once, with a progress line on a terminal."""

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
from ingest.commands._runs_report import ProgressLine, report_interrupted, report_runs
from ingest.domain import utc_now
from ingest.heap import freeze_startup_objects
from ingest.settings import Settings

NAME = "backfill"
HELP = "crawl a range of dates once"
RESUME = "interrupted: run the same command again to resume (the dates done are skipped)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="first", type=iso_date, required=True, metavar="DATE")
    parser.add_argument("--to", dest="last", type=iso_date, required=True, metavar="DATE")
    parser.add_argument("--force", action="store_true", help="crawl dates already complete again")
    site_option(parser)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    require_range(args.first, args.last)
    sites = configured_sites(args, settings)
    check_start(settings)
    progress = ProgressLine.for_stream(sys.stderr)
    # Under a progress line stderr shows only warnings; without one the crawl narrates there.
    start_logging(
        settings,
        NAME,
        stream_level="WARNING" if progress else None,
        stream=progress.above() if progress else None,
    )
    from ingest import crawl

    freeze_startup_objects()  # the crawl's modules are start-up's too
    try:
        database = open_database(settings, access="crawl")
        since = utc_now()
        try:
            outcomes = crawl.backfill(
                settings,
                database,
                args.first,
                args.last,
                sites=sites,
                force=args.force,
                on_progress=progress.update if progress else None,
            )
        except KeyboardInterrupt:
            if progress is not None:
                progress.close()
            report_interrupted(database, since, sys.stderr, RESUME)
            raise
        finally:
            database.dispose()
        return report_runs(outcomes, sys.stdout, progress)
    finally:
        if progress is not None:
            progress.close()
