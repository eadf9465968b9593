"""``ingest backfill``: crawl a range of dates once, with a progress line on a terminal."""

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

NAME = "backfill"
RESUME = "interrupted: run the same command again to resume (the dates done are skipped)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="first", type=iso_date, required=True, metavar="DATE")
    parser.add_argument("--to", dest="last", type=iso_date, required=True, metavar="DATE")
    parser.add_argument("--force", action="store_true", help="crawl dates already complete again")
    site_option(parser)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    require_range(args.first, args.last)
    sites = configured_sites(args, settings)

    def work(database: Database, on_progress: Callable[[Progress], None] | None) -> list[Outcome]:
        from ingest import crawl

        return crawl.backfill(
            settings, database, args.first, args.last,
            sites=sites, force=args.force, on_progress=on_progress,
        )  # fmt: skip

    return crawl_with_progress(settings, NAME, work, RESUME)
