"""Ingestion health: a verdict from the run history, pure and testable.

Unhealthy when, checked in this order: a run is stuck (still ``running`` with a stopped
heartbeat); the last finished run failed or was abandoned; the last ``PARTIAL_RUNS`` runs
were all partial; no run succeeded within ``max_age``; a date has failed in every run for
``FAILING_DATE_AFTER``; the quiet failures: the recent days all came back empty where the
site used to publish daily, or a field the layout used to fill went missing on most recent
articles. The first reason found is the verdict's one line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

PARTIAL_RUNS = 3
FAILING_DATE_AFTER = timedelta(days=1)
# A field counts as one the layout fills when most earlier articles had it (not all: a site's
# off-site or robots-disallowed items keep their listing text by design).
FIELD_USUALLY_FILLED = 0.6
# Too few articles on either side say nothing about drift.
FIELD_MIN_ARTICLES = 10
_FIELDS = {
    "published_at": "published_at",
    "article_body": "bodies from article pages",
    "category": "category",
}


@dataclass(frozen=True, slots=True)
class QuietSignals:
    """What the quiet failures are judged on, and their thresholds (``[health]`` settings)."""

    recent_day_items: tuple[int, ...]  # item counts of the last crawled days, newest first
    earlier_days: int
    earlier_items: int
    fields_earlier: Mapping[str, tuple[int, int]]  # field -> (filled, total)
    fields_recent: Mapping[str, tuple[int, int]]
    empty_days: int = 14
    empty_history_min_per_day: float = 1.0
    field_missing_share: float = 0.5


def quiet_failures(signals: QuietSignals) -> list[str]:
    """Reasons the archive is rotting without any error: empty days, fields gone missing."""
    reasons: list[str] = []
    recent = signals.recent_day_items
    if len(recent) >= signals.empty_days and not any(recent[: signals.empty_days]):
        average = signals.earlier_items / signals.earlier_days if signals.earlier_days else 0.0
        if signals.earlier_days and average >= signals.empty_history_min_per_day:
            reasons.append(
                f"the last {signals.empty_days} crawled days were all empty, while the "
                f"{signals.earlier_days} days before averaged {average:.1f} articles a day: "
                "check the listing path and layout with `ingest inspect`"
            )
    for field_name, label in _FIELDS.items():
        before_filled, before_total = signals.fields_earlier.get(field_name, (0, 0))
        recent_filled, recent_total = signals.fields_recent.get(field_name, (0, 0))
        if before_total < FIELD_MIN_ARTICLES or recent_total < FIELD_MIN_ARTICLES:
            continue
        missing = 1 - recent_filled / recent_total
        if before_filled / before_total >= FIELD_USUALLY_FILLED and (
            missing > signals.field_missing_share
        ):
            reasons.append(
                f"{label} went missing on {missing:.0%} of the {recent_total} recent articles "
                f"(filled on {before_filled / before_total:.0%} before): the markup may have "
                "changed, check with `ingest inspect --article`"
            )
    return reasons


@dataclass(frozen=True, slots=True)
class ListingGaps:
    """The site's complete days whose listing lacked articles the cross-check found elsewhere
    (stored all the same): a figure, never a reason to be unhealthy."""

    days: int
    articles: int
    latest: date | None
    latest_found: int

    def as_dict(self) -> dict[str, Any]:
        latest = None
        if self.latest is not None:
            note = f"listing incomplete ({self.latest_found} found elsewhere)"
            latest = {"date": self.latest.isoformat(), "found_elsewhere": self.latest_found,
                      "note": note}  # fmt: skip
        return {"days": self.days, "found_elsewhere": self.articles, "latest": latest}


class RunLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def finished_at(self) -> datetime | None: ...
    @property
    def owner(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class FailingDate:
    day: date
    since: datetime
    error: str | None


@dataclass(frozen=True)
class HealthReport:
    site: str
    healthy: bool
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def line(self) -> str:
        """The verdict as one line, naming the site: ``etilaf: healthy: ...``."""
        return f"{self.site}: {self.reason}"


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


# The version of what ``history`` and ``quiet_figures`` write: a kept copy of another
# version (``store.figures``) is judged afresh instead. Move it with any change to them.
JUDGED_VERSION = 1


def assess(
    site: str,
    runs: Sequence[RunLike],
    *,
    stuck: Sequence[RunLike],
    failing_dates: Sequence[FailingDate],
    now: datetime,
    max_age: timedelta,
    quiet: QuietSignals | None = None,
    listing_gaps: ListingGaps | None = None,
) -> HealthReport:
    """The verdict over ``runs`` (newest first), the dates failing now and the quiet signals."""
    quiet_part = quiet_figures(quiet) if quiet is not None else None
    said = history(runs, failing_dates, listing_gaps)
    return conclude(site, said, quiet_part, stuck=stuck, now=now, max_age=max_age)


def history(
    runs: Sequence[RunLike],
    failing_dates: Sequence[FailingDate],
    listing_gaps: ListingGaps | None = None,
) -> dict[str, Any]:
    """What the runs (newest first), the failing dates and the listing gaps say whatever the
    time, as plain JSON values: the figures ``conclude`` shows of them, and its reasons about
    the runs."""
    finished = [r for r in runs if r.status not in ("running",)]
    last_success = next((r for r in finished if r.status == "succeeded"), None)
    last_run: str | None = None
    if finished and finished[0].status in ("failed", "abandoned"):
        # Why it failed ("storage full ..."), when the run said.
        first_error = (getattr(finished[0], "error_summary", None) or "").split("; ")[0]
        last_run = f"the last run ({finished[0].id}) {finished[0].status}" + (
            f": {first_error[:300]}" if first_error else ""
        )
    recent = finished[:PARTIAL_RUNS]
    partial = len(recent) == PARTIAL_RUNS and all(r.status == "partial" for r in recent)
    success: dict[str, Any] | None = None
    if last_success is not None:
        success_at = last_success.finished_at or last_success.started_at
        success = {
            "at": success_at.isoformat(),
            "run": f"{last_success.id}{_by(last_success.owner)}",
        }
    return {
        "version": JUDGED_VERSION,
        "last_run": _run_figures(finished[0]) if finished else None,
        "last_success": _run_figures(last_success) if last_success else None,
        "recent_statuses": [r.status for r in finished[:10]],
        "failing_dates": [
            {"date": f.day.isoformat(), "since": f.since.isoformat(), "error": f.error}
            for f in failing_dates
        ],
        "listing_incomplete": listing_gaps.as_dict() if listing_gaps is not None else None,
        "reasons": {
            "last_run": last_run,
            "partial": f"the last {PARTIAL_RUNS} runs were partial" if partial else None,
        },
        "success": success,
    }


def quiet_figures(quiet: QuietSignals) -> dict[str, Any]:
    """The quiet signals' figures and reasons, as plain JSON values."""
    return {
        "version": JUDGED_VERSION,
        "reasons": quiet_failures(quiet),
        "recent_day_items": list(quiet.recent_day_items),
        "fields_recent": {k: list(v) for k, v in quiet.fields_recent.items()},
        "fields_earlier": {k: list(v) for k, v in quiet.fields_earlier.items()},
    }


