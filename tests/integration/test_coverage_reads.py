"""The coverage calendar read from a real database: two aggregate queries, whatever the range."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event

from ingest import coverage
from ingest.domain import ArticleRecord, BodySource, DateStatus, RunKind
from ingest.store import repository as repo
from ingest.store.engine import Database
from ingest.text import title_key


def store_archive(database: Database, site: str, first: date, days: int) -> None:
    """``days`` days from ``first``, written straight through the store (no crawl): a day in
    ten failed, one in seven empty, the others with 1-9 articles, every fifth listing-only."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with database.unit_of_work() as uow:
        run = repo.start_run(uow.session, site=site, kind=RunKind.BACKFILL,
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
            repo.store_day(uow.session, site, day, records, run_id=run.id, now=now)
            repo.record_date_state(
                uow.session, site=site, day=day,
                status=DateStatus.FAILED if failed else DateStatus.COMPLETE,
                item_count=count, error="HTTP 503" if failed else None, run_id=run.id, now=now,
            )  # fmt: skip
        uow.commit()


def test_calendar_reads_the_site_range_in_two_queries(database: Database) -> None:
    """Default range is the first to last crawled day; a year costs two statements."""
    store_archive(database, "a", date(2019, 12, 1), 400)
    store_archive(database, "b", date(2018, 1, 1), 10)
    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))  # fmt: skip
    cal = coverage.read_calendar(database, "a")
    assert cal is not None and len(statements) == 2
    assert (cal.first, cal.last) == (date(2019, 12, 1), date(2019, 12, 1) + timedelta(days=399))
    kinds = {d.kind for d in cal.days}
    assert kinds == {coverage.Kind.COMPLETE, coverage.Kind.EMPTY, coverage.Kind.FAILED,
                     coverage.Kind.LISTING}  # fmt: skip
    assert cal.by_date[date(2019, 12, 10)].kind is coverage.Kind.FAILED
    assert cal.by_date[date(2019, 12, 3)].kind is coverage.Kind.LISTING
    assert cal.total().articles == sum(1 + n % 9 for n in range(400) if n % 7 != 3)

    wider = coverage.read_calendar(database, "a", date(2019, 11, 25), date(2019, 12, 2))
    assert wider is not None
    assert [d.kind for d in wider.days][:6] == [coverage.Kind.NEVER] * 6
    assert coverage.read_calendar(database, "nobody") is None
