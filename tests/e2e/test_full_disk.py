"""A real full disk: SQLite on a 600 KB tmpfs, three months of the sample site."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from ingest.planning import dates_in_flight
from tests.support.cli import ingest, write_config
from tests.support.disks import small_tmpfs
from tests.support.listings import listing_dates
from tests.support.sample_site import SampleSiteServer


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 600 KB tmpfs, unmounted afterwards; skipped where it cannot be mounted."""
    with small_tmpfs(tmp_path, "600k") as disk:
        yield disk


FIRST, LAST = date(2020, 1, 1), date(2020, 3, 31)


def exported_articles(export: str) -> list[tuple[str, str, str]]:
    return sorted((r["date"], r["title"], r["body"]) for r in map(json.loads, export.splitlines()))


def sample_articles(server: SampleSiteServer) -> list[tuple[str, str, str]]:
    """The sample site's articles of ``FIRST`` .. ``LAST``, as the export gives them."""
    return sorted(
        (day.isoformat(), r.title, r.body)
        for day in (FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1))
        for r in server.site.expected_records(day, base_url=server.base_url)
    )


def test_full_disk_ends_the_run_and_a_rerun_after_freeing_space_completes_it(
    server: SampleSiteServer, tmp_path: Path, small_disk: Path
) -> None:
    """The backfill exits 1 with "storage full" as its last line, having fetched the listings
    of the dates it stored or had in flight only; after the disk grows, a plain rerun
    exports exactly the sample site."""
    config = str(write_config(tmp_path, server))
    env = {"INGEST_DATABASE_URL": f"sqlite:///{small_disk / 'ingest.db'}"}
    args = ("--config", config, "backfill", "--from", "2020-01-01", "--to", "2020-03-31")
    done = ingest(*args, cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stderr[-2000:]
    last = done.stdout.strip().splitlines()[-1]
    assert "failed: storage full (sqlite " in last, done.stdout
    counts = re.search(r"(\d+) dates done, (\d+) failed", done.stdout)
    assert counts is not None
    stored_days, failed_days = int(counts[1]), int(counts[2])
    in_flight = dates_in_flight(4)  # the test config: 4 requests
    assert 1 <= failed_days <= in_flight, "only the dates in flight failed"
    assert len(listing_dates(server)) == stored_days + failed_days < 90
    events = [json.loads(line) for line in (tmp_path / "ingest.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events].count("storage_full") == 1

    subprocess.run(["mount", "-o", "remount,size=20m", str(small_disk)], check=True)
    again = ingest(*args, cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stdout + again.stderr[-2000:]
    exported = ingest("--config", config, "export", cwd=tmp_path, env=env)
    assert exported_articles(exported.stdout) == sample_articles(server)


def test_a_full_disk_under_the_archive_ends_the_run_and_a_rerun_completes_it(
    server: SampleSiteServer, tmp_path: Path, small_disk: Path
) -> None:
    """The WARC archive on the small disk, the database elsewhere: the backfill stops with
    the archive's full disk as its last line, no date points at a record that is not on the disk,
    and after the disk grows a plain rerun completes the store and the archive exactly."""
    archive = small_disk / "warc"
    config = str(write_config(tmp_path, server, extra=f'[archive]\ndir = "{archive}"\n'))
    args = ("--config", config, "backfill", "--from", "2020-01-01", "--to", "2020-03-31")
    done = ingest(*args, cwd=tmp_path)
    assert done.returncode == 1, (done.stdout[-2000:], done.stderr[-2000:])
    last = done.stdout.strip().splitlines()[-1]
    assert "failed: the WARC archive's disk is full (writing " in last, done.stdout
    events = [json.loads(line) for line in (tmp_path / "ingest.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events].count("storage_full") == 1
    with sqlite3.connect(tmp_path / "db.sqlite") as db:
        pointed = db.execute(
            "SELECT warc_file, warc_offset FROM articles UNION "
            "SELECT warc_file, warc_offset FROM crawl_state WHERE warc_file IS NOT NULL"
        ).fetchall()
    for name, offset in pointed:  # a row never points past what the disk holds
        path = archive / name
        if not path.exists():
            path = archive / (name + ".open")
        assert offset < path.stat().st_size, (name, offset)

    subprocess.run(["mount", "-o", "remount,size=20m", str(small_disk)], check=True)
    again = ingest(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr[-2000:]
    assert not list(archive.glob("*.open")), "the rerun closed what the full disk left open"
    exported = ingest("--config", config, "export", cwd=tmp_path)
    assert exported_articles(exported.stdout) == sample_articles(server)
    checked = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, sorted(archive.glob("*.warc.gz")))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout[-2000:]
