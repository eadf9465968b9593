"""Two backfill processes over overlapping ranges on one PostgreSQL database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.support.cli import ROOT, ingest, write_config
from tests.support.postgres import fresh_postgres
from tests.support.sample_site import SampleSiteServer


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    return fresh_postgres(postgres_url)


def test_overlapping_backfills_at_once_equal_the_site(
    server: SampleSiteServer, tmp_path: Path, pg_url: str
) -> None:
    """Both processes succeed (migrations serialised, the second waits for the site); every
    article once. Output goes to files: a full pipe would stall a process holding the lock."""
    config = str(write_config(tmp_path, server))
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    env.update(PYTHONPATH=str(ROOT), INGEST_DATABASE_URL=pg_url)
    ranges = [("2020-01-01", "2020-02-15"), ("2020-02-01", "2020-03-15")]
    with ExitStack() as logs:
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ingest",
                    "--config",
                    config,
                    "backfill",
                    "--from",
                    a,
                    "--to",
                    b,
                ],
                cwd=tmp_path,
                env=env,
                stdout=logs.enter_context((tmp_path / f"out{n}.txt").open("w")),
                stderr=subprocess.STDOUT,
            )
            for n, (a, b) in enumerate(ranges)
        ]
        codes = [p.wait(timeout=180) for p in processes]
        outputs = [(tmp_path / f"out{n}.txt").read_text()[-2000:] for n in range(2)]
        assert codes == [0, 0], outputs
    exported = ingest(
        "--config", config, "export", cwd=tmp_path, env={"INGEST_DATABASE_URL": pg_url}
    )
    records = [json.loads(line) for line in exported.stdout.splitlines()]
    got = sorted((r["date"], r["title"], r["body"]) for r in records)
    first, last = date(2020, 1, 1), date(2020, 3, 15)
    want = sorted(
        (day.isoformat(), r.title, r.body)
        for day in (first + timedelta(days=n) for n in range((last - first).days + 1))
        for r in server.site.expected_records(day, base_url=server.base_url)
    )
    assert got == want
