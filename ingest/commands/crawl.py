"""``ingest crawl``: the daemon's incremental crawl, once, narrated on stderr."""

from __future__ import annotations

import argparse
import sys

from ingest.commands._common import (
    check_start,
    configured_sites,
    non_negative_int,
    open_database,
    site_option,
    start_logging,
)
from ingest.commands._runs_report import report_interrupted, report_runs
from ingest.domain import RunKind, utc_now
from ingest.heap import freeze_startup_objects
from ingest.settings import Settings

NAME = "crawl"
RESUME = "interrupted: run it again to crawl the rest (each date is stored whole or not at all)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--days",
        type=non_negative_int,
        help="days back from today, 0 for today only (default: lookback_days)",
    )
    site_option(parser)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    sites = configured_sites(args, settings)
    check_start(settings)
    start_logging(settings, NAME, stream_level=None)
    from ingest.daemon import crawl_once

    freeze_startup_objects()  # the crawl's modules are start-up's too
    database = open_database(settings, access="crawl")
    since = utc_now()
    try:
        outcomes = crawl_once(
            settings,
            database,
            kind=RunKind.MANUAL,
            sites=sites,
            days=args.days,
        )
    except KeyboardInterrupt:
        report_interrupted(database, since, sys.stderr, RESUME)
        raise
    finally:
        database.dispose()
    return report_runs(outcomes, sys.stdout, None)
