"""Every layout end to end: the sample site's flavours through k2, wordpress, wordpress-api and
selectors, over loopback HTTP into a real database, with faults.

Each flavour serves the same corpus; ``SampleSite.expected_records(..., flavour=...)`` is what a
correct scraper of it stores. Run through ``crawl.backfill`` with ``[[sites]]`` settings, as the
``backfill`` command does.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from structlog.testing import capture_logs

from ingest.crawl import RunSummary, backfill, dates_between
from ingest.domain import RunStatus
from ingest.settings import Settings
from ingest.store import tables
from ingest.store.engine import Database
from tests.support.archive import Row, expected, stored
from tests.support.sample_site import Flavour, SampleSite, SampleSiteServer, Status
from tests.support.sample_site.content import dedupe
from tests.support.sample_site.flavours import reads_full_text
from tests.support.sample_site.plain import SELECTORS
from tests.support.settings import loopback_settings

FIRST, LAST = date(2020, 2, 1), date(2020, 2, 14)  # 2020-02-05 has no posts
# The plain flavour as tests/support/sample_site/plain.py's docstring describes it.
PLAIN_SELECTORS = SELECTORS
FLAVOUR: dict[str, Flavour] = {
    "k2": "k2",
    "wordpress": "wordpress",
    "wordpress-api": "wordpress-api",
    "selectors": "plain",
}
LAYOUTS = tuple(FLAVOUR)

Key = tuple[date, str]


def listing_path(server: SampleSiteServer, layout: str) -> str:
    return {
        "k2": server.listing_path,
        "wordpress": server.wordpress_listing_path,
        "wordpress-api": server.api_path,
        "selectors": server.plain_listing_path,
    }[layout]


def site_table(server: SampleSiteServer, layout: str, **extra: Any) -> dict[str, Any]:
    """A ``[[sites]]`` table named after its layout, on the server's path for that flavour."""
    table: dict[str, Any] = {
        "name": layout,
        "base_url": server.base_url,
        "layout": layout,
        "listing_path": listing_path(server, layout),
    }
    if layout == "selectors":
        table["selectors"] = dict(PLAIN_SELECTORS)
    return {**table, **extra}


def configure(tmp_path: Path, url: str, *sites: dict[str, Any], **http: Any) -> Settings:
    return loopback_settings(tmp_path, url, *sites, http=http)


def crawl(
    settings: Settings, database: Database, first: date = FIRST, last: date = LAST
) -> dict[str, RunSummary]:
    outcomes = backfill(settings, database, first, last)
    assert all(isinstance(o, RunSummary) for o in outcomes), outcomes
    return {o.site: o for o in outcomes if isinstance(o, RunSummary)}


def truth(
    server: SampleSiteServer,
    layout: str,
    first: date = FIRST,
    last: date = LAST,
    *,
    fetch_article_pages: bool = True,
) -> dict[Key, Row]:
    return expected(
        server.site,
        server.base_url,
        first,
        last,
        fetch_article_pages=fetch_article_pages,
        flavour=FLAVOUR[layout],
    )


def states(database: Database, site: str) -> dict[date, tuple[str, int, str | None]]:
    with database.transaction() as tx:
        rows = tx.connection.execute(
            select(tables.crawl_state).where(tables.crawl_state.c.site == site)
        ).all()
        return {s.date: (s.status, s.item_count, s.last_error) for s in rows}


def full_text_everywhere(site: SampleSite, layouts: tuple[str, ...]) -> set[Key]:
    """The stories every layout reads whole (see ``flavours.reads_full_text``)."""
    return {
        (day, r.title)
        for day in dates_between(FIRST, LAST)
        for article, r in zip(
            dedupe(site.articles_on(day)), site.expected_records(day, base_url="x"), strict=True
        )
        if all(reads_full_text(FLAVOUR[layout], article, True) for layout in layouts)
    }


def api_requests(server: SampleSiteServer) -> int:
    return server.count(server.api_path)


# -- 1, 2: the same corpus through every layout, with and without faults ---------------------


