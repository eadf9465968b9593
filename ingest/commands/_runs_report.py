"""What the crawling commands (backfill, crawl, demo) show: a progress line while they run,
then one summary per site."""

from __future__ import annotations

import io
import os
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TextIO, cast

from ingest.commands._common import (
    EXIT_FAILED,
    EXIT_OK,
    check_start,
    open_database,
    start_logging,
)
from ingest.domain import utc_now
from ingest.errors import StorageError
from ingest.heap import freeze_startup_objects
from ingest.terminal import erase, is_terminal, printable, redraw

if TYPE_CHECKING:
    from ingest.crawl import Outcome, Progress, RunSummary
    from ingest.settings import Settings
    from ingest.store.engine import Database


class ProgressLine:
    """A line per site: dates done out of total and new articles, redrawn in place."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._sites: dict[str, Progress] = {}
        self._lines = 0
        self._lock = threading.Lock()

    @classmethod
    def for_stream(cls, stream: TextIO) -> ProgressLine | None:
        """A progress line on a terminal; none where the output is a file or a pipe."""
        return cls(stream) if is_terminal(stream) else None

    def update(self, progress: Progress) -> None:
        with self._lock:
            self._sites[progress.site] = progress
            lines = self._current()
            self._stream.write(redraw(self._lines, lines))
            self._stream.flush()
            self._lines = len(lines)

    def close(self) -> None:
        with self._lock:
            if self._lines:
                self._stream.write("\n")
                self._stream.flush()
                self._lines = 0
                self._sites.clear()

    def above(self) -> TextIO:
        """A stream for the log's warnings: each line goes above the progress lines, which are
        drawn again under it, rather than over them."""
        return cast(TextIO, _Above(self))

    def write_above(self, text: str) -> None:
        with self._lock:
            self._stream.write(erase(self._lines) + text)
            if self._lines:
                self._stream.write("\n".join(self._current()))
            self._stream.flush()

    def _current(self) -> list[str]:
        width = max(len(site) for site in self._sites)
        return [printable(_progress_line(p, width)) for p in self._sites.values()]


class _Above(io.TextIOBase):
    """What the log writes to under a progress line (``ProgressLine.above``)."""

    def __init__(self, progress: ProgressLine) -> None:
        self._progress = progress

    def write(self, text: str) -> int:
        self._progress.write_above(text)
        return len(text)

    def isatty(self) -> bool:
        return True


def _progress_line(progress: Progress, width: int) -> str:
    total = max(progress.dates_total, 1)
    filled = int(30 * progress.dates_done / total)
    bar = "#" * filled + "-" * (30 - filled)
    return (
        f"{progress.site:<{width}} [{bar}] {progress.dates_done}/{progress.dates_total} dates, "
        f"{progress.articles_new} new articles"
    )


def report_runs(outcomes: Sequence[Outcome], out: TextIO, progress: ProgressLine | None) -> int:
    """One summary per site; exit 1 when any site had a failed date or was skipped."""
    from ingest.crawl import RunSummary, SiteSkipped

    if progress is not None:
        progress.close()
    code = EXIT_OK
    for outcome in outcomes:
        if isinstance(outcome, SiteSkipped):
            _say(out, f"{outcome.site}: skipped: {outcome.reason}")
            code = EXIT_FAILED
        elif _report_run(outcome, out) != EXIT_OK:
            code = EXIT_FAILED
    # Why a run stopped early ("storage full ...") is the command's last word.
    for outcome in outcomes:
        if isinstance(outcome, RunSummary) and outcome.reason is not None:
            _say(out, f"{outcome.site}: run {outcome.run_id} {outcome.status.value}: "
                      f"{outcome.reason}")  # fmt: skip
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


def _say(out: TextIO, line: str) -> None:
    """One line for a person: why a run stopped or was skipped can quote a site's text."""
    out.write(printable(line) + "\n")


def report_interrupted(database: Database, since: datetime, out: TextIO, resume: str) -> None:
    """After Ctrl-C: what each run of this process stored before it stopped (every date it
    committed is whole), and how a rerun resumes."""
    from ingest.store import runs

    try:
        with database.transaction() as tx:
            found = runs.runs_of_process(
                tx.connection, f"{socket.gethostname()}:{os.getpid()}:", since
            )
    except StorageError:  # the database went away too: `ingest runs` shows them later
        found = []
    for run in found:
        skipped = f", {run.dates_skipped} were complete already" if run.dates_skipped else ""
        _say(
            out,
            f"{run.site}: run {run.id} {run.status}: {run.dates_done} of "
            f"{run.dates_total - run.dates_skipped} dates crawled and stored{skipped}; "
            f"{run.articles_new} new articles, {run.articles_updated} updated",
        )
    _say(out, resume)


def crawl_with_progress(
    settings: Settings,
    name: str,
    crawl: Callable[[Database, Callable[[Progress], None] | None], Sequence[Outcome]],
    resume: str,
) -> int:
    """A crawl command's whole course (``backfill``, ``reparse``): the start checked before
    anything is made, the log started (warnings above the progress line on a terminal), the
    crawl run, each run reported; after Ctrl-C, what was stored and how a rerun resumes."""

    check_start(settings)  # the log and database folders, before either is made
    progress = ProgressLine.for_stream(sys.stderr)
    # Under a progress line stderr shows only warnings; without one the crawl narrates there.
    start_logging(
        settings,
        name,
        stream_level="WARNING" if progress else None,
        stream=progress.above() if progress else None,
    )
    import ingest.crawl  # noqa: F401 (imported now, so that its modules are start-up's)

    freeze_startup_objects()  # the crawl's modules are start-up's too
    try:
        database = open_database(settings, access="crawl")
        since = utc_now()
        try:
            outcomes = crawl(database, progress.update if progress else None)
        except KeyboardInterrupt:
            if progress is not None:
                progress.close()
            report_interrupted(database, since, sys.stderr, resume)
            raise
        finally:
            database.dispose()
        return report_runs(outcomes, sys.stdout, progress)
    finally:
        if progress is not None:
            progress.close()
