"""The sample site served from a child process, so its threads never compete with the crawl
for this interpreter's GIL (the end-to-end figures would otherwise measure both).

Run as ``python -m tests.benchmarks.served SEED LATENCY`` it is that child: it prints the
site's base URL and listing path as one JSON line, then answers each ``paths`` line on stdin
with the JSON list of the paths requested since the last one, and stops at end of input.
"""

from __future__ import annotations

import json
import subprocess
import sys
from types import TracebackType


class ServedSite:
    """A context manager around the child process."""

    def __init__(self, seed: int, latency_seconds: float) -> None:
        self._argv = [
            sys.executable,
            "-m",
            "tests.benchmarks.served",
            str(seed),
            str(latency_seconds),
        ]
        self._child: subprocess.Popen[str] | None = None
        self.base_url = self.listing_path = ""

    def __enter__(self) -> ServedSite:
        child = subprocess.Popen(
            self._argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self._child = child
        assert child.stdout is not None
        ready = json.loads(child.stdout.readline())
        self.base_url, self.listing_path = ready["base_url"], ready["listing_path"]
        return self

    def take_requested_paths(self) -> list[str]:
        """The paths (with query) requested since the previous call (or the start)."""
        assert self._child is not None and self._child.stdin and self._child.stdout
        self._child.stdin.write("paths\n")
        self._child.stdin.flush()
        paths: list[str] = json.loads(self._child.stdout.readline())
        return paths

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._child is not None:
            self._child.communicate(timeout=30)


def child(seed: int, latency_seconds: float) -> None:
    from ingest.sample_site import SampleSite, SampleSiteServer

    with SampleSiteServer(SampleSite(seed=seed), latency_seconds=latency_seconds) as server:
        ready = {"base_url": server.base_url, "listing_path": server.listing_path}
        print(json.dumps(ready), flush=True)
        for line in sys.stdin:
            if line.strip() == "paths":
                print(json.dumps(server.paths_requested()), flush=True)
                server.reset_counters()


if __name__ == "__main__":
    child(int(sys.argv[1]), float(sys.argv[2]))