@pytest.mark.parametrize("faults", [False, True], ids=["clean", "transient-faults"])
def test_same_corpus_same_records_in_every_layout(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database, faults: bool
) -> None:
    """k2, wordpress and wordpress-api each store exactly their flavour's truth; across them
    the dates, titles and categories are the same, and bodies and times too wherever every
    layout reads the whole story. With 30 % of paths failing transiently, nothing changes."""
    layouts = ("k2", "wordpress", "wordpress-api")
    if faults:
        server.faults.random_transient(rate=0.3, seed=11)
    settings = configure(tmp_path, database_url, *(site_table(server, name) for name in layouts))
    runs = crawl(settings, database)
    assert {name: run.status for name, run in runs.items()} == dict.fromkeys(
        layouts, RunStatus.SUCCEEDED
    )
    got = {name: stored(database, name) for name in layouts}
    want = {name: truth(server, name) for name in layouts}
    for name in layouts:
        assert got[name] == want[name], name
        assert runs[name].counts.articles_new == len(got[name]), f"{name}: nothing doubled"
    if faults:
        assert any(r.status in (0, 429, 500, 503) for r in server.requests), "faults fired"
    keys = set(got["k2"])
    assert len(keys) > 50 and all(set(rows) == keys for rows in got.values())
    whole = full_text_everywhere(server.site, layouts)
    assert len(whole) > len(keys) // 2
    for rows in (want, got):
        for key in keys:
            categories = {rows[name][key][1] for name in layouts}
            assert len(categories) == 1 and None not in categories, key
            if key in whole:
                assert len({rows[name][key][2:] for name in layouts}) == 1, key
        # Only URLs differ: K2's item pages against WordPress permalinks (the API's `link`).
        urls = [
            (rows["k2"][k][0], rows["wordpress"][k][0], rows["wordpress-api"][k][0]) for k in keys
        ]
        assert all(k2 != wp == api for k2, wp, api in urls)
    # The rest differ by design (a private story is read whole only through the API, an
    # off-site one has no time on K2): in body or time, never in title or category.
    partial = keys - whole
    assert partial and all(len({got[name][k][2:] for name in layouts}) > 1 for k in partial)


# -- 3, 4: WordPress's empty days, real and mistaken -----------------------------------------


