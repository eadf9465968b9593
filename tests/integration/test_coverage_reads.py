"""The coverage calendar read from a real database: two aggregate queries, whatever the range."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event

from ingest import coverage
from ingest.store.engine import Database
from tests.support.archive import store_archive


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
    assert cal.total.articles == sum(1 + n % 9 for n in range(400) if n % 7 != 3)

    wider = coverage.read_calendar(database, "a", date(2019, 11, 25), date(2019, 12, 2))
    assert wider is not None
    assert [d.kind for d in wider.days][:6] == [coverage.Kind.NEVER] * 6
    assert coverage.read_calendar(database, "nobody") is None
