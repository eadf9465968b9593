"""Compressed bombs: peak memory of fetching a ~200 KB answer that inflates to 200 MB, refused at
the 10 MiB ``http.max_body_bytes``; gzip, deflate, and eight gzip bombs in flight at once.

Each case runs in a fresh interpreter with the sample server in it. The figure is the growth of
this process's peak RSS (``VmHWM``, reset through ``/proc/self/clear_refs`` once the server is
up and the bomb built) while the fetches run.

Run as ``python -m tests.benchmarks.inflate ENCODING COUNT`` it is that child.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.benchmarks.common import Row

INFLATED = 200 * 1024 * 1024
CAP = 10 * 1024 * 1024
CASES = (("gzip", 1), ("deflate", 1), ("gzip", 8))


def _status_kib(name: str) -> int:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {name} in /proc/self/status (Linux only)")


def _reset_peak() -> None:
    """Set VmHWM back to the current RSS (Linux 4.0+)."""
    Path("/proc/self/clear_refs").write_text("5", encoding="ascii")


def child(encoding: str, count: int) -> None:
    import asyncio

    from ingest.errors import PermanentFetchError
    from ingest.fetch import Fetcher
    from ingest.settings import settings_from_mapping
    from tests.support.sample_site import Bomb, SampleSite, SampleSiteServer
    from tests.support.sample_site.responses import compressed_zeros

    compressed = len(compressed_zeros(encoding, INFLATED))
    with SampleSiteServer(SampleSite(seed=0)) as server:
        settings = settings_from_mapping(
            {
                "site": {"base_url": server.base_url},
                "http": {"requests_per_second": 0, "concurrency": 8, "max_body_bytes": CAP},
            }
        )
        server.faults.add(lambda path: path.startswith("/bomb"), Bomb(encoding, INFLATED), None)

        async def one(fetcher: Fetcher, n: int) -> bool:
            try:
                await fetcher.get(f"{server.base_url}/bomb{n}", kind="article")
            except PermanentFetchError as exc:
                return "cap" in str(exc)
            return False

        async def go() -> list[bool]:
            async with Fetcher(settings.site, settings.http) as fetcher:
                await fetcher.get(server.base_url + "/robots.txt", kind="robots")  # warm up
                _reset_peak()
                return await asyncio.gather(*(one(fetcher, n) for n in range(count)))

        before = _status_kib("VmRSS")
        refused = asyncio.run(go())
        peak = _status_kib("VmHWM")
    print(
        json.dumps({"compressed": compressed, "growth_kib": peak - before, "refused": all(refused)})
    )


def measure(encoding: str, count: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.inflate", encoding, str(count)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def run() -> list[Row]:
    rows = []
    for encoding, count in CASES:
        result = measure(encoding, count)
        growth = result["growth_kib"] / 1024
        what = f"{count} {encoding} bombs at once" if count > 1 else f"one {encoding} bomb"
        limit = 3 * count
        rows.append(
            Row(
                "inflate",
                f"{what} ({result['compressed'] / 1024:,.0f} KiB -> 200 MiB), refused at the "
                f"10 MiB cap: peak RSS growth",
                f"{growth:.0f} MiB ({growth / 10:.1f}x the cap)",
                f"refused, <= {limit}x the cap",
                bool(result["refused"]) and growth <= limit * 10,
            )
        )
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 3:
        child(sys.argv[1], int(sys.argv[2]))
    else:
        for row in run():
            print(row)
