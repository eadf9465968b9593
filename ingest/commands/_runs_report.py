"""What the crawling commands (backfill, crawl, demo) show: a progress line while they run,
then one summary per site."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from ingest.commands._common import EXIT_FAILED, EXIT_OK
from ingest.terminal import is_terminal, printable, redraw

if TYPE_CHECKING:
    from ingest.crawl import Outcome, Progress, RunSummary


class ProgressLine:
    """A line per site: dates done out of total and new articles, redrawn in place."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._sites: dict[str, Progress] = {}
        self._lines = 0

    @classmethod
    def for_stream(cls, stream: TextIO) -> ProgressLine | None:
        """A progress line on a terminal; none where the output is a file or a pipe."""
        return cls(stream) if is_terminal(stream) else None

    def update(self, progress: Progress) -> None:
        self._sites[progress.site] = progress
        width = max(len(site) for site in self._sites)
        lines = [printable(_progress_line(p, width)) for p in self._sites.values()]
        self._stream.write(redraw(self._lines, lines))
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
