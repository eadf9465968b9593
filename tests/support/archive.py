"""What the store holds, what it should hold after a crawl of the sample site, and a made-up
archive to read back."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from isal import isal_zlib
from sqlalchemy import select

from ingest.crawl import dates_between
from ingest.domain import ArticleRecord, BodySource, DateStatus, RunKind
from ingest.store import tables
from ingest.store.articles import store_day
from ingest.store.days import record_date_state
from ingest.store.engine import Database
from ingest.store.runs import start_run
from ingest.text import title_key
from tests.support.sample_site import Flavour, SampleSite

Row = tuple[str, str | None, str, datetime | None]


def compression_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of the thread each WARC record is compressed on from now on, in order: ISA-L's
    ``compress`` watched, still doing its work."""
    names: list[str] = []
    real = isal_zlib.compress

    def watched(*args: Any, **kwargs: Any) -> bytes:
        names.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(isal_zlib, "compress", watched)
    return names


def stored(database: Database, site: str = "test") -> dict[tuple[date, str], Row]:
    """The site's stored articles: (url, category, body, published_at) by (date, title)."""
    with database.transaction() as tx:
        articles = tx.connection.execute(
            select(tables.articles).where(tables.articles.c.site == site)
        ).all()
    found = {(a.date, a.title): (a.url, a.category, a.body, a.published_at) for a in articles}
    assert len(found) == len(articles), "one record per (date, title)"
    return found


def expected(
    site: SampleSite,
    base_url: str,
    first: date,
    last: date,
    *,
    fetch_article_pages: bool = True,
    flavour: Flavour = "k2",
) -> dict[tuple[date, str], Row]:
    """What ``stored`` returns after a correct crawl of ``site``, served as ``flavour``, from
    ``first`` to ``last``."""
    return {
        (day, r.title): (r.url, r.category, r.body, r.published_at)
        for day in dates_between(first, last)
        for r in site.expected_records(
            day, base_url=base_url, fetch_article_pages=fetch_article_pages, flavour=flavour
        )
    }


def store_archive(database: Database, site: str, first: date, days: int) -> None:
    """``days`` days from ``first``: a day in ten failed, one in seven empty, the others with
    1-9 articles, every fifth with its bodies from the listing."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with database.transaction() as tx:
        run_id = start_run(tx.connection, site=site, kind=RunKind.BACKFILL,
                           date_from=first, date_to=first, now=now)  # fmt: skip
        for n in range(days):
            day = first + timedelta(days=n)
            failed = n % 10 == 9
            count = 0 if n % 7 == 3 else 1 + n % 9
            source = BodySource.LISTING if n % 5 == 2 else BodySource.ARTICLE
            records = [
                ArticleRecord(site, day, f"{day} story {i}", title_key(f"{day} story {i}"),
                              f"https://x/{day}/{i}", None, "body", source, "h", None)
                for i in range(count)
            ]  # fmt: skip
            store_day(tx.connection, site, day, records, run_id=run_id, now=now)
            record_date_state(
                tx.connection, site=site, day=day,
                status=DateStatus.FAILED if failed else DateStatus.COMPLETE,
                item_count=count, error="HTTP 503" if failed else None, run_id=run_id, now=now,
            )  # fmt: skip
        tx.commit()