def test_wordpress_day_without_posts_is_complete_and_empty(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """A date archive without posts answers 404: a complete day with no articles."""
    empty, emptied = date(2020, 2, 5), date(2020, 2, 3)
    assert server.site.articles_on(empty) == []
    for article in server.site.articles_on(emptied):
        server.site.remove_article(article.id)
    settings = configure(tmp_path, database_url, site_table(server, "wordpress"))
    run = crawl(settings, database, date(2020, 2, 2), date(2020, 2, 6))["wordpress"]
    assert run.status is RunStatus.SUCCEEDED and run.failed_dates == ()
    assert server.count("/2020/02/05/") == 1 and server.count("/2020/02/03/") == 1
    assert {r.status for r in server.requests if r.path in ("/2020/02/05/", "/2020/02/03/")} == {
        404
    }
    day_states = states(database, "wordpress")
    assert day_states[empty] == ("complete", 0, None)
    assert day_states[emptied] == ("complete", 0, None)
    assert day_states[date(2020, 2, 4)][:2] == ("complete", 5)
    assert not any(day in (empty, emptied) for day, _ in stored(database, "wordpress"))


def test_wordpress_wrong_archive_path_stores_every_day_complete_and_empty(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """The silent failure: a wrong ``listing_path`` 404s every day, and a 404 archive means
    "no posts", so the run succeeds with every day complete and nothing stored."""
    wrong = site_table(server, "wordpress", listing_path="/archives/{year}/{month:02d}/{day:02d}/")
    settings = configure(tmp_path, database_url, wrong)
    run = crawl(settings, database)["wordpress"]
    assert run.status is RunStatus.SUCCEEDED and run.failed_dates == ()
    assert run.counts.articles_new == 0
    days = dates_between(FIRST, LAST)
    assert states(database, "wordpress") == dict.fromkeys(days, ("complete", 0, None))
    assert stored(database, "wordpress") == {}
    listings = [r for r in server.requests if r.path.startswith("/archives/")]
    assert len(listings) == len(days) and {r.status for r in listings} == {404}


# -- 5: the REST API -------------------------------------------------------------------------


def test_rest_api_pages_midnight_and_category_names(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """A day of 130 posts takes two pages (X-WP-TotalPages); a post at exactly 00:00:00 is
    stored on its own day only; categories are stored by name."""
    site, busy = server.site, date(2020, 2, 9)
    for n in range(130 - len(site.articles_on(busy))):
        site.add_article(busy, title_html=f"Bulletin number {n}", intro_paragraphs=(f"Text {n}.",))
    midnight = site.add_article(
        date(2020, 2, 10),
        title_html="Statement at midnight",
        intro_paragraphs=("Issued as the day began.",),
        created=datetime.combine(date(2020, 2, 10), time(0, 0, 0)),
    )
    settings = configure(tmp_path, database_url, site_table(server, "wordpress-api"))
    first, last = date(2020, 2, 8), date(2020, 2, 11)
    run = crawl(settings, database, first, last)["wordpress-api"]
    assert run.status is RunStatus.SUCCEEDED
    rows = stored(database, "wordpress-api")
    assert rows == truth(server, "wordpress-api", first, last)
    busy_stories = sum(1 for day, _ in rows if day == busy)
    assert busy_stories > 100 and busy_stories == len(site.expected_records(busy, base_url="x"))
    pages = [r.path for r in server.requests if r.path.startswith(server.api_path)]
    assert sum("after=2020-02-08T23" in p for p in pages) == 2, "two pages of the busy day"
    assert sum("page=2" in p for p in pages) == 1
    assert [day for day, title in rows if title == "Statement at midnight"] == [date(2020, 2, 10)]
    assert midnight.category in {category for _, category, _, _ in rows.values()}
    categories = {category for _, category, _, _ in rows.values()}
    assert categories and not any(c is None or c.isdigit() for c in categories)


UNAVAILABLE = (
    'the WordPress REST API is not available here (HTTP {}): use layout = "wordpress" to read '
    "the archive pages"
)


@pytest.mark.parametrize("status", [401, 403, 404])
def test_rest_api_unavailable_fails_dates_with_a_line_naming_the_fix(
    site: SampleSite, tmp_path: Path, database_url: str, database: Database, status: int
) -> None:
    """A site with the REST API turned off (401 or 403 rest_disabled) or without one (404 on
    /wp-json/): every date fails, once each (not retried), with one line that says so and
    names the ``wordpress`` layout, and no traceback anywhere."""
    with SampleSiteServer(
        site, rest_api=status == 404, rest_disabled_status=min(status, 403)
    ) as off:
        if status == 404:
            off.faults.add(lambda path: path.startswith("/wp-json/"), Status(404), times=None)
        settings = configure(tmp_path, database_url, site_table(off, "wordpress-api"))
        first, last = date(2020, 2, 1), date(2020, 2, 3)
        with capture_logs() as logs:
            run = crawl(settings, database, first, last)["wordpress-api"]
        assert run.status is RunStatus.FAILED
        assert run.failed_dates == tuple(dates_between(first, last))
        assert api_requests(off) == 3
    line = UNAVAILABLE.format(status)
    for state, count, error in states(database, "wordpress-api").values():
        assert (state, count, error) == ("failed", 0, line)
    failed = [e for e in logs if e["event"] == "date_failed"]
    assert [e["error"] for e in failed] == [line] * 3
    assert not any("exc_info" in e or "exception" in e for e in logs)
    with database.transaction() as tx:
        summary = tx.connection.scalar(select(tables.runs.c.error_summary))
    assert summary is not None  # the dates in the order they failed
    assert sorted(summary.split("; ")) == [f"{day}: {line}" for day in dates_between(first, last)]


def test_rest_api_needs_several_times_fewer_requests_than_html(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """The same two weeks: one API request per day against a listing and every article page."""
    settings = configure(
        tmp_path, database_url, site_table(server, "wordpress"), site_table(server, "wordpress-api")
    )
    crawl(settings, database)
    api = api_requests(server)
    html = sum(
        1 for r in server.requests if r.path != "/robots.txt" and not r.path.startswith("/wp-json")
    )
    assert api == len(dates_between(FIRST, LAST))
    assert html >= 4 * api, (html, api)
    assert len(stored(database, "wordpress")) == len(stored(database, "wordpress-api"))


# -- 6: selectors ----------------------------------------------------------------------------


def test_selectors_layout_reads_the_plain_markup(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """plain.py's selectors store exactly the plain truth, article pages read; without an
    ``article_body`` selector no article page is requested and the listing text is stored."""
    no_body = {k: v for k, v in PLAIN_SELECTORS.items() if not k.startswith("article_")}
    settings = configure(
        tmp_path,
        database_url,
        site_table(server, "selectors"),
        site_table(server, "selectors", name="listing-only", selectors=no_body),
    )
    runs = crawl(settings, database)
    assert {run.status for run in runs.values()} == {RunStatus.SUCCEEDED}
    assert stored(database, "selectors") == truth(server, "selectors")
    listing_only = stored(database, "listing-only")
    assert listing_only == truth(server, "selectors", fetch_article_pages=False)
    assert listing_only != stored(database, "selectors")
    stories = [r.path for r in server.requests if "/story/" in r.path]
    # Every on-site public story once, by the first site only (never /private/).
    assert stories and len(stories) == len(set(stories))
    assert not any(p.startswith("/private/") for p in stories)


# -- 7: three layouts in one backfill --------------------------------------------------------


def test_three_layouts_in_one_backfill(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """k2 + wordpress + selectors in one config and one call: a run record per site, each
    site's records its own flavour's truth."""
    layouts = ("k2", "wordpress", "selectors")
    first, last = date(2020, 2, 1), date(2020, 3, 15)
    settings = configure(tmp_path, database_url, *(site_table(server, name) for name in layouts))
    runs = crawl(settings, database, first, last)
    assert set(runs) == set(layouts)
    with database.transaction() as tx:
        records = tx.connection.execute(
            select(tables.runs.c.site, tables.runs.c.status, tables.runs.c.dates_done)
        ).all()
        sites = tx.connection.scalars(select(func.distinct(tables.articles.c.site))).all()
    days = len(dates_between(first, last))
    assert sorted(records) == [(name, "succeeded", days) for name in sorted(layouts)]
    assert set(sites) == set(layouts)
    for name in layouts:
        assert stored(database, name) == truth(server, name, first, last), name


# -- 8: drift ---------------------------------------------------------------------------------

DRIFTED = "<!DOCTYPE html><html><head><title>News</title></head><body><main><h1>News</h1>" \
    "<p>Our archive has moved.</p></main></body></html>"  # fmt: skip


@pytest.mark.parametrize("layout", LAYOUTS)
def test_drifted_listing_is_a_parse_error_never_an_empty_day(
    layout: str, server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """A 200 listing without items and without a "nothing found" sign fails the date with a
    ParseError, in every layout; the other dates are stored."""
    day = date(2020, 2, 3)
    path = listing_path(server, layout).format(year=day.year, month=day.month, day=day.day)

    def drifted(target: str) -> bool:
        if layout == "wordpress-api":  # the day's query: after the last second of the 2nd
            return target.startswith(path) and "after=2020-02-02T23" in target
        return target.split("?")[0] == path

    server.faults.add(drifted, Status(200, body=DRIFTED), times=None)
    settings = configure(tmp_path, database_url, site_table(server, layout))
    with capture_logs() as logs:
        run = crawl(settings, database, day, date(2020, 2, 4))[layout]
    assert run.status is RunStatus.PARTIAL and run.failed_dates == (day,)
    assert server.count(drifted) == 1, "a parse error is not retried"
    status, count, error = states(database, layout)[day]
    assert (status, count) == ("failed", 0) and error
    failed = [e for e in logs if e["event"] == "date_failed"]
    assert [e["error_type"] for e in failed] == ["ParseError"]
    assert not any(d == day for d, _ in stored(database, layout))
    assert stored(database, layout) == truth(server, layout, date(2020, 2, 4), date(2020, 2, 4))
