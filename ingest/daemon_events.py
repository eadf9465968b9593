"""What the daemon's ``daemon_started`` event says of its sites: each one by name while they
are few, else how many run on each schedule. One JSON line naming 10,000 sites' schedules
was about a megabyte, past what log shippers take in one line (Docker splits lines at 16 KiB)
and a tenth of an hour's log of that daemon."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ingest.settings import SiteSettings, format_duration

# Up to this many sites, each is listed with its schedule; past it, the schedules with counts.
LISTED_SITES = 20
# Past this many schedules, the rest are counted together.
LISTED_SCHEDULES = 20


def _schedule(site: SiteSettings) -> tuple[str | None, str | None, int]:
    schedule = site.schedule
    interval = None if schedule.cron else format_duration(schedule.interval)
    return interval, schedule.cron, schedule.lookback_days


def started_sites(sites: Sequence[SiteSettings]) -> dict[str, object]:
    """The ``daemon_started`` fields about ``sites``: ``sites`` (each site, or their count)
    and, past ``LISTED_SITES``, ``schedules`` (each with its count, most used first)."""
    if len(sites) <= LISTED_SITES:
        listed = []
        for site in sites:
            interval, cron, lookback = _schedule(site)
            listed.append(
                {"site": site.name, "interval": interval, "cron": cron, "lookback_days": lookback}
            )
        return {"sites": listed}
    counts = Counter(_schedule(site) for site in sites).most_common()
    schedules: list[dict[str, object]] = [
        {"interval": interval, "cron": cron, "lookback_days": lookback, "sites": n}
        for (interval, cron, lookback), n in counts[:LISTED_SCHEDULES]
    ]
    if len(counts) > LISTED_SCHEDULES:
        schedules.append({"other_schedules": len(counts) - LISTED_SCHEDULES,
                          "sites": sum(n for _, n in counts[LISTED_SCHEDULES:])})  # fmt: skip
    return {"sites": len(sites), "schedules": schedules}
