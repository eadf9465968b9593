"""Health verdicts: each unhealthy case says why, in one line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ingest.health import FailingDate, assess

NOW = datetime(2026, 1, 10, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class R:
    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    owner: str | None = "host-a:41:ab12cd34"


def runs(*statuses: str) -> list[R]:
    """Newest first, one per hour back from now."""
    return [
        R(len(statuses) - n, s, NOW - (n + 1) * HOUR, NOW - (n + 1) * HOUR + timedelta(minutes=1))
        for n, s in enumerate(statuses)
    ]


def verdict(
    history: list[R],
    *,
    stuck: list[R] | None = None,
    failing: list[FailingDate] | None = None,
    max_age: timedelta = 3 * HOUR,
) -> tuple[bool, str]:
    report = assess(
        "test", history, stuck=stuck or [], failing_dates=failing or [], now=NOW, max_age=max_age
    )
    return report.healthy, report.reason


def test_recent_success_is_healthy() -> None:
    """A success within max age and nothing else wrong."""
    assert verdict(runs("succeeded", "partial"))[0] is True


def test_no_success_within_max_age() -> None:
    """The last success is older than max age."""
    healthy, reason = verdict(runs("succeeded"), max_age=30 * timedelta(minutes=1))
    assert not healthy and "no successful run for 59m" in reason


def test_never_succeeded() -> None:
    """An empty history is not healthy."""
    assert verdict([]) == (False, "unhealthy: no run has succeeded yet")


def test_last_run_failed_or_abandoned() -> None:
    """The newest finished run failed, or its process died."""
    assert "the last run (2) failed" in verdict(runs("failed", "succeeded"))[1]
    assert "abandoned" in verdict(runs("abandoned", "succeeded"))[1]


def test_last_three_runs_partial() -> None:
    """Three partial runs in a row, even with an older success inside max age."""
    healthy, reason = verdict(runs("partial", "partial", "partial", "succeeded"), max_age=10 * HOUR)
    assert not healthy and "the last 3 runs were partial" in reason


def test_stuck_run() -> None:
    """A running record without heartbeat comes first."""
    stuck = R(9, "running", NOW - 5 * HOUR, None)
    healthy, reason = verdict(runs("succeeded"), stuck=[stuck])
    assert not healthy and reason.startswith("unhealthy: run 9 is stuck")


def test_date_failing_for_a_day() -> None:
    """A date failing in every run for over a day; a fresh failure is tolerated."""
    old = FailingDate(date(2026, 1, 1), NOW - timedelta(days=2), "HTTP 500")
    fresh = FailingDate(date(2026, 1, 9), NOW - HOUR, "HTTP 500")
    assert verdict(runs("succeeded"), failing=[fresh])[0] is True
    healthy, reason = verdict(runs("succeeded"), failing=[old, fresh])
    assert not healthy and "date 2026-01-01 has failed in every run for 2d: HTTP 500" in reason


def test_interrupted_is_not_a_failure() -> None:
    """A graceful stop is not a reason to page anyone."""
    assert verdict(runs("interrupted", "succeeded"))[0] is True


def test_healthy_line_names_the_process_that_ran_the_last_success() -> None:
    """Which replica ran it: host:pid, without the per-run token."""
    assert verdict(runs("succeeded"))[1].endswith("(run 1 by host-a:41)")


def test_quiet_failures_need_a_history_and_a_threshold() -> None:
    """All-empty recent days are a failure only after a history of news; fields likewise."""
    from ingest.health import QuietSignals, quiet_failures

    def signals(**changes: object) -> QuietSignals:
        base: dict[str, object] = {
            "recent_day_items": (0,) * 14,
            "earlier_days": 100,
            "earlier_items": 250,
            "fields_earlier": {"published_at": (95, 100)},
            "fields_recent": {"published_at": (40, 40)},
        }
        return QuietSignals(**{**base, **changes})  # type: ignore[arg-type]

    (empty,) = quiet_failures(signals())
    assert empty.startswith("the last 14 crawled days were all empty") and "2.5" in empty
    assert quiet_failures(signals(recent_day_items=(0,) * 13 + (1,))) == []
    assert quiet_failures(signals(recent_day_items=(0,) * 10)) == []
    assert quiet_failures(signals(earlier_items=50)) == []  # 0.5 a day: a quiet site
    (drift,) = quiet_failures(
        signals(recent_day_items=(3,) * 14, fields_recent={"published_at": (10, 40)})
    )
    assert drift.startswith("published_at went missing on 75% of the 40 recent articles")
    few = {"published_at": (0, 5)}
    assert quiet_failures(signals(recent_day_items=(3,) * 14, fields_recent=few)) == []
