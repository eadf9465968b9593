"""``daemon_started`` names each site while they are few, and counts them by schedule past
that: one log line stays small at 10,000 sites (issue 26)."""

from __future__ import annotations

import json

from ingest.daemon_events import LISTED_SITES, started_sites
from ingest.settings import Settings, settings_from_mapping


def many(count: int) -> Settings:
    sites = [{"name": f"site{n:05d}", "base_url": f"https://s{n}.example"} for n in range(count)]
    for n in range(0, count, 3):
        sites[n]["schedule"] = {"interval": "1h", "lookback_days": 1}
    return settings_from_mapping({"sites": sites, "schedule": {"interval": "30m"}})


def test_few_sites_are_each_named_with_their_schedule() -> None:
    fields = started_sites(many(LISTED_SITES).sites)
    assert fields["sites"][0] == {  # type: ignore[index]
        "site": "site00000", "interval": "1h", "cron": None, "lookback_days": 1,
    }  # fmt: skip
    assert len(fields["sites"]) == LISTED_SITES  # type: ignore[arg-type]


def test_ten_thousand_sites_are_counted_by_schedule_in_a_short_line() -> None:
    fields = started_sites(many(10_000).sites)
    assert len(json.dumps(fields)) < 1024
    assert fields["sites"] == 10_000
    assert fields["schedules"] == [
        {"interval": "30m", "cron": None, "lookback_days": 3, "sites": 6_666},
        {"interval": "1h", "cron": None, "lookback_days": 1, "sites": 3_334},
    ]
