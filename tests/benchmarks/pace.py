"""The pace rows: a rate that never binds costs nothing, and one that binds holds exactly.

The CPU section (``cpu.py``) runs its one-year backfill (2,178 requests, 20 ms a response,
concurrency 8) in each round with ``requests_per_second = 0``, then the same backfill again
with a rate the slots never reach (``NEVER_BINDS``: 8 slots at 20 ms allow about 400 a second,
the crawl makes about 300) right before or after it, in turn, and with one that binds
(``BINDS``). The walls are compared with the bare httpx replay and Scrapy of the same rounds.

The rate held is read where the requests arrive: the server stamps each answer (its own
monotonic clock), and the rate is the pages answered after the first, over the time from the
first page's answer to the last's (robots.txt, answered before the run's set-up, is left out).
"""

from __future__ import annotations

import statistics
from typing import Any

from tests.benchmarks.common import Row

NEVER_BINDS = 1000.0
BINDS = 150.0
# The targets.
SAME_WITHIN = 0.05  # a rate that never binds: wall within 5 % of no rate
HELD_WITHIN = 0.02  # a binding rate: held within 2 %
HTTPX_AT_MOST = 1.1  # wall / the bare httpx replay of the same requests
SCRAPY_AT_MOST = 0.8  # wall / Scrapy's on the same site


def served_rate(paths: list[str], times: list[float]) -> float:
    """Pages per second as the server answered them: robots.txt left out (the run's set-up
    comes between it and the first page)."""
    pages = [t for t, path in zip(times, paths, strict=True) if path != "/robots.txt"]
    return (len(pages) - 1) / (pages[-1] - pages[0]) if len(pages) > 1 else 0.0


def rows(
    unpaced: list[dict[str, Any]],
    never: list[dict[str, Any]],
    binding: list[dict[str, Any]],
    httpx_wall: float,
    scrapy_wall: float | None,
) -> list[Row]:
    """The rows from each round's backfills: no rate, one that never binds, one that binds."""
    wall0 = statistics.median(r["wall"] for r in unpaced)
    wall1 = statistics.median(r["wall"] for r in never)
    # Round by round (the two ran next to each other), then the median.
    same = statistics.median(n["wall"] / u["wall"] for u, n in zip(unpaced, never, strict=True))
    rate = statistics.median(r["rate"] for r in binding)
    held = rate / BINDS
    out = [
        Row(
            "pace",
            f"wall: requests_per_second = {NEVER_BINDS:g} (never binds) / 0, paired",
            f"{wall1:.2f} s / {wall0:.2f} s = {same:.3f}",
            f"within {SAME_WITHIN:.0%}",
            abs(same - 1) <= SAME_WITHIN,
        ),
        Row(
            "pace",
            f"requests_per_second = {BINDS:g} (binds): rate held, server side",
            f"{rate:.1f} req/s = {held:.3f} of the rate "
            f"(wall {statistics.median(r['wall'] for r in binding):.2f} s)",
            f"within {HELD_WITHIN:.0%}",
            abs(held - 1) <= HELD_WITHIN,
        ),
    ]
    for label, wall in (("0", wall0), (f"{NEVER_BINDS:g}", wall1)):
        ratio = wall / httpx_wall
        out.append(
            Row(
                "pace",
                f"wall, requests_per_second = {label}: ingest backfill / bare httpx 0.28.1 replay",
                f"{wall:.2f} s / {httpx_wall:.2f} s = {ratio:.2f}",
                f"<= {HTTPX_AT_MOST}",
                ratio <= HTTPX_AT_MOST,
            )
        )
        if scrapy_wall is not None:
            ratio = wall / scrapy_wall
            out.append(
                Row(
                    "pace",
                    f"wall, requests_per_second = {label}: ingest backfill / Scrapy",
                    f"{wall:.2f} s / {scrapy_wall:.2f} s = {ratio:.2f}",
                    f"<= {SCRAPY_AT_MOST}",
                    ratio <= SCRAPY_AT_MOST,
                )
            )
    return out
