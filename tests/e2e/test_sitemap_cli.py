"""A site without date archives from the command line: `ingest backfill` reads it through its
sitemaps, and `ingest export` gives exactly the records the sample site says a correct reader
stores (``sitemaps.sitemap_expected``)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from tests.support.cli import ingest
from tests.support.sample_site import SampleSite, SampleSiteServer
from tests.support.sample_site.sitemaps import (
    ARTICLE_SELECTORS,
    INDEX_PATH,
    sitemap_expected,
    without_post_footer,
)

SPAN = (date(2020, 1, 1), date(2020, 2, 29))


FIRST, LAST = date(2020, 2, 1), date(2020, 2, 7)


def test_backfill_then_export_equals_the_truth(tmp_path: Path) -> None:
    site = SampleSite()
    selectors = "\n".join(
        f"{key} = {json.dumps(value)}" for key, value in ARTICLE_SELECTORS.items()
    )
    with SampleSiteServer(site, sitemap_only=True, api_span=SPAN) as server:
        config = tmp_path / "ingest.toml"
        config.write_text(
            f"""
[site]
name = "daily"
base_url = "{server.base_url}"
layout = "sitemap"
listing_path = "{INDEX_PATH}"
[site.selectors]
{selectors}
[http]
requests_per_second = 0
timeout_seconds = 2
[database]
url = "sqlite:///{tmp_path / "db.sqlite"}"
[logging]
file = "{tmp_path / "ingest.jsonl"}"
""",
            encoding="utf-8",
        )
        done = ingest(
            "--config", str(config), "backfill", "--from", FIRST.isoformat(),
            "--to", LAST.isoformat(), cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        out = ingest("--config", str(config), "export", "--format", "jsonl", cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        truth = sitemap_expected(site, server.base_url, SPAN, FIRST, LAST)
    exported = {
        (r["date"], r["title"], r["url"], r["category"], r["body"],
         datetime.fromisoformat(r["published_at"]))
        for r in map(json.loads, out.stdout.splitlines())
    }  # fmt: skip
    expected = {
        (day.isoformat(), r.title, r.url, r.category, r.body, r.published_at)
        for day, records in truth.items()
        for r in records
    }
    # The theme's post footer that `.entry-content` swallows where author HTML leaves a <div>
    # open (``without_post_footer``) is the one difference allowed.
    trimmed = {(d, t, u, c, without_post_footer(b), p) for d, t, u, c, b, p in exported}
    assert trimmed == expected
    assert len(expected) >= 25
    assert min(d for d, *_ in exported) < FIRST.isoformat(), "a post edited later, on its day"
