"""``ingest demo``: the bundled offline sample site served on loopback and backfilled, then what
was stored, narrated for a person, with the commands to look further."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from zoneinfo import ZoneInfo

import msgspec

from ingest.commands._common import (
    check_start,
    iso_date,
    open_database,
    require_range,
    start_logging,
)
from ingest.commands._runs_report import ProgressLine, report_runs
from ingest.heap import freeze_startup_objects
from ingest.settings import Settings, SiteSettings, SiteUrl
from ingest.store import articles
from ingest.store.engine import Database

NAME = "demo"
HELP = "ingest the bundled offline sample site"

DEMO_SITE_NAME = "etilaf-sample"
DEMO_RANGE = (date(2020, 2, 1), date(2020, 2, 29))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="first", type=iso_date, default=DEMO_RANGE[0])
    parser.add_argument("--to", dest="last", type=iso_date, default=DEMO_RANGE[1])


def handle(args: argparse.Namespace, settings: Settings) -> int:
    require_range(args.first, args.last)
    check_start(settings)
    progress = ProgressLine.for_stream(sys.stderr)
    start_logging(settings, NAME, stream_level="WARNING" if progress else None)
    from ingest import crawl
    from ingest.sample_site import SampleSite, SampleSiteServer

    freeze_startup_objects()  # the crawl's modules are start-up's too
    database = open_database(settings, access="crawl")
    try:
        with SampleSiteServer(SampleSite()) as server:
            demo = demo_settings(settings, server.base_url, server.listing_path)
            print(f"serving the bundled sample site at {server.base_url}", file=sys.stderr)
            outcomes = crawl.backfill(
                demo,
                database,
                args.first,
                args.last,
                force=True,
                on_progress=progress.update if progress else None,
            )
        code = report_runs(outcomes, sys.stdout, progress)
        _narrate(demo, database, args.first, args.last)
        return code
    finally:
        database.dispose()
        if progress is not None:
            progress.close()


def _narrate(demo: Settings, database: Database, first: date, last: date) -> None:
    name = demo.site.name
    print(f"\nstored in {demo.masked()['database']['url']} as site {name!r}:")
    with database.transaction() as tx:
        stored = articles.articles_between(tx.connection, name, first, last, limit=12)
        total = articles.count_articles(tx.connection, name, first, last)
    for day, category, title in stored:
        print(f"  {day.isoformat()}  {(category or '-')[:16]:<16}  {title[:90]}")
    print(f"... {total} articles in all, stored as their own site {name!r}. Look at them with:")
    print(f"  ingest runs --site {name}")
    print(f"  ingest export --site {name} --output {name}.jsonl")
    print(f"  ingest health --site {name}")
    print(f"  ingest coverage --site {name}")


def demo_settings(settings: Settings, base_url: str, listing_path: str) -> Settings:
    """The configured settings with one site: the bundled K2 sample site on loopback."""
    # Loopback is free: no rate limit, more requests in flight, short backoff.
    http = msgspec.structs.replace(
        settings.http,
        requests_per_second=0.0,
        concurrency=8,
        backoff_initial_seconds=0.05,
        backoff_max_seconds=1.0,
    )
    site = SiteSettings(
        name=DEMO_SITE_NAME,
        base_url=SiteUrl(base_url),
        listing_path=listing_path,
        timezone=ZoneInfo("Asia/Damascus"),
        layout="k2",
        http=http,
    )
    return msgspec.structs.replace(settings, sites=(site,))
