"""``ingest logs`` without a run id shows each site's latest run, found by any event of it: a
scheduled run logs its start at DEBUG, so an INFO log holds only its run_finished."""

from __future__ import annotations

from ingest.commands.logs import latest_run_ids


def test_the_latest_run_is_found_without_its_run_started() -> None:
    events = [
        {"event": "run_started", "run_id": 1, "site": "a"},
        {"event": "run_finished", "run_id": 1, "site": "a"},
        {"event": "run_started", "run_id": 2, "site": "b"},
        {"event": "run_finished", "run_id": 3, "site": "a"},  # scheduled: no run_started
        {"event": "daemon_started"},
    ]
    assert latest_run_ids(events) == {2, 3}
    assert latest_run_ids(events, sites={"a"}) == {3}
