"""`ingest inspect` on each layout: what it extracts, as a table or JSON, and never a write."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.support.sample_site import SampleSiteServer

PLAIN_SELECTORS = """
[sites.selectors]
item = "ul.news-list > li.story"
title = "h3.headline > a"
category = "span.section"
excerpt = "div.summary"
next = "a.more[rel=next]"
empty = "p.no-stories"
article_title = "h1.story-title"
article_body = "div.story-body"
article_time = "span.story-time"
article_time_format = "%d/%m/%Y %H:%M"
"""


def config(tmp_path: Path, server: SampleSiteServer) -> Path:
    path = tmp_path / "ingest.toml"
    sites = "".join(
        f'[[sites]]\nname = "{name}"\nbase_url = "{server.base_url}"\nlayout = "{layout}"\n{extra}'
        for name, layout, extra in (
            ("k2", "k2", ""),
            ("wp", "wordpress", ""),
            ("api", "wordpress-api", ""),
            ("plain", "selectors", f'listing_path = "{server.plain_listing_path}"\n'
             + PLAIN_SELECTORS),
        )
    )  # fmt: skip
    path.write_text(
        f'{sites}\n[http]\nrequests_per_second = 0\n[database]\nurl = "sqlite:///{tmp_path}/db"\n'
        f'[logging]\nfile = ""\n'
    )
    return path


def inspect(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "ingest", "--config", str(cfg), "inspect", *args],
        capture_output=True, text=True, timeout=60, env=env, cwd=cfg.parent,
    )  # fmt: skip


@pytest.mark.parametrize("name", ["k2", "wp", "api", "plain"])
def test_inspect_shows_what_each_layout_extracts(
    server: SampleSiteServer, tmp_path: Path, name: str
) -> None:
    """The day's items as JSON equal the sample site's truth; the table names the count."""
    cfg = config(tmp_path, server)
    day = "2020-02-08"
    shown = inspect(cfg, "--site", name, "--date", day, "--json")
    assert shown.returncode == 0, shown.stderr
    found = json.loads(shown.stdout)
    titles = [item["title"] for page in found["pages"] for item in page["items"]]
    truth = server.site.expected_records(date.fromisoformat(day), base_url=server.base_url)
    assert set(titles) == {r.title for r in truth}
    assert found["count"] == len(titles) > 0
    table = inspect(cfg, "--site", name, "--date", day)
    assert table.returncode == 0 and f"{len(titles)} items on" in table.stdout
    assert not (tmp_path / "db").exists(), "inspect never opens the database"


def test_inspect_article_and_a_page_that_does_not_match(
    server: SampleSiteServer, tmp_path: Path
) -> None:
    """--article parses the first item's page; a page of another layout exits 1, one line."""
    cfg = config(tmp_path, server)
    article = inspect(cfg, "--site", "wp", "--date", "2020-02-08", "--article", "--json")
    assert article.returncode == 0, article.stderr
    page = json.loads(article.stdout)["article"]
    # In the site's calendar (Asia/Damascus), as the K2 layout's and as export shows them.
    assert page["body"] and page["published_at"].endswith(("+02:00", "+03:00"))
    wrong = inspect(
        cfg, "--site", "wp", server.listing_url(__import__("datetime").date(2020, 2, 8))
    )
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("ingest: wp: not the wordpress layout: ")
    assert "Error" not in wrong.stderr and len(wrong.stderr.splitlines()) == 1
    unnamed = inspect(cfg, "--date", "2020-02-08")
    assert unnamed.returncode == 2 and "--site" in unnamed.stderr


@pytest.mark.parametrize("name", ["k2", "wp", "api"])
def test_inspect_shows_whole_urls_and_times_in_the_sites_calendar(
    server: SampleSiteServer, tmp_path: Path, name: str
) -> None:
    """On an 80-column terminal each item's URL is printed whole, on a line of its own, and the
    article's publication time is in the site's zone (Asia/Damascus) whichever layout read it
    (WordPress's REST API gives UTC, K2 pages the site's offset)."""
    cfg = config(tmp_path, server)
    as_json = json.loads(inspect(cfg, "--site", name, "--date", "2020-02-08", "--json").stdout)
    items = [item for page in as_json["pages"] for item in page["items"]]
    urls = [item["url"] for item in items]
    assert urls and max(len(url) for url in urls) > 60
    if name == "api":  # the REST API's listing holds the whole post: no article page to read
        times = [item["published_at"] for item in items]
        assert all(t.endswith(("+02:00", "+03:00")) for t in times), times
    env = {**os.environ, "COLUMNS": "80"}
    article = () if name == "api" else ("--article",)
    shown = subprocess.run(
        [sys.executable, "-m", "ingest", "--config", str(cfg), "inspect", "--site", name,
         "--date", "2020-02-08", *article],
        capture_output=True, text=True, timeout=60, env=env, cwd=cfg.parent,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    for url in urls:
        assert f"  {url}" in lines
    if article:
        (when,) = [line for line in lines if line.startswith("  published_at: ")]
        assert when.endswith(("+02:00", "+03:00")), when


def test_an_unreachable_http_host_is_named_plainly(tmp_path: Path) -> None:
    """Nothing listens: one line with the host, the port and the system's reason; neither
    aiohttp's "ssl:default" (for an http:// site) nor an exception's class name."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cfg = tmp_path / "ingest.toml"
    cfg.write_text(
        f'[site]\nname = "gone"\nbase_url = "http://127.0.0.1:{port}"\nlayout = "k2"\n'
        '[http]\nmax_attempts = 1\n[logging]\nfile = ""\n'
    )
    shown = inspect(cfg, "--date", "2020-02-08")
    assert shown.returncode == 1
    (line,) = shown.stderr.splitlines()
    assert line.startswith(f"ingest: gone: cannot fetch http://127.0.0.1:{port}/")
    assert f"cannot connect to 127.0.0.1:{port}: Connection refused" in line
    assert "ssl" not in line and "Error" not in line
