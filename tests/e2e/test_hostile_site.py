"""A hostile site beside a normal one in one crawl: the normal site's archive and its pace are
what they are when it crawls alone, and the hostile site's pages fail their own dates, each
in one line, without crashing the run.

The hostile listing nests 100,000 elements deep (1.1 MB): parsed, it held the event loop for
about 11 s a page (an HTML5 parser's cost grows with the square of the depth), and every other
site of the process waited. Now it is refused before parsing (``bounds.MAX_DEPTH``), and
parsing happens off the event loop (``turns``), so the normal site never waits on it.
"""

from __future__ import annotations

import statistics
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import structlog

from ingest import crawl
from ingest.crawl import RunSummary
from ingest.domain import RunStatus
from ingest.settings import Settings, settings_from_mapping
from ingest.store import exports
from ingest.store.engine import Database
from ingest.store.migrate import upgrade_to_head
from tests.support.sample_site import Delay, SampleSite, SampleSiteServer
from tests.support.servers import Reply, ScriptedServer, Seen

FIRST, LAST = date(2020, 2, 1), date(2020, 2, 20)
DEPTH = 100_000
HTTP = {
    "requests_per_second": 0.0,
    "timeout_seconds": 5.0,
    "backoff_initial_seconds": 0.01,
    "backoff_max_seconds": 0.05,
    "max_attempts": 2,
}


def deep_page(seen: Seen) -> Reply:
    if seen.path == "/robots.txt":
        return Reply(404)
    body = ("<html><body>" + "<div>" * DEPTH + "</div>" * DEPTH + "</body></html>").encode()
    return Reply(200, body, {"Content-Type": "text/html; charset=utf-8"})


def deep_json(seen: Seen) -> Reply:
    if not seen.path.startswith("/wp-json/wp/v2/posts"):
        return Reply(404)
    body = ("[" * DEPTH + "]" * DEPTH).encode()
    return Reply(200, body, {"Content-Type": "application/json"})


def crowded_page(seen: Seen) -> Reply:
    """A plain listing of 1,001 stories: one past the items a page may hold."""
    if seen.path == "/robots.txt":
        return Reply(404)
    stories = "".join(
        f'<li class="story"><h3 class="headline"><a href="/s/{n}.html">Story {n}</a></h3></li>'
        for n in range(1001)
    )
    body = f'<html><body><ul class="news-list">{stories}</ul></body></html>'.encode()
    return Reply(200, body, {"Content-Type": "text/html; charset=utf-8"})


def configure(tmp_path: Path, *sites: dict[str, Any]) -> Settings:
    return settings_from_mapping(
        {
            "http": HTTP,
            "sites": list(sites),
            "database": {"url": f"sqlite:///{tmp_path / 'ingest.db'}"},
            "logging": {"file": str(tmp_path / "ingest.jsonl")},
            "archive": {"dir": str(tmp_path / "warc")},
        }
    )


def normal_site(server: SampleSiteServer) -> dict[str, Any]:
    return {"name": "normal", "base_url": server.base_url, "layout": "k2"}


def hostile_site(server: ScriptedServer, layout: str = "k2", **extra: Any) -> dict[str, Any]:
    return {"name": "hostile", "base_url": server.base_url, "layout": layout, **extra}


Crawled = tuple[dict[str, RunSummary], list[Any], list[dict[str, Any]]]


def crawl_once(tmp_path: Path, *sites: dict[str, Any]) -> Crawled:
    """Backfill ``sites`` into a new database: each site's summary, the normal site's
    export, and the events logged."""
    tmp_path.mkdir()
    settings = configure(tmp_path, *sites)
    database = Database.from_url(settings.database.url)
    try:
        upgrade_to_head(database.engine)
        with structlog.testing.capture_logs() as events:
            outcomes = crawl.backfill(settings, database, FIRST, LAST)
        with database.transaction() as tx:
            export = [
                (row.date, row.title, row.url, row.category, row.body, row.published_at)
                for row in exports.exported(tx.connection, ["normal"], None, None)
            ]
    finally:
        database.dispose()
    summaries = {o.site: o for o in outcomes if isinstance(o, RunSummary)}
    return summaries, export, events


def test_a_deep_site_beside_a_normal_one_leaves_its_archive_and_pace_alone(
    tmp_path: Path,
) -> None:
    # A normal site answers in 20 ms, as a real one might; the hostile one is on another
    # loopback address, so no per-host limit is shared between them.
    with (
        SampleSiteServer(SampleSite(seed=3)) as normal,
        ScriptedServer(host="127.0.0.2", fallback=deep_page) as hostile,
    ):
        normal.faults.add(lambda path: True, Delay(0.02), times=None)
        alone_times, beside_times = [], []
        alone_export: list[Any] = []
        for round_ in range(3):
            alone, alone_export, _ = crawl_once(tmp_path / f"alone{round_}", normal_site(normal))
            both, beside_export, events = crawl_once(
                tmp_path / f"beside{round_}", normal_site(normal), hostile_site(hostile)
            )
            assert beside_export == alone_export
            assert len(alone_export) > 50
            assert alone["normal"].status is RunStatus.SUCCEEDED
            assert both["normal"].status is RunStatus.SUCCEEDED
            # Every hostile date failed, in one line naming the bound, and the run ended.
            assert both["hostile"].status is RunStatus.FAILED
            assert len(both["hostile"].failed_dates) == (LAST - FIRST).days + 1
            failed = [e for e in events if e["event"] == "date_failed"]
            assert len(failed) == len(both["hostile"].failed_dates)
            assert all("elements nested more than 1000 deep" in e["error"] for e in failed)
            assert not [e for e in events if e["event"] == "run_crashed"]
            alone_times.append(alone["normal"].duration_seconds)
            beside_times.append(both["normal"].duration_seconds)
    alone_wall, beside_wall = statistics.median(alone_times), statistics.median(beside_times)
    # Within a fifth, and a quarter second for a loaded machine's noise.
    assert beside_wall <= alone_wall * 1.2 + 0.25, (alone_times, beside_times)


@pytest.mark.parametrize(
    ("reply", "layout", "extra", "error"),
    [
        (deep_json, "wordpress-api", {}, "JSON nested too deeply"),
        (crowded_page, "selectors",
         {"listing_path": "/archive/{year}-{month:02d}-{day:02d}.html",
          "selectors": {"item": "ul.news-list > li.story", "title": "h3.headline",
                        "url": "h3.headline > a::attr(href)"}},
         "1001 items on one listing page, over 1000"),
    ],
    ids=["rest-json-100k-deep", "listing-1001-items"],
)  # fmt: skip
def test_a_hostile_page_fails_its_date_in_one_line_never_the_run(
    tmp_path: Path, reply: Any, layout: str, extra: dict[str, Any], error: str
) -> None:
    with ScriptedServer(fallback=reply) as hostile:
        summaries, _, events = crawl_once(tmp_path / "run", hostile_site(hostile, layout, **extra))
    summary = summaries["hostile"]
    assert summary.status is RunStatus.FAILED and summary.reason is None
    assert len(summary.failed_dates) == (LAST - FIRST).days + 1
    failed = [e for e in events if e["event"] == "date_failed"]
    assert len(failed) == len(summary.failed_dates)
    assert all(error in e["error"] and e["error_type"] == "ParseError" for e in failed)
    assert not [e for e in events if e["event"] == "run_crashed"]
