"""`ingest db backup` of a live SQLite database while a backfill writes to it."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from pathlib import Path

from ingest.crawl import CrawlDeps, RunSummary, run_crawl
from ingest.domain import RunStatus
from ingest.settings import load_settings
from ingest.store.engine import Database
from ingest.store.migrate import upgrade_to_head
from tests.support.cli import ingest, write_config
from tests.support.sample_site import SampleSite, SampleSiteServer


def check_copy(path: Path) -> int:
    """The copy is sound, holds whole days only and nothing twice; its article count."""
    copy = sqlite3.connect(path)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",), "one file"
        partial = copy.execute(
            "SELECT a.date, COUNT(*), c.status, c.item_count FROM articles a "
            "LEFT JOIN crawl_state c ON c.site = a.site AND c.date = a.date "
            "GROUP BY a.site, a.date HAVING c.status IS NULL "
            "OR c.status NOT IN ('complete', 'failed') OR COUNT(*) != c.item_count"
        ).fetchall()
        assert partial == [], "every stored day is whole, with its crawl state"
        doubled = copy.execute(
            "SELECT site, date, title_key FROM articles GROUP BY 1, 2, 3 HAVING COUNT(*) > 1"
        ).fetchall()
        assert doubled == []
        return int(copy.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    finally:
        copy.close()


def contents(path: Path) -> dict[str, list[tuple[object, ...]]]:
    database = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in database.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {t: sorted(database.execute(f'SELECT * FROM "{t}"'), key=repr) for t in tables}
    finally:
        database.close()


def test_backups_during_a_backfill_are_consistent_and_the_last_equals_the_live_database(
    tmp_path: Path,
) -> None:
    """Several backups while a three-month backfill writes (WAL): each passes
    integrity_check, holds only whole days and no duplicates; after the run a backup
    holds exactly what the live database holds."""
    with SampleSiteServer(SampleSite(seed=0), latency_seconds=0.02) as server:
        config = write_config(tmp_path, server)
        settings = load_settings(config, {})
        live = tmp_path / "db.sqlite"
        database = Database.from_url(settings.database.url)
        upgrade_to_head(database.engine)
        done: list[RunSummary] = []
        crawl = threading.Thread(
            target=lambda: done.append(
                run_crawl(settings.site, date(2020, 1, 1), date(2020, 3, 31), CrawlDeps(database))
            )
        )
        crawl.start()
        counts = []
        try:
            while crawl.is_alive():
                copy = tmp_path / f"copy{len(counts)}.db"
                made = ingest("--config", str(config), "db", "backup", str(copy), cwd=tmp_path)
                assert made.returncode == 0, made.stderr
                counts.append(check_copy(copy))
        finally:
            crawl.join(120)
        assert done and done[0].status is RunStatus.SUCCEEDED
        assert len([c for c in counts if c]) >= 2, f"backups taken mid-run: {counts}"
        assert counts == sorted(counts), "each copy holds at least the one before"
        final = tmp_path / "final.db"
        made = ingest("--config", str(config), "db", "backup", str(final), cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        check_copy(final)
        database.dispose()
        assert contents(final) == contents(live)
