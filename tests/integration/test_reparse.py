"""``reparse``: a fix made to a site's config today applies to every day already archived, with
no request to the site. The pages come from the WARC files the crawl kept."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from ingest import crawl
from ingest.crawl import RunSummary
from ingest.domain import RunKind, RunStatus
from ingest.settings import Settings
from ingest.store import tables
from ingest.store.engine import Database
from tests.support import archive
from tests.support.archive import Row
from tests.support.sample_site import SampleSiteServer
from tests.support.sample_site.plain import SELECTORS
from tests.support.settings import loopback_settings

FIRST, LAST = date(2020, 2, 1), date(2020, 2, 12)  # 2020-02-05 has no posts
Key = tuple[date, str]


def configure(server: SampleSiteServer, tmp_path: Path, url: str, **selectors: str) -> Settings:
    table = {"name": "plain", "base_url": server.base_url, "layout": "selectors",
             "listing_path": server.plain_listing_path,
             "selectors": {**SELECTORS, **selectors}}  # fmt: skip
    return loopback_settings(tmp_path, url, table)


def stored(database: Database) -> dict[Key, Row]:
    return archive.stored(database, "plain")


def truth(server: SampleSiteServer) -> dict[Key, Row]:
    return archive.expected(server.site, server.base_url, FIRST, LAST, flavour="plain")


def only(outcomes: list[crawl.Outcome]) -> RunSummary:
    (outcome,) = outcomes
    assert isinstance(outcome, RunSummary), outcome
    return outcome


# A selector each of the listing and of the article page, broken, and the field of the stored
# row (url, category, body, published_at) that shows it: an article page is read again too,
# though its listing is as it was and the stored body came from the page.
BROKEN = {
    "listing": ("category", "span.no-such-section", 1),
    "article page": ("article_time", "span.no-such-time", 3),
}


@pytest.mark.parametrize("broken_field", BROKEN.values(), ids=BROKEN.keys())
def test_a_fixed_selector_applies_to_every_archived_day_without_a_request(
    server: SampleSiteServer,
    tmp_path: Path,
    database_url: str,
    database: Database,
    broken_field: tuple[str, str, int],
) -> None:
    selector, wrong, field = broken_field
    broken = configure(server, tmp_path, database_url, **{selector: wrong})
    crawled = only(crawl.backfill(broken, database, FIRST, LAST))
    assert crawled.status is RunStatus.SUCCEEDED
    want = truth(server)
    before = stored(database)
    assert before.keys() == want.keys()
    differ = [k for k in want if before[k][field] != want[k][field]]
    assert differ, "the broken selector read otherwise"  # not the page robots.txt keeps out
    requests = len(server.requests)

    fixed = configure(server, tmp_path, database_url)
    reparsed = only(crawl.reparse(fixed, database, FIRST, LAST))

    assert len(server.requests) == requests, "not one request during the reparse"
    assert reparsed.status is RunStatus.SUCCEEDED
    assert reparsed.counts.articles_updated == len(differ)
    assert stored(database) == want
    with database.transaction() as tx:
        kinds = [r.kind for r in tx.connection.execute(select(tables.runs.c.kind)).all()]
    assert kinds == [RunKind.BACKFILL.value, RunKind.REPARSE.value]


@pytest.mark.parametrize("robots_read", [True, False], ids=["robots-read", "robots-off"])
def test_a_day_the_archive_lacks_fails_saying_so(
    server: SampleSiteServer,
    tmp_path: Path,
    database_url: str,
    database: Database,
    robots_read: bool,
) -> None:
    """Whether or not the crawl read robots.txt: a crawl that read none (so the archive
    holds none) allowed everything, and so does the reparse."""
    settings = configure(server, tmp_path, database_url)
    site = msgspec.structs.replace(settings.sites[0], respect_robots_txt=robots_read)
    only(crawl.backfill(settings, database, FIRST, FIRST, sites=[site]))
    requests = len(server.requests)
    reparsed = only(crawl.reparse(settings, database, FIRST, date(2020, 2, 2)))
    assert len(server.requests) == requests
    assert reparsed.status is RunStatus.PARTIAL
    assert reparsed.failed_dates == (date(2020, 2, 2),)
    with database.transaction() as tx:
        (error,) = tx.connection.execute(
            select(tables.crawl_state.c.last_error).where(
                tables.crawl_state.c.date == date(2020, 2, 2)
            )
        ).one()
    assert "not in the WARC archive" in error


def test_a_page_robots_txt_kept_the_crawl_from_is_skipped_as_the_crawl_skipped_it(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """The crawl never fetched the articles the archived robots.txt disallows: the reparse
    skips them for that reason too, neither a failed fetch in its log nor in its record."""
    settings = configure(server, tmp_path, database_url)
    with capture_logs() as crawl_events:
        crawled = only(crawl.backfill(settings, database, FIRST, LAST))
    with capture_logs() as reparse_events:
        reparsed = only(crawl.reparse(settings, database, FIRST, LAST))

    def skipped(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
        return sorted(
            (e["url"], e["reason"]) for e in events if e["event"] == "article_page_skipped"
        )

    assert "robots.txt" in {reason for _, reason in skipped(crawl_events)}, (
        "the range holds a page robots.txt disallows"
    )
    assert skipped(reparse_events) == skipped(crawl_events)
    assert not [e for e in reparse_events if e["event"] == "fetch_failed"]
    assert reparsed.counts.pages_failed == crawled.counts.pages_failed == 0
    assert reparsed.status is RunStatus.SUCCEEDED
