"""The coverage calendar on a ten-year archive of one site (3,650 days), written straight
through the store (no crawl).

Timed: what ``ingest coverage`` does once the settings are loaded (the two queries, the
calendar, its text, JSON and SVG), against the bare two aggregate queries in the same run; and
the command as a subprocess against ``ingest --version`` (the interpreter and imports alone).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text

from ingest import coverage
from ingest.commands import coverage as drawing
from ingest.store.engine import Database
from ingest.store.migrate import upgrade_to_head
from tests.benchmarks.common import Row, quiet_logging
from tests.support.archive import store_archive

FIRST, DAYS = date(2011, 1, 1), 3650
ROOT = Path(__file__).resolve().parents[2]


BARE = (
    "SELECT date, status, item_count, last_error FROM crawl_state WHERE site = :site ORDER BY date",
    "SELECT date, count(*), sum(CASE WHEN body_source = 'listing' THEN 1 ELSE 0 END) "
    "FROM articles WHERE site = :site AND date BETWEEN :first AND :last GROUP BY date "
    "ORDER BY date",
)


def median_seconds(work: Callable[[], object], repeat: int) -> float:
    work()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run() -> list[Row]:
    quiet_logging()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calendar.db"
        database = Database.from_url(f"sqlite:///{path}")
        upgrade_to_head(database.engine)
        started = time.perf_counter()
        store_archive(database, "bench", FIRST, DAYS)
        built = time.perf_counter() - started
        last = FIRST + timedelta(days=DAYS - 1)

        def command_work() -> None:
            cal = coverage.read_calendar(database, "bench")
            assert cal is not None and len(cal.days) == DAYS
            drawing.render_text(cal)
            json.dumps(drawing.render_json([cal]))
            drawing.render_svg([cal])

        def bare_queries() -> None:
            with database.engine.connect() as connection:
                connection.execute(text(BARE[0]), {"site": "bench"}).all()
                connection.execute(
                    text(BARE[1]), {"site": "bench", "first": FIRST, "last": last}
                ).all()

        work = median_seconds(command_work, 7)
        bare = median_seconds(bare_queries, 7)
        config = Path(folder) / "c.toml"
        config.write_text(
            f'[site]\nname = "bench"\n[database]\nurl = "sqlite:///{path}"\n[logging]\nfile = ""\n'
        )

        def ingest(*args: str) -> Callable[[], object]:
            command = [sys.executable, "-m", "ingest", "--config", str(config), *args]
            return lambda: subprocess.run(command, cwd=ROOT, capture_output=True, check=True)

        shown = median_seconds(ingest("coverage"), 3)
        startup = median_seconds(ingest("--version"), 3)
        database.dispose()
    return [
        Row("calendar", "10-year archive written through the store (3,650 days)", f"{built:.1f} s"),
        Row("calendar", "coverage work (2 queries, text, JSON, SVG) / bare 2 queries",
            f"{work * 1000:.0f} ms / {bare * 1000:.0f} ms ({work / bare:.1f}x)",
            "< 1 s", work < 1.0),
        Row("calendar", "`ingest coverage` subprocess / `ingest --version`",
            f"{shown:.2f} s / {startup:.2f} s"),
    ]  # fmt: skip


if __name__ == "__main__":
    for row in run():
        print(f"{row.figure}: {row.value} {row.target} {row.verdict}")