def conclude(
    site: str,
    history: dict[str, Any],
    quiet: dict[str, Any] | None,
    *,
    stuck: Sequence[RunLike],
    now: datetime,
    max_age: timedelta,
) -> HealthReport:
    """The verdict at ``now``: the stuck runs, the age of the last success and of the failing
    dates, with what ``history`` and ``quiet_figures`` said. The first reason found is the
    verdict's one line."""
    failing = history["failing_dates"]
    figures: dict[str, Any] = {
        "site": site,
        "now": now.isoformat(),
        "max_age_seconds": max_age.total_seconds(),
        "last_run": history["last_run"],
        "last_success": history["last_success"],
        "recent_statuses": history["recent_statuses"],
        "stuck_runs": [r.id for r in stuck],
        "failing_dates": failing,
    }
    reasons: list[str] = []
    if stuck:
        run = stuck[0]
        reasons.append(
            f"run {run.id} is stuck: running since {run.started_at:%Y-%m-%d %H:%M} UTC "
            "with no heartbeat"
        )
    said = history["reasons"]
    if said["last_run"]:
        reasons.append(said["last_run"])
    if said["partial"]:
        reasons.append(said["partial"])
    success = history["success"]
    success_at = datetime.fromisoformat(success["at"]) if success else None
    if success_at is None:
        reasons.append("no run has succeeded yet")
    elif now - success_at > max_age:
        reasons.append(f"no successful run for {_ago(now - success_at)} (max age {_ago(max_age)})")
    worst: tuple[datetime, dict[str, Any]] | None = None  # the longest failing past a day
    for failing_date in failing:
        since = datetime.fromisoformat(failing_date["since"])
        if now - since > FAILING_DATE_AFTER and (worst is None or since < worst[0]):
            worst = (since, failing_date)
    if worst is not None:
        since, day = worst
        reasons.append(
            f"date {day['date']} has failed in every run for {_ago(now - since)}"
            + (f": {day['error']}" if day["error"] else "")
        )
    if quiet is not None:
        reasons += quiet["reasons"]
        figures["recent_day_items"] = quiet["recent_day_items"]
        figures["fields_recent"] = quiet["fields_recent"]
        figures["fields_earlier"] = quiet["fields_earlier"]
    if history["listing_incomplete"] is not None:
        figures["listing_incomplete"] = history["listing_incomplete"]
    figures["reasons"] = reasons
    if reasons:
        return HealthReport(site, False, f"unhealthy: {reasons[0]}", figures)
    assert success_at is not None and success is not None
    return HealthReport(
        site,
        True,
        f"healthy: last success {_ago(now - success_at)} ago (run {success['run']})",
        figures,
    )


def _by(owner: str | None) -> str:
    """`` by host:pid``: the process (daemon replica) that ran it; the token is per run."""
    return f" by {owner.rsplit(':', 1)[0]}" if owner else ""


def _run_figures(run: RunLike) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "owner": run.owner,
    }
