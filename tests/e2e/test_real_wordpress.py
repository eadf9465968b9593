"""The WordPress layouts against WordPress itself: Debian's WordPress 6.1 and its three bundled
themes (one classic, two block themes), served by PHP from MariaDB, filled with the corpus of
``tests/support/wordpress/corpus.py``. The truth is WordPress's own database.

Each layout backfills the corpus's two windows with ``ingest`` as a user runs it (a subprocess
and a config file), and its export must equal the truth exactly: titles, days, permalinks,
categories, bodies and ``published_at`` against ``post_date_gmt``.
"""

from __future__ import annotations

import html
import json
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from ingest.text import clean_whitespace, join_paragraphs, paragraphs_of_html, title_key
from tests.support import cli
from tests.support.docs import toml_block
from tests.support.wordpress import corpus
from tests.support.wordpress.site import THEMES, RealWordPress, published, serving_corpus

WINDOWS = (corpus.SPRING, corpus.AUTUMN)
# The `selectors` config for a block theme, read from docs/layouts.md where it is given.
BLOCK_THEME_SELECTORS = (
    "[site.selectors]"
    + toml_block("layouts.md", "block-theme-news").split("[site.selectors]", 1)[1]
)


@pytest.fixture(scope="module")
def wordpress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealWordPress]:
    with serving_corpus(tmp_path_factory.mktemp("wordpress")) as site:
        yield site


