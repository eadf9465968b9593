"""``ingest health``: each site's verdict, one line each (or JSON); exit 1 when any is not
healthy. What a liveness probe runs: it loads neither the crawl nor APScheduler."""

from __future__ import annotations

import argparse
import json

from ingest import health
from ingest.commands._common import (
    EXIT_FAILED,
    EXIT_OK,
    database_sites,
    duration,
    open_database,
    site_option,
    start_logging,
)
from ingest.settings import Settings
from ingest.terminal import printable

NAME = "health"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-age", type=duration, metavar="DURATION", help="e.g. 90m (default: 3 intervals)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    site_option(parser, also="one stored in the database, such as the demo's")


def handle(args: argparse.Namespace, settings: Settings) -> int:
    start_logging(settings, NAME, stream_level="CRITICAL", reads_only=True)
    database = open_database(settings, access="read")
    try:
        sites = database_sites(args, settings, database)
        reports = health.check_sites(settings, database, sites=sites, max_age=args.max_age)
    finally:
        database.dispose()
    all_healthy = all(report.healthy for report in reports)
    if args.json:
        figures = [{"healthy": r.healthy, "reason": r.reason, **r.figures} for r in reports]
        print(json.dumps({"healthy": all_healthy, "sites": figures}, ensure_ascii=False, indent=2))
    else:
        for report in reports:
            print(printable(report.line))
    return EXIT_OK if all_healthy else EXIT_FAILED
