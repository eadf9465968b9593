"""Storage: ``store_day`` throughput into SQLite (and PostgreSQL when a URL is given)."""

from __future__ import annotations

import importlib.util
import os
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ingest.domain import ArticleRecord, BodySource, RunKind
from ingest.heap import keep_heap_between_pages
from ingest.store import articles, runs
from ingest.store.engine import Database
from ingest.store.migrate import upgrade_to_head
from ingest.text import content_hash, title_key
from tests.benchmarks.common import Row

SITE = "bench-storage"
PER_DAY = 50
TOTAL = 50_000
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def generate_records(total: int = TOTAL, per_day: int = PER_DAY) -> dict[date, list[ArticleRecord]]:
    """``total`` distinct articles, ``per_day`` on each day from 2000-01-01."""
    days: dict[date, list[ArticleRecord]] = {}
    first = date(2000, 1, 1)
    for n in range(total):
        day = first + timedelta(days=n // per_day)
        title = f"Coalition statement number {n} on the situation in Idlib"
        url = f"https://en.etilaf.org/media-center/coalition-news/item/{n}-statement.html"
        body = f"Paragraph one of article {n}. " * 20 + "\n\n" + "The second paragraph. " * 15
        days.setdefault(day, []).append(
            ArticleRecord(
                site=SITE,
                date=day,
                title=title,
                title_key=title_key(title),
                url=url,
                category="Coalition News",
                body=body,
                body_source=BodySource.ARTICLE,
                listing_hash=content_hash(title, url, "Coalition News", body[:200]),
                published_at=datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC),
            )
        )
    return days


def store_all(database: Database, days: dict[date, list[ArticleRecord]], run_id: int) -> float:
    """Store every day, one transaction per date as the pipeline does; seconds taken."""
    started = time.perf_counter()
    for day, records in days.items():
        with database.transaction() as tx:
            articles.store_day(tx.connection, SITE, day, records, run_id=run_id, now=NOW)
            tx.commit()
    return time.perf_counter() - started


def measure(database: Database, days: dict[date, list[ArticleRecord]]) -> tuple[float, float]:
    """(first write seconds, re-upsert seconds) into an empty, migrated database."""
    with database.transaction() as tx:
        run_id = runs.start_run(
            tx.connection, site=SITE, kind=RunKind.BACKFILL, date_from=None, date_to=None, now=NOW
        )
        tx.commit()
    first = store_all(database, days, run_id)
    again = store_all(database, days, run_id)
    return first, again


def sqlite_once(days: dict[date, list[ArticleRecord]]) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="ingest-bench-store-") as tmp:
        database = Database.from_url(f"sqlite:///{Path(tmp) / 'store.db'}")
        upgrade_to_head(database.engine)
        try:
            return measure(database, days)
        finally:
            database.dispose()


def postgres_once(url: str, days: dict[date, list[ArticleRecord]]) -> tuple[float, float]:
    """One measurement in a database of its own on the server, dropped afterwards."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"ingest_bench_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database.from_url(
        make_url(url).set(database=name).render_as_string(hide_password=False)
    )
    try:
        upgrade_to_head(database.engine)
        return measure(database, days)
    finally:
        database.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def rows_for(name: str, results: list[tuple[float, float]], total: int) -> list[Row]:
    write = statistics.median(r[0] for r in results)
    again = statistics.median(r[1] for r in results)
    rate = total / write
    return [
        Row(
            "storage",
            f"{name}: articles written/s ({total:,}, commit per date, median of {len(results)})",
            f"{rate:,.0f}",
            ">= 5,000/s",
            rate >= 5000,
        ),
        Row(
            "storage",
            f"{name}: re-upsert of the same records (all unchanged)",
            f"{again:.2f} s ({total / again:,.0f}/s)",
        ),
    ]


def run(repetitions: int = 3) -> list[Row]:
    days = generate_records()
    total = sum(len(v) for v in days.values())
    rows = rows_for("SQLite", [sqlite_once(days) for _ in range(repetitions)], total)
    url = os.environ.get("INGEST_TEST_POSTGRES_URL")
    if url and importlib.util.find_spec("psycopg") is not None:
        rows += rows_for(
            "PostgreSQL", [postgres_once(url, days) for _ in range(repetitions)], total
        )
    else:
        rows.append(Row("storage", "PostgreSQL", "skipped (no PostgreSQL URL)"))
    return rows


if __name__ == "__main__":
    keep_heap_between_pages()
    for row in run(1):
        print(row)