def ingest(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return cli.ingest("--config", str(config), *args, cwd=config.parent)


def write_config(
    tmp_path: Path, base_url: str, layout: str, *, timezone: str = corpus.TIMEZONE, extra: str = ""
) -> Path:
    site = f"""name = "wp"
base_url = "{base_url}"
layout = "{layout}"
timezone = "{timezone}"
{"listing_path = '/{year}/{month:02d}/{day:02d}/'" if layout == "selectors" else ""}
{extra}"""
    # PHP's server answers a page in about 100 ms, four at a time.
    http = """requests_per_second = 0
concurrency = 4
timeout_seconds = 20
backoff_initial_seconds = 0.05
backoff_max_seconds = 0.2"""
    return cli.write_site_config(tmp_path, site, http, database="archive.db")


def backfill(config: Path, *extra: str) -> None:
    for first, last in WINDOWS:
        done = ingest(config, "backfill", "--from", str(first), "--to", str(last), *extra)
        assert done.returncode == 0, done.stdout + done.stderr


def expected(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """What an exact archive holds: every published post once, under its own day. Of two posts
    with one title on one day, the one the archive lists first (the newest) is kept."""
    records: dict[tuple[str, str], dict[str, Any]] = {}
    newest_first = sorted(published(truth), key=lambda post: post["post_date"], reverse=True)
    for post in newest_first:
        day = post["post_date"][:10]
        title = clean_whitespace(html.unescape(post["title"]))
        key = (day, title_key(title))
        if key in records:
            continue
        records[key] = {
            "date": day,
            "title": title,
            "url": post["permalink"],
            "category": ", ".join(post["categories"]) or None,
            "body": join_paragraphs(paragraphs_of_html(post["content"])),
            "published_at": datetime.fromisoformat(post["post_date_gmt"]).replace(tzinfo=UTC),
        }
    return sorted(records.values(), key=lambda record: (record["date"], record["title"]))


def archived(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The export's records in the shape of ``expected``: the instant of ``published_at``."""
    return sorted(
        (
            {
                "date": record["date"],
                "title": record["title"],
                "url": record["url"],
                "category": record["category"],
                "body": record["body"],
                "published_at": datetime.fromisoformat(record["published_at"]).astimezone(UTC),
            }
            for record in records
        ),
        key=lambda record: (record["date"], record["title"]),
    )


def assert_exact(config: Path, truth: dict[str, Any]) -> None:
    want = expected(truth)
    got = archived(cli.exported(config))
    assert [(r["date"], r["title"]) for r in got] == [(r["date"], r["title"]) for r in want]
    for got_record, want_record in zip(got, want, strict=True):
        assert got_record == want_record


def test_the_corpus_holds_every_edge_case(wordpress: RealWordPress) -> None:
    """WordPress stored what the corpus asks for: the edge cases are real, not assumed."""
    truth = wordpress.truth(THEMES[0])
    by_title = {post["post_title"]: post for post in truth["posts"]}
    assert truth["version"].startswith("6.")
    assert {post["status"] for post in truth["posts"]} == {
        "publish", "draft", "private", "future", "trash",
    }  # fmt: skip
    # The missing midnight of 27 March: WordPress keeps the wall time and reads it as 01:00.
    midnight = by_title["Clocks go forward: midnight edition"]
    assert (midnight["post_date"], midnight["post_date_gmt"]) == (
        "2020-03-27 00:00:00", "2020-03-26 22:00:00",
    )  # fmt: skip
    # 23:30 on 29 October happened twice; WordPress reads it as the second (+02:00).
    repeated = by_title["Late statement in the repeated hour"]
    assert repeated["post_date_gmt"] == "2020-10-29 21:30:00"
    # The REST API prints this post's date_gmt one hour off its database (see published_at).
    early = by_title["Early news after the clock change"]
    assert early["post_date_gmt"] == "2020-03-27 00:30:00"
    days = {post["post_date"][:10] for post in published(truth)}
    assert date(2020, 3, 21).isoformat() not in days  # an empty day inside a window


@pytest.mark.parametrize("theme", THEMES)
def test_wordpress_layout_archives_every_bundled_theme_exactly(
    wordpress: RealWordPress, theme: str, tmp_path: Path
) -> None:
    """`wordpress` reads a classic theme and both block themes to the exact archive."""
    config = write_config(tmp_path, wordpress.servers[theme].base_url, "wordpress")
    backfill(config)
    assert_exact(config, wordpress.truth(theme))


def test_wordpress_api_files_every_post_under_its_own_day_at_its_exact_time(
    wordpress: RealWordPress, tmp_path: Path
) -> None:
    """`wordpress-api` is exact across both clock changes: the next day's midnight post that
    the API returns for 26 March is filed under 27 March only, and the post whose date_gmt the
    API prints an hour off gets its database time. No zone warning: the zones agree."""
    config = write_config(tmp_path, wordpress.servers[THEMES[0]].base_url, "wordpress-api")
    backfill(config)
    assert_exact(config, wordpress.truth(THEMES[0]))
    events = [json.loads(line) for line in (tmp_path / "ingest.jsonl").read_text().splitlines()]
    other_days = [e for e in events if e["event"] == "items_of_other_days"]
    assert [(e["date"], e["days"]) for e in other_days] == [("2020-03-26", ["2020-03-27"])]
    assert not [e for e in events if e["event"] == "site_settings_differ"]


def test_wordpress_api_says_when_the_site_keeps_another_zone(
    wordpress: RealWordPress, tmp_path: Path
) -> None:
    """A configured zone other than the site's own is named at the run's start, in one line."""
    config = write_config(
        tmp_path, wordpress.servers[THEMES[0]].base_url, "wordpress-api", timezone="Europe/Paris"
    )
    done = ingest(config, "backfill", "--from", "2020-03-22", "--to", "2020-03-22")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in (tmp_path / "ingest.jsonl").read_text().splitlines()]
    differ = [e for e in events if e["event"] == "site_settings_differ"]
    assert len(differ) == 1
    assert "'Asia/Damascus'" in differ[0]["notice"] and "'Europe/Paris'" in differ[0]["notice"]


def test_selectors_config_for_a_block_theme_archives_it_exactly(
    wordpress: RealWordPress, tmp_path: Path
) -> None:
    """docs/layouts.md's `selectors` example for a block theme: categories from the post pages,
    404 days empty, every post exact."""
    theme = "twentytwentythree"
    config = write_config(
        tmp_path, wordpress.servers[theme].base_url, "selectors", extra=BLOCK_THEME_SELECTORS
    )
    backfill(config)
    assert_exact(config, wordpress.truth(theme))


def test_inspect_shows_a_block_theme_as_the_layout_reads_it(
    wordpress: RealWordPress, tmp_path: Path
) -> None:
    """`inspect` on a block theme: the day's items over its three pages, each page's next
    link, and the article's category (block archives show none)."""
    base_url = wordpress.servers["twentytwentythree"].base_url
    config = write_config(tmp_path, base_url, "wordpress")
    done = ingest(config, "inspect", "--site", "wp", "--date", "2020-03-22", "--article", "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["count"] == 7
    assert [page["next_url"] for page in shown["pages"]] == [
        f"{base_url}/2020/03/22/page/2/", f"{base_url}/2020/03/22/page/3/", None,
    ]  # fmt: skip
    assert shown["pages"][0]["items"][0]["title"] == "Interim government opens a new hospital"
    assert shown["article"]["category"] == "Coalition News"
    assert shown["article"]["published_at"] is not None


def test_an_edited_post_is_updated_and_its_earlier_version_kept(
    wordpress: RealWordPress, tmp_path: Path
) -> None:
    """A post edited in WordPress after the crawl: the next crawl of its day stores the new
    text and keeps the old one as a revision. (Runs last: it changes the corpus.)"""
    theme = "twentytwentytwo"
    config = write_config(tmp_path, wordpress.servers[theme].base_url, "wordpress")
    backfill(config)
    before = {r["title"]: r for r in cli.exported(config)}[corpus.EDITED_TITLE]
    edited = next(
        post
        for post in wordpress.truth(theme)["posts"]
        if post["post_title"] == corpus.EDITED_TITLE
    )
    wordpress.edit(edited["id"], corpus.EDITED_CONTENT)
    day = edited["post_date"][:10]
    done = ingest(config, "backfill", "--from", day, "--to", day, "--force")
    assert done.returncode == 0, done.stderr
    assert_exact(config, wordpress.truth(theme))
    with sqlite3.connect(tmp_path / "archive.db") as db:
        revisions = db.execute(
            "SELECT r.body FROM article_revisions r JOIN articles a ON a.id = r.article_id "
            "WHERE a.title = ?",
            (corpus.EDITED_TITLE,),
        ).fetchall()
    assert revisions == [(before["body"],)]
    assert "Update: the talks were postponed" not in before["body"]
