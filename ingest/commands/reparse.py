"""``ingest reparse``: read a range of dates again from the WARC archive, with no request."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from ingest.commands._common import configured_sites, iso_date, require_range, site_option
from ingest.commands._runs_report import crawl_with_progress
from ingest.settings import Settings

if TYPE_CHECKING:
    from ingest.crawl import Outcome, Progress
    from ingest.store.engine import Database

NAME = "reparse"
RESUME = "interrupted: run the same command again to read the rest (the dates done are read again)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="first", type=iso_date, required=True, metavar="DATE")
    parser.add_argument("--to", dest="last", type=iso_date, required=True, metavar="DATE")
    site_option(parser)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    require_range(args.first, args.last)
    sites = configured_sites(args, settings)

    def work(database: Database, on_progress: Callable[[Progress], None] | None) -> list[Outcome]:
        from ingest import crawl

        return crawl.reparse(
            settings, database, args.first, args.last, sites=sites, on_progress=on_progress
        )

    return crawl_with_progress(settings, NAME, work, RESUME)
