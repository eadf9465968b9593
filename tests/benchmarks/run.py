"""Run every benchmark and print one table: ``python -m tests.benchmarks`` (``make bench``)."""

from __future__ import annotations

import os
import platform
import time

from ingest.heap import keep_heap_between_pages
from tests.benchmarks import (
    archive,
    coverage_calendar,
    cpu,
    endtoend,
    feeds,
    inflate,
    layouts,
    memory,
    parsing,
    scale,
    sitemap,
    storage,
    wordpress_themes,
)
from tests.benchmarks.common import Row


def table(rows: list[Row]) -> str:
    headers = ("section", "figure", "value", "target", "met")
    cells = [headers, *((r.section, r.figure, r.value, r.target, r.verdict) for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c[i].ljust(widths[i]) for i in range(len(headers))) + " |" for c in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main() -> int:
    keep_heap_between_pages()  # as the ingest command does: measure what it runs
    started = time.perf_counter()
    rows: list[Row] = []
    for name, bench in (
        ("parsing", parsing.run),
        ("end to end", endtoend.run),
        ("layouts", layouts.run),
        ("storage", storage.run),
        ("memory", memory.run),
        ("calendar", coverage_calendar.run),
        ("cpu", cpu.run),
        ("real WordPress themes", wordpress_themes.run),
        ("archive", archive.run),
        ("inflate", inflate.run),
        ("scale", scale.run),
        ("sitemap", sitemap.run),
        ("feeds", feeds.run),
    ):
        print(f"running {name} ...", flush=True)
        rows += bench()
    elapsed = time.perf_counter() - started
    print()
    print(
        f"machine: {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores; total {elapsed:.0f} s"
    )
    print(table(rows))
    return 0
