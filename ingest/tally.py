"""A run's counts as its dates come in: one date's result, what each adds to the run record,
what could not be written yet, the failed dates and their first errors; the progress a run
reports as it goes, and its summary at the end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ingest.domain import DayOutcome, RunStatus
from ingest.fetch import FetchStats
from ingest.store import runs


@dataclass(frozen=True, slots=True)
class DayResult:
    """What one date came to: its articles' outcome, duplicates dropped, and why it failed."""

    day: date
    outcome: DayOutcome
    duplicates: int
    error: str | None


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A date whose listing answered 304 at ``checked_at``: its state, for the run's close."""

    day: date
    checked_at: datetime


class RunTally:
    """The run's counts, failed dates and first errors, as the dates come in.

    ``counts`` are the run's figures so far. The run record holds all of them but
    ``unstored``: what a date could not write (its store failed), carried by the next date's
    write or by the run's close; and ``deferred``: what the ``unchanged`` dates (304s) add,
    written with their state by the run's close (``run_record``).
    """

    def __init__(self) -> None:
        self.counts = runs.RunCounts()
        self.unstored = runs.RunCounts()
        self.deferred = runs.RunCounts()
        self.unchanged: list[Unchanged] = []
        self.failed: list[date] = []
        self.errors: list[str] = []
        self.stats = FetchStats()

    def increment(self, result: DayResult) -> runs.RunCounts:
        """What the run record gains with ``result``: the date's own figures, the pages
        fetched since the last increment (the fetcher counts them for the whole run), and
        whatever earlier increments could not store."""
        counts, stats, outcome = self.counts, self.stats, result.outcome
        failed = result.error is not None
        return self.unstored + runs.RunCounts(
            dates_done=0 if failed else 1,
            dates_failed=1 if failed else 0,
            pages_fetched=stats.pages_fetched - counts.pages_fetched,
            pages_failed=stats.pages_failed - counts.pages_failed,
            pages_not_modified=stats.pages_not_modified - counts.pages_not_modified,
            articles_new=outcome.new,
            articles_updated=outcome.updated,
            articles_unchanged=outcome.unchanged,
            duplicates=result.duplicates,
        )

    def settle(self, increment: runs.RunCounts, *, stored: bool) -> None:
        """Count ``increment``: written to the run record (``stored``), or to be carried."""
        self.counts = self.counts + increment - self.unstored
        self.unstored = runs.RunCounts() if stored else increment

    def not_modified(self, result: DayResult, checked_at: datetime) -> None:
        """Count a 304 date now; its figures and state go in with the run's close."""
        increment = self.increment(result)
        self.counts = self.counts + increment - self.unstored
        self.unstored = runs.RunCounts()
        self.deferred = self.deferred + increment
        self.unchanged.append(Unchanged(result.day, checked_at))

    def closed(self, recorded: runs.RunCounts) -> None:
        """The run's close wrote everything: its figures are the record's."""
        self.counts, self.unstored, self.deferred = recorded, runs.RunCounts(), runs.RunCounts()
        self.unchanged = []

    def record(self, result: DayResult) -> None:
        if result.error is not None:
            self.failed.append(result.day)
            self.errors.append(f"{result.day.isoformat()}: {result.error}")

    def status(self) -> RunStatus:
        if not self.failed:
            return RunStatus.SUCCEEDED
        return RunStatus.PARTIAL if self.counts.dates_done > 0 else RunStatus.FAILED


@dataclass(frozen=True, slots=True)
class Progress:
    site: str
    dates_done: int
    dates_total: int
    articles_new: int


@dataclass(frozen=True, slots=True)
class RunSummary:
    site: str
    run_id: int
    status: RunStatus
    counts: runs.RunCounts
    dates_total: int
    dates_skipped: int
    failed_dates: tuple[date, ...]
    duration_seconds: float
    # Why the run stopped before its dates were done ("storage full ...", an outage too long).
    reason: str | None = None
