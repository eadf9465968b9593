"""When an alert fires: run streaks, health's other reasons, the quiet limit, the payloads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row

from ingest import alerts
from ingest.health import FailingDate, assess
from ingest.store.alerts import Pending

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@dataclass
class FakeRun:
    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    error_summary: str | None = None
    owner: str | None = None


def runs(*statuses: str) -> list[Row[Any]]:
    """Runs newest first, ten minutes apart."""
    made = [
        FakeRun(len(statuses) - i, s, NOW - timedelta(minutes=10 * (i + 1)),
                NOW - timedelta(minutes=10 * i + 5), "2026-03-01: HTTP 503; more")
        for i, s in enumerate(statuses)
    ]  # fmt: skip
    return cast(list[Row[Any]], made)


def verdict(*statuses: str, after: int = 2, **kw: Any) -> alerts.Verdict | None:
    history = runs(*statuses)
    report = assess("s", history, stuck=kw.pop("stuck", []), failing_dates=kw.pop("failing", []),
                    now=NOW, max_age=timedelta(hours=2))  # fmt: skip
    return alerts.health_verdict(report, history, after)


def test_streak_counts_failed_partial_abandoned_and_skips_interrupted() -> None:
    assert alerts.failure_streak(["failed", "interrupted", "partial", "abandoned", "succeeded",
                                  "failed"]) == 3  # fmt: skip
    assert alerts.failure_streak(["running", "succeeded", "failed"]) == 0


def test_one_failed_run_is_below_after_failures_and_two_fire() -> None:
    """Health already calls one failed run unhealthy; the alert waits for after_failures."""
    one = verdict("failed", "succeeded")
    assert one is not None and not one.firing
    two = verdict("partial", "failed", "succeeded")
    assert two is not None and two.firing
    assert two.reason == ("the last 2 runs did not succeed (partial, failed); "
                          "run 3: 2026-03-01: HTTP 503")  # fmt: skip
    single = verdict("failed", after=1)
    assert single is not None and single.firing
    assert verdict() is None and verdict("running") is None, "nothing crawled yet: no verdict"


def test_other_health_reasons_fire_at_once() -> None:
    """A date failing for over a day fires whatever the run streak."""
    failing = [FailingDate(NOW.date(), NOW - timedelta(days=2), "HTTP 404")]
    fired = verdict("partial", "succeeded", after=5, failing=failing)
    assert fired is not None and fired.firing and fired.reason.startswith("date ")
    stale = verdict("succeeded", "succeeded")
    assert stale is not None and not stale.firing


def test_quiet_limit() -> None:
    day = timedelta(days=1)
    assert alerts.quiet_verdict(None, None, NOW, day) is None
    fired = alerts.quiet_verdict(NOW - 3 * day, None, NOW, day)
    assert fired is not None and fired.firing
    assert fired.reason == ("nothing new for 3d (quiet_after 24h): the latest article was stored "
                            "2026-02-26 12:00 UTC")  # fmt: skip
    never = alerts.quiet_verdict(None, NOW - 2 * day, NOW, day)
    assert never is not None and never.firing and "no article since the first run" in never.reason
    fresh = alerts.quiet_verdict(NOW - timedelta(hours=1), None, NOW, day)
    assert fresh is not None and not fresh.firing


def test_payload_shapes() -> None:
    firing = Pending("s", "health", "firing", "the last 2 runs did not succeed", NOW, None, None)
    body = alerts.payload(firing, None, "json")
    assert body["state"] == "firing" and body["run"] is None and body["since"] == NOW.isoformat()
    resolved = Pending("s", "quiet", "ok", "new articles again", NOW, "firing", NOW)
    slack = alerts.payload(resolved, {"id": 4, "kind": "scheduled", "status": "succeeded",
                                      "dates_done": 3, "dates_failed": 0, "pages_fetched": 9,
                                      "pages_failed": 0, "articles_new": 2}, "slack")  # fmt: skip
    assert slack["text"] == ":large_green_circle: s: new articles again: new articles again"
    assert "`ingest logs 4 --errors`" in slack["blocks"][1]["elements"][0]["text"]
