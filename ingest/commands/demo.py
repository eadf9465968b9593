"""``ingest demo``: the bundled offline sample site served on loopback and backfilled, then what
was stored, narrated for a person, with the commands to look further."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import threading
from datetime import date
from pathlib import Path
from types import FrameType
from zoneinfo import ZoneInfo

import msgspec

from ingest.commands._common import (
    check_start,
    iso_date,
    open_database,
    port_number,
    require_range,
    start_logging,
)
from ingest.commands._runs_report import ProgressLine, report_interrupted, report_runs
from ingest.domain import utc_now
from ingest.errors import UsageError
from ingest.heap import freeze_startup_objects
from ingest.settings import Settings, SiteSettings, SiteUrl
from ingest.store import exports
from ingest.store.engine import Database

NAME = "demo"

DEMO_SITE_NAME = "etilaf-sample"
DEMO_RANGE = (date(2020, 2, 1), date(2020, 2, 29))
RESUME = "interrupted: run `ingest demo` again to finish (it crawls the range again)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="first", type=iso_date, default=DEMO_RANGE[0])
    parser.add_argument("--to", dest="last", type=iso_date, default=DEMO_RANGE[1])
    parser.add_argument(
        "--serve",
        action="store_true",
        help="keep the sample site up afterwards, for `ingest inspect`, until Ctrl-C or SIGTERM",
    )
    parser.add_argument(
        "--port", type=port_number, default=0, help="serve the sample site on this port"
    )


def handle(args: argparse.Namespace, settings: Settings) -> int:
    require_range(args.first, args.last)
    check_start(settings)
    progress = ProgressLine.for_stream(sys.stderr)
    from ingest.sample_site import SampleSite, SampleSiteServer

    server = SampleSiteServer(SampleSite(), port=args.port)
    try:
        server.start()  # before anything is made: a busy --port is one line, exit 2
    except OSError as exc:
        raise UsageError(
            f"--port {args.port}: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}"
        ) from None
    try:
        start_logging(
            settings,
            NAME,
            stream_level="WARNING" if progress else None,
            stream=progress.above() if progress else None,
        )
        from ingest import crawl

        freeze_startup_objects()  # the crawl's modules are start-up's too
        database = open_database(settings, access="crawl")
        since = utc_now()
        demo = demo_settings(settings, server.base_url, server.listing_path)
        print(f"serving the bundled sample site at {server.base_url}", file=sys.stderr)
        try:
            outcomes = crawl.backfill(
                demo,
                database,
                args.first,
                args.last,
                force=True,
                on_progress=progress.update if progress else None,
            )
            code = report_runs(outcomes, sys.stdout, progress)
            _narrate(demo, database, args.first, args.last, run_as(args))
        except KeyboardInterrupt:
            if progress is not None:
                progress.close()
            report_interrupted(database, since, sys.stderr, RESUME)
            raise
        finally:
            database.dispose()
            if progress is not None:
                progress.close()
        if args.serve:
            _serve(demo, run_as(args), args.first)
        return code
    finally:
        server.stop()


def _narrate(demo: Settings, database: Database, first: date, last: date, ingest: str) -> None:
    name = demo.site.name
    print(f"\nstored in {demo.masked()['database']['url']} as site {name!r}:")
    with database.transaction() as tx:
        stored = exports.articles_between(tx.connection, name, first, last, limit=12)
        total = exports.count_articles(tx.connection, name, first, last)
    for day, category, title in stored:
        print(f"  {day.isoformat()}  {(category or '-')[:16]:<16}  {title[:90]}")
    print(f"... {total} articles in all, stored as their own site {name!r}. Look at them with:")
    print(f"  {ingest} runs --site {name}")
    print(f"  {ingest} export --site {name} --output {name}.jsonl")
    print(f"  {ingest} health --site {name}")
    print(f"  {ingest} coverage --site {name}")
    if not ingest.startswith("ingest"):
        print(f"(`ingest` is {ingest.split()[0]}: or `. .venv/bin/activate` first, then `ingest`)")


def _serve(demo: Settings, ingest: str, day: date) -> None:
    """Keep the sample site up, with a config naming it for ``inspect``, until Ctrl-C or
    SIGTERM; the config (a temporary file) goes with it."""
    stop = threading.Event()

    def stop_serving(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, stop_serving) for sig in (signal.SIGINT, signal.SIGTERM)}
    with tempfile.TemporaryDirectory(prefix="ingest-demo-") as folder:
        config = Path(folder) / "demo.toml"
        config.write_text(demo_config(demo), encoding="utf-8")
        site = demo.site
        print(f"\nserving the sample site at {site.base_url} until Ctrl-C. Inspect it with:")
        print(f"  {ingest} --config {config} inspect --date {day.isoformat()} --article")
        sys.stdout.flush()
        try:
            stop.wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    print("stopped serving the sample site", file=sys.stderr)


def demo_config(demo: Settings) -> str:
    """A config for the served sample site alone, for ``inspect`` (which stores nothing)."""
    site = demo.site
    return (
        "# The sample site `ingest demo --serve` serves; removed when it stops.\n"
        "[site]\n"
        f'name = "{site.name}"\n'
        f'base_url = "{site.base_url}"\n'
        f'listing_path = "{site.listing_path}"\n'
        f'layout = "{site.layout}"\n'
        f'timezone = "{site.timezone.key}"\n'
        "[http]\n"
        "requests_per_second = 0\n"
        "[logging]\n"
        'file = ""\n'
    )


def run_as(args: argparse.Namespace) -> str:
    """How this command was run, to print commands that work as shown: ``ingest`` when that
    is what the shell finds, else its path (``.venv/bin/ingest`` after ``make demo``); the
    ``--config`` given, if any."""
    script = Path(sys.argv[0])
    if script.name == "__main__.py":  # python -m ingest
        command = f"{_shown(Path(sys.executable))} -m ingest"
    else:
        found = shutil.which("ingest")
        same = found is not None and Path(found).resolve() == script.resolve()
        command = "ingest" if same else _shown(script)
    return f"{command} --config {args.config}" if args.config else command


def _shown(path: Path) -> str:
    """``path`` relative to the working folder when it is inside it, else absolute."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


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
