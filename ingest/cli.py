"""Command line: parse arguments, call the library, turn errors into one line and an exit code.

Exit codes: 0 success, 1 a run with failed dates or an operational error, 2 bad usage or
configuration, 130 interrupted, 141 the reader of standard output went away.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import msgspec
import structlog

from ingest import __version__, app, logview
from ingest.domain import RunKind
from ingest.errors import ConfigError, FetchError, IngestError, ParseError, SiteBusyError
from ingest.heap import freeze_startup_objects, keep_heap_between_pages
from ingest.logs import close_logging, configure_logging
from ingest.settings import Settings, SiteSettings, load_settings, parse_duration

# The crawl (HTTP client, pipeline), the daemon (APScheduler), exports and metrics are imported
# by the commands that use them: health, a probe's command, starts without them.
if TYPE_CHECKING:
    from ingest.crawl import Outcome, Progress, RunSummary
    from ingest.metrics import MetricsCollector
    from ingest.store.engine import Database

log = structlog.get_logger("ingest.cli")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# The reader of our output went away (`ingest export | head -1`). 141 = 128 + SIGPIPE, the status
# a shell reports for a Unix tool that SIGPIPE ended (`yes | head -1`): a `set -o pipefail`
# script sees from ingest what it sees from cat or grep, and never takes it for our own 1 (failed
# dates, unhealthy), which Python's own 1 for EPIPE would be.
EXIT_READER_GONE = 141


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit 2, no usage dump
        self.exit(EXIT_USAGE, f"ingest: error: {message}\n")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2020-02-01") from None


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def _non_negative_int(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(text)


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ingest",
        description="Scrape date-filtered news listings into a deduplicated SQL store.",
    )
    parser.add_argument("--config", metavar="PATH", help="TOML config file")
    parser.add_argument("--version", action="version", version=f"ingest {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    backfill = commands.add_parser("backfill", help="crawl a range of dates once")
    backfill.add_argument("--from", dest="first", type=_iso_date, required=True, metavar="DATE")
    backfill.add_argument("--to", dest="last", type=_iso_date, required=True, metavar="DATE")
    backfill.add_argument("--force", action="store_true", help="crawl dates already complete again")
    _site_option(backfill)

    export = commands.add_parser("export", help="write stored articles as JSON lines or CSV")
    export.add_argument("--format", dest="fmt", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--from", dest="first", type=_iso_date, metavar="DATE")
    export.add_argument("--to", dest="last", type=_iso_date, metavar="DATE")
    export.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    _site_option(export, also="any site stored in the database")

    runs = commands.add_parser("runs", help="show recent runs, newest first")
    runs.add_argument("--limit", type=_positive_int, default=20)
    runs.add_argument("--json", action="store_true", help="print a JSON array")
    _site_option(runs, also="any site stored in the database")

    crawl = commands.add_parser("crawl", help="run the daemon's incremental crawl once")
    crawl.add_argument(
        "--days", type=_non_negative_int, help="days back from today (default: lookback_days)"
    )
    _site_option(crawl)

    commands.add_parser("run", help="start the daemon: scheduled incremental crawls")

    health = commands.add_parser("health", help="exit 0 when ingestion is healthy, 1 if not")
    health.add_argument(
        "--max-age", type=_duration, metavar="DURATION", help="e.g. 90m (default: 3 intervals)"
    )
    health.add_argument("--json", action="store_true", help="print the figures as JSON")
    _site_option(health)

    logs = commands.add_parser("logs", help="show a run's events from the log file")
    logs.add_argument("run_id", nargs="?", type=_positive_int, help="default: the latest run")
    logs.add_argument("--errors", action="store_true", help="warnings and errors only")
    logs.add_argument("--follow", action="store_true", help="keep printing new events")
    _site_option(logs, also="any site in the log")

    inspect = commands.add_parser(
        "inspect", help="show what a site's layout extracts from live pages (stores nothing)"
    )
    inspect.add_argument("url", nargs="?", metavar="URL", help="one page to parse as a listing")
    inspect.add_argument("--site", metavar="NAME", help="the configured site (default: the only)")
    inspect.add_argument("--date", dest="day", type=_iso_date, metavar="DATE",
                         help="that day's listing, every page")  # fmt: skip
    inspect.add_argument("--article", action="store_true", help="also parse the first article")
    inspect.add_argument("--json", action="store_true", help="print JSON")

    coverage = commands.add_parser(
        "coverage", help="draw each site's archive as a calendar: complete, empty, failed days"
    )
    coverage.add_argument("--from", dest="first", type=_iso_date, metavar="DATE",
                          help="default: the site's first crawled day")  # fmt: skip
    coverage.add_argument("--to", dest="last", type=_iso_date, metavar="DATE",
                          help="default: the site's last crawled day")  # fmt: skip
    coverage.add_argument("--json", action="store_true", help="print the per-day figures")
    coverage.add_argument("--svg", metavar="PATH", help="also write the calendar as an SVG")
    _site_option(coverage)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", parser_class=_Parser)
    db_commands.required = True
    db_commands.add_parser("upgrade", help="apply every pending migration")
    backup = db_commands.add_parser(
        "backup", help="write a consistent copy of the SQLite database, safe while crawls run"
    )
    backup.add_argument("path", metavar="PATH", help="the copy to write (replaced if it exists)")

    demo = commands.add_parser("demo", help="ingest the bundled offline sample site")
    demo.add_argument("--from", dest="first", type=_iso_date, default=app.DEMO_RANGE[0])
    demo.add_argument("--to", dest="last", type=_iso_date, default=app.DEMO_RANGE[1])
    return parser


def _site_option(parser: argparse.ArgumentParser, *, also: str | None = None) -> None:
    where = "configured" if also is None else f"configured, or {also}"
    parser.add_argument(
        "--site",
        dest="sites",
        action="append",
        metavar="NAME",
        help=f"only this site (repeatable; default: every site); a site {where}",
    )


def _configured_sites(args: argparse.Namespace, settings: Settings) -> tuple[SiteSettings, ...]:
    return settings.select_sites(args.sites)


def _stored_sites(args: argparse.Namespace, settings: Settings) -> tuple[SiteSettings, ...]:
    """For commands that only read: a --site may also name a site stored but not configured."""
    return settings.select_sites(args.sites, stored_too=True)


def main(argv: Sequence[str] | None = None) -> int:
    keep_heap_between_pages()
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config, os.environ)
    except ConfigError as exc:
        print(f"ingest: config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    first, last = getattr(args, "first", None), getattr(args, "last", None)
    if first is not None and last is not None and first > last:
        print(f"ingest: error: --from {first} is after --to {last}", file=sys.stderr)
        return EXIT_USAGE
    crawls = args.command in ("backfill", "demo", "crawl", "run")
    shows_progress = args.command in ("backfill", "demo")
    progress = _ProgressBar.for_stream(sys.stderr) if shows_progress else None
    # Crawls narrate on stderr (only warnings under a progress bar); the other commands print
    # their result and keep their events to the log file, so their output stays clean.
    stream_level = None if crawls and progress is None else "WARNING" if crawls else "CRITICAL"
    collector = None
    if args.command == "run" and settings.metrics.port is not None:
        from ingest.metrics import MetricsCollector

        collector = MetricsCollector()
    logging_settings = settings.logging
    if args.command == "logs":
        # It prints the log file: its own events stay out of it (--follow would show them).
        logging_settings = msgspec.structs.replace(logging_settings, file=None)
    try:
        configure_logging(
            logging_settings,
            stream_level=stream_level,
            observers=[collector] if collector is not None else [],
        )
    except OSError as exc:
        print(f"ingest: cannot open the log file: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if crawls:
        import ingest.crawl  # noqa: F401 (the crawl's modules: start-up's, frozen with it)

        freeze_startup_objects()
    try:
        if args.command == "logs":
            return _logs(args, settings)
        return _dispatch(args, settings, progress, collector)
    except BrokenPipeError:
        return _reader_gone()
    except ConfigError as exc:
        print(f"ingest: config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SiteBusyError as exc:
        log.warning("run_skipped", command=args.command, reason=str(exc))
        print(f"ingest: skipped: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except IngestError as exc:
        log.error("command_failed", command=args.command, error=str(exc))
        print(f"ingest: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("ingest: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        log.exception("internal_error", command=args.command)
        print(f"ingest: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if progress is not None:
            progress.close()
        close_logging()


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


def _dispatch(
    args: argparse.Namespace,
    settings: Settings,
    progress: _ProgressBar | None,
    collector: MetricsCollector | None,
) -> int:
    log.info("command_started", command=args.command, settings=settings.masked())
    if args.command == "inspect":
        return _inspect(args, settings)
    if args.command == "coverage":
        return _coverage(args, settings)
    if args.command == "db":
        return _db(args, settings)
    if args.command == "run":
        return _run(settings, collector)
    # The commands that only read never migrate and never write.
    reads = args.command in ("health", "runs", "export")
    database = app.open_database(settings, access="read" if reads else "crawl")
    try:
        if args.command == "backfill":
            outcomes = app.backfill(
                settings,
                database,
                args.first,
                args.last,
                sites=_configured_sites(args, settings),
                force=args.force,
                on_progress=progress.update if progress else None,
            )
            return _report_runs(outcomes, sys.stdout, progress)
        if args.command == "crawl":
            from ingest.daemon import crawl_once

            outcomes = crawl_once(
                settings,
                database,
                kind=RunKind.MANUAL,
                sites=_configured_sites(args, settings),
                days=args.days,
            )
            return _report_runs(outcomes, sys.stdout, progress)
        if args.command == "health":
            reports = app.health(
                settings, database, sites=_stored_sites(args, settings), max_age=args.max_age
            )
            all_healthy = all(report.healthy for report in reports)
            if args.json:
                figures = [{"healthy": r.healthy, "reason": r.reason, **r.figures} for r in reports]
                print(json.dumps({"healthy": all_healthy, "sites": figures}, ensure_ascii=False,
                                 indent=2))  # fmt: skip
            else:
                for report in reports:
                    print(report.line)
            return EXIT_OK if all_healthy else EXIT_FAILED
        if args.command == "demo":
            return _demo(args, settings, database, progress)
        if args.command == "export":
            return _export(args, settings, database)
        if args.command == "runs":
            return _runs(args, settings, database)
    finally:
        database.dispose()
    raise AssertionError(f"unhandled command {args.command}")


def _run(settings: Settings, collector: MetricsCollector | None) -> int:
    """The daemon: it waits for its database rather than exiting (``daemon_start``)."""
    from ingest.daemon import install_stop_signals
    from ingest.daemon_start import serve

    stop = threading.Event()
    install_stop_signals(stop)
    serve(
        settings,
        collector,
        stop=stop,
        open_database=lambda: app.open_database(settings, access="crawl"),
        health=lambda database: app.health(settings, database),
    )
    return EXIT_OK


def _db(args: argparse.Namespace, settings: Settings) -> int:
    if args.db_command == "backup":
        try:
            made = app.backup_database(settings, Path(args.path))
        except ConfigError as exc:
            print(f"ingest: {exc}", file=sys.stderr)
            return EXIT_USAGE
        log.info("database_backed_up", path=str(made.path), pages=made.pages)
        print(f"backed up to {made.path} ({made.size_bytes} bytes)")
        return EXIT_OK
    app.open_database(settings, access="upgrade").dispose()
    print("database is at the newest schema")
    return EXIT_OK


def _inspect(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.inspection import inspect_site, render

    if (args.day is None) == (args.url is None):
        print("ingest: error: inspect takes --date DATE or a URL", file=sys.stderr)
        return EXIT_USAGE
    if args.site is None and len(settings.sites) > 1:
        print(f"ingest: error: name the site with --site ({', '.join(settings.site_names)})",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    (site,) = settings.select_sites([args.site] if args.site else settings.site_names[:1])
    try:
        found = inspect_site(site, day=args.day, url=args.url, article=args.article)
    except (FetchError, ParseError) as exc:
        print(f"ingest: {site.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(found.as_dict(), ensure_ascii=False, indent=2))
    else:
        width = shutil.get_terminal_size((120, 24)).columns
        for line in render(found, width=width):
            print(line)
    return EXIT_OK


def _coverage(args: argparse.Namespace, settings: Settings) -> int:
    """Reads only: no migration, no write (a SQLite file that does not exist is not created)."""
    from ingest import coverage

    sites = _stored_sites(args, settings)
    if settings.database.url.startswith("sqlite:///"):
        path = Path(settings.database.url.removeprefix("sqlite:///").split("?", 1)[0])
        if not path.is_file():
            print(f"ingest: error: no database at {path}", file=sys.stderr)
            return EXIT_FAILED
    database = app.open_database(settings, access="read")
    try:
        found = [coverage.read_calendar(database, s.name, args.first, args.last) for s in sites]
    finally:
        database.dispose()
    calendars = [cal for cal in found if cal is not None]
    if args.svg:
        try:
            Path(args.svg).write_text(coverage.render_svg(calendars), encoding="utf-8")
        except OSError as exc:
            print(f"ingest: error: cannot write {args.svg}: {exc.strerror}", file=sys.stderr)
            return EXIT_FAILED
    if args.json:
        print(json.dumps(coverage.render_json(calendars), ensure_ascii=False, indent=2))
        return EXIT_OK
    colour = sys.stdout.isatty()
    for number, (site, cal) in enumerate(zip(sites, found, strict=True)):
        if number:
            print()
        if cal is None:
            print(f"{site.name}: never crawled")
            continue
        for line in coverage.render_text(cal, colour=colour):
            print(line)
    return EXIT_OK


def _report_runs(outcomes: Sequence[Outcome], out: TextIO, progress: _ProgressBar | None) -> int:
    """One summary per site; exit 1 when any site had a failed date or was skipped."""
    from ingest.crawl import RunSummary, SiteSkipped

    if progress is not None:
        progress.close()
    code = EXIT_OK
    for outcome in outcomes:
        if isinstance(outcome, SiteSkipped):
            out.write(f"{outcome.site}: skipped: {outcome.reason}\n")
            code = EXIT_FAILED
        elif _report_run(outcome, out) != EXIT_OK:
            code = EXIT_FAILED
    # Why a run stopped early ("storage full ...") is the command's last word.
    for outcome in outcomes:
        if isinstance(outcome, RunSummary) and outcome.reason is not None:
            out.write(f"{outcome.site}: run {outcome.run_id} {outcome.status.value}: "
                      f"{outcome.reason}\n")  # fmt: skip
            code = EXIT_FAILED
    return code


def _report_run(summary: RunSummary, out: TextIO) -> int:
    c = summary.counts
    out.write(
        f"{summary.site}: run {summary.run_id} {summary.status.value}: {c.dates_done} dates done, "
        f"{c.dates_failed} failed, {summary.dates_skipped} skipped (already complete); "
        f"{c.pages_fetched} pages fetched, {c.pages_failed} failed; articles {c.articles_new} "
        f"new, {c.articles_updated} updated, {c.articles_unchanged} unchanged, "
        f"{c.duplicates} duplicates dropped; {summary.duration_seconds:.1f}s\n"
    )
    if summary.failed_dates:
        shown = ", ".join(d.isoformat() for d in summary.failed_dates[:10])
        more = len(summary.failed_dates) - 10
        out.write(
            f"{summary.site}: failed dates: {shown}{f' and {more} more' if more > 0 else ''}\n"
        )
    return EXIT_OK if not summary.failed_dates else EXIT_FAILED


def _demo(
    args: argparse.Namespace,
    settings: Settings,
    database: Database,
    progress: _ProgressBar | None,
) -> int:
    from ingest.sample_site import SampleSite, SampleSiteServer

    with SampleSiteServer(SampleSite()) as server:
        demo = app.demo_settings(settings, server.base_url, server.listing_path)
        print(f"serving the bundled sample site at {server.base_url}", file=sys.stderr)
        outcomes = app.backfill(
            demo,
            database,
            args.first,
            args.last,
            force=True,
            on_progress=progress.update if progress else None,
        )
    code = _report_runs(outcomes, sys.stdout, progress)
    name = demo.site.name
    print(f"\nstored in {demo.masked()['database']['url']} as site {name!r}:")
    for line in app.stored_articles_preview(database, name, args.first, args.last, limit=12):
        print(line)
    total = app.count_articles(database, name, args.first, args.last)
    print(f"... {total} articles in all, stored as their own site {name!r}. Look at them with:")
    print(f"  ingest runs --site {name}")
    print(f"  ingest export --site {name} --output {name}.jsonl")
    print(f"  ingest health --site {name}")
    print(f"  ingest coverage --site {name}")
    return code


def _export(args: argparse.Namespace, settings: Settings, database: Database) -> int:
    from ingest.export import export_articles

    configured = {site.name: site.tz for site in settings.sites}
    # A site stored but not configured (the demo's) is read in the default site calendar.
    fallback = SiteSettings().tz
    sites = {name: configured.get(name, fallback) for name in (args.sites or configured)}
    with ExitStack() as stack:
        if args.output:
            path = Path(args.output)
            try:
                out: TextIO = stack.enter_context(path.open("w", encoding="utf-8", newline=""))
            except OSError as exc:
                print(f"ingest: error: cannot write {path}: {exc.strerror}", file=sys.stderr)
                return EXIT_FAILED
        else:
            out = sys.stdout
        count = export_articles(
            database, out, sites=sites, fmt=args.fmt, first=args.first, last=args.last
        )
    if args.output:
        print(f"wrote {count} articles to {args.output}", file=sys.stderr)
    return EXIT_OK


def _runs(args: argparse.Namespace, settings: Settings, database: Database) -> int:
    runs = app.recent_runs(database, limit=args.limit, sites=args.sites)
    if args.json:
        print(json.dumps([app.run_as_dict(run) for run in runs], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not runs:
        print("no runs yet")
        return EXIT_OK
    header = (
        "ID", "SITE", "KIND", "STATUS", "STARTED (UTC)", "TOOK", "DATES", "OK/FAIL/SKIP",
        "PAGES got/304/fail", "ARTICLES new/upd/same", "DUPS", "OWNER", "FIRST ERROR",
    )  # fmt: skip
    rows = [header]
    for run in runs:
        took = run.duration_seconds
        rows.append(
            (
                str(run.id),
                run.site,
                run.kind,
                run.status,
                run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                "-" if took is None else f"{took:.1f}s",
                _dates(run),
                f"{run.dates_done}/{run.dates_failed}/{run.dates_skipped}",
                f"{run.pages_fetched}/{run.pages_not_modified}/{run.pages_failed}",
                f"{run.articles_new}/{run.articles_updated}/{run.articles_unchanged}",
                str(run.duplicates),
                # host:pid of the process (daemon replica) that ran it; the token is per run.
                (run.owner or "-").rsplit(":", 1)[0],
                (run.error_summary or "").split("; ")[0][:60],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return EXIT_OK


def _dates(run: app.RunView) -> str:
    if run.date_from is None or run.date_to is None:
        return "-"
    if run.date_from == run.date_to:
        return run.date_from.isoformat()
    return f"{run.date_from.isoformat()}..{run.date_to.isoformat()}"


def _logs(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.logging.file:
        print("ingest: error: logging.file is not set: there is no log file", file=sys.stderr)
        return EXIT_USAGE
    path = Path(settings.logging.file)
    if not path.is_file():
        print(f"ingest: error: no log file at {path}", file=sys.stderr)
        return EXIT_FAILED
    colour = sys.stdout.isatty()
    with path.open(encoding="utf-8") as handle:
        events = list(logview.read_events(handle))
    sites = set(args.sites) if args.sites else None
    # The given run, else the latest run of each site; a log without any run: everything.
    latest = {args.run_id} if args.run_id is not None else logview.latest_run_ids(events, sites)
    run_ids = latest or None
    for event in events:
        if logview.keep(event, run_ids, args.errors, sites):
            print(logview.render(event, colour=colour))
    if args.follow:
        try:
            logview.follow(path, sys.stdout, run_ids=run_ids if args.run_id else None,
                           errors_only=args.errors, colour=colour, sites=sites)  # fmt: skip
        except KeyboardInterrupt:
            return EXIT_OK
    return EXIT_OK


class _ProgressBar:
    """A line per site: dates done out of total and new articles, redrawn in place."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._sites: dict[str, Progress] = {}
        self._lines = 0

    @classmethod
    def for_stream(cls, stream: TextIO) -> _ProgressBar | None:
        return cls(stream) if stream.isatty() else None

    def update(self, progress: Progress) -> None:
        self._sites[progress.site] = progress
        width = max(len(site) for site in self._sites)
        lines = [_progress_line(p, width) for p in self._sites.values()]
        # Back to the start of the first line drawn, then every line again, each cleared.
        up = f"\x1b[{self._lines - 1}F" if self._lines > 1 else "\r"
        self._stream.write(up + "\n".join(f"\x1b[2K{line}" for line in lines))
        self._stream.flush()
        self._lines = len(lines)

    def close(self) -> None:
        if self._lines:
            self._stream.write("\n")
            self._stream.flush()
            self._lines = 0
            self._sites.clear()


def _progress_line(progress: Progress, width: int) -> str:
    total = max(progress.dates_total, 1)
    filled = int(30 * progress.dates_done / total)
    bar = "#" * filled + "-" * (30 - filled)
    return (
        f"{progress.site:<{width}} [{bar}] {progress.dates_done}/{progress.dates_total} dates, "
        f"{progress.articles_new} new articles"
    )
