"""A site without date archives from the command line: `ingest backfill` reads it through its
sitemaps, and `ingest export` gives exactly the records the sample site says a correct reader
stores (``sitemaps.sitemap_expected``)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from tests.support.cli import exported, ingest, write_site_config
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
        site_keys = f"""name = "daily"
base_url = "{server.base_url}"
layout = "sitemap"
listing_path = "{INDEX_PATH}"
[site.selectors]
{selectors}"""
        http = "requests_per_second = 0\ntimeout_seconds = 2"
        config = write_site_config(tmp_path, site_keys, http)
        done = ingest(
            "--config", str(config), "backfill", "--from", FIRST.isoformat(),
            "--to", LAST.isoformat(), cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        records = exported(config)
        truth = sitemap_expected(site, server.base_url, SPAN, FIRST, LAST)
    got = {
        (r["date"], r["title"], r["url"], r["category"], r["body"],
         datetime.fromisoformat(r["published_at"]))
        for r in records
    }  # fmt: skip
    expected = {
        (day.isoformat(), r.title, r.url, r.category, r.body, r.published_at)
        for day, records in truth.items()
        for r in records
    }
    # The theme's post footer that `.entry-content` swallows where author HTML leaves a <div>
    # open (``without_post_footer``) is the one difference allowed.
    trimmed = {(d, t, u, c, without_post_footer(b), p) for d, t, u, c, b, p in got}
    assert trimmed == expected
    assert len(expected) >= 25
    assert min(d for d, *_ in got) < FIRST.isoformat(), "a post edited later, on its day"
