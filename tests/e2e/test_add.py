"""`ingest add URL` as a user runs it: against a real WordPress (its REST API on, and refused by
a must-use plugin), the sample site's K2, a site it cannot place, and `--write`'s refusals."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest

from ingest.sample_site import SampleSite, SampleSiteServer
from ingest.settings import settings_from_mapping
from tests.support import cli
from tests.support import sample_site as suite_site
from tests.support.sample_site.server import DEFAULT_API_SPAN
from tests.support.sample_site.sitemaps import INDEX_PATH, Sitemaps, hideable, lastmod
from tests.support.sample_site.sitemaps import published as published_at
from tests.support.wordpress import corpus
from tests.support.wordpress.site import THEMES, RealWordPress, published, serving_corpus

README = cli.ROOT / "README.md"
HTTP = """
[http]
requests_per_second = 0
timeout_seconds = 20
backoff_initial_seconds = 0.01
backoff_max_seconds = 0.05
"""


def ingest(tmp_path: Path, *args: str) -> cli.subprocess.CompletedProcess[str]:
    config = tmp_path / "fetching.toml"
    if not config.exists():
        config.write_text(HTTP + f'[logging]\nfile = "{tmp_path / "ingest.jsonl"}"\n')
    return cli.ingest("--config", str(config), "add", *args, cwd=tmp_path)


def block_of(output: str) -> dict[str, object]:
    sites = tomllib.loads(output)["sites"]
    assert isinstance(sites, list) and len(sites) == 1
    site: dict[str, object] = sites[0]
    return site


def checked(output: str) -> tuple[str, int]:
    found = re.search(r"# checked: (\S+) read with this layout .*?: (\d+) articles?", output)
    assert found is not None, output
    return found.group(1), int(found.group(2))


def one_line_error(done: cli.subprocess.CompletedProcess[str], code: int) -> str:
    assert done.returncode == code, done.stdout + done.stderr
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    return done.stderr


# -- a real WordPress -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wordpress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealWordPress]:
    with serving_corpus(tmp_path_factory.mktemp("wordpress"), THEMES[:1]) as site:
        yield site


def newest_day(wordpress: RealWordPress) -> tuple[str, int]:
    """The newest day with published posts, and how many it has: what the check must read."""
    days = [post["post_date"][:10] for post in published(wordpress.truth(THEMES[0]))]
    newest = max(days)
    return newest, days.count(newest)


def test_wordpress_with_its_api_is_read_through_the_api_in_its_own_zone(
    wordpress: RealWordPress, tmp_path: Path
) -> None:
    """The API on: `wordpress-api`, the zone /wp-json/ names, the newest day's posts counted."""
    base_url = wordpress.servers[THEMES[0]].base_url
    done = ingest(tmp_path, base_url + "/")
    assert done.returncode == 0, done.stderr
    site = block_of(done.stdout)
    assert site["layout"] == "wordpress-api"
    assert site["timezone"] == corpus.TIMEZONE
    assert site["base_url"] == base_url
    assert f"({base_url}/wp-json/)" in done.stdout  # the Link header it was told by
    assert f"RSS {base_url}/feed/" in done.stdout
    assert f"{base_url}/wp-sitemap.xml (named by robots.txt" in done.stdout
    assert checked(done.stdout) == newest_day(wordpress)
    requests = int(re.search(r"(\d+) requests in all", done.stdout).group(1))  # type: ignore[union-attr]
    assert requests <= 10
    # The README shows this very output, captured on another port.
    shown = README.read_text(encoding="utf-8").split("$ ingest add ", 1)[1].split("```", 1)[0]
    url, _, printed = shown.partition("\n")
    readme_port, port = url.rstrip("/").rsplit(":", 1)[1], base_url.rsplit(":", 1)[1]
    assert printed.replace(readme_port, port) == done.stdout


def test_wordpress_refusing_its_api_is_read_from_its_date_archives(
    wordpress: RealWordPress, tmp_path: Path
) -> None:
    """The API refused by a must-use plugin (401): `wordpress`, checked on the newest day."""
    server = wordpress.serve_refusing_rest(THEMES[0])
    done = ingest(tmp_path, server.base_url)
    assert done.returncode == 0, done.stderr
    site = block_of(done.stdout)
    assert site["layout"] == "wordpress"
    assert "the REST API is refused (HTTP 401)" in done.stdout
    assert checked(done.stdout) == newest_day(wordpress)
    # No zone from the API: the fixed offset its pages print on the newest day, said so.
    newest = datetime.fromisoformat(newest_day(wordpress)[0]).replace(tzinfo=UTC)
    hours = int(corpus_offset(newest).total_seconds() // 3600)
    assert site["timezone"] == f"Etc/GMT{-hours:+d}"


def corpus_offset(moment: datetime) -> timedelta:
    from zoneinfo import ZoneInfo

    offset = moment.astimezone(ZoneInfo(corpus.TIMEZONE)).utcoffset()
    assert offset is not None
    return offset


# -- the sample site's K2, and what is refused -------------------------------------------------


@pytest.fixture(scope="module")
def k2_site() -> Iterator[SampleSiteServer]:
    with SampleSiteServer(SampleSite()) as server:
        yield server


def test_the_sample_sites_k2_is_placed_and_its_day_counted(
    k2_site: SampleSiteServer, tmp_path: Path
) -> None:
    """Joomla's generator leads to K2's date listing, checked on yesterday's listing."""
    done = ingest(tmp_path, k2_site.base_url, "--name", "coalition")
    assert done.returncode == 0, done.stderr
    site = block_of(done.stdout)
    assert site == {
        "name": "coalition",
        "base_url": k2_site.base_url,
        "layout": "k2",
        "timezone": "UTC",
    }
    day, count = checked(done.stdout)
    items = SampleSite().articles_on(date.fromisoformat(day))
    assert count == min(len(items), 30)
    assert date.fromisoformat(day) == datetime.now(UTC).date() - timedelta(days=1)


def placed_on(site: suite_site.SampleSite, day: date) -> int:
    """The posts the sample site's sitemaps place on ``day`` of UTC's calendar (the zone add
    proposes for a site that names none): the news sitemap's publication time for the span's
    last two days, read first, else the month sitemap's lastmod."""
    first, last = DEFAULT_API_SPAN
    posts = [
        a for n in range((last - first).days + 1) for a in site.articles_on(first + timedelta(n))
    ]
    news = last - timedelta(days=1)
    hints = [
        (published_at(a) if a.day >= news else lastmod(site, a)).astimezone(UTC).date()
        for a in posts
    ]
    return hints.count(day)


def test_a_sitemap_only_site_is_read_through_the_sitemap_robots_txt_names(tmp_path: Path) -> None:
    """No date archive, a sitemap index named in robots.txt (a news sitemap among its
    children): `sitemap` from that index, checked on the newest day its sitemaps place posts."""
    site = suite_site.SampleSite()
    with suite_site.SampleSiteServer(site, sitemap_only=True) as server:
        done = ingest(tmp_path, server.base_url)
    assert done.returncode == 0, done.stderr
    block = block_of(done.stdout)
    assert (block["layout"], block["listing_path"]) == ("sitemap", INDEX_PATH)
    assert "(named by robots.txt; sitemap index, naming a news sitemap)" in done.stdout
    found = re.search(r"# checked: (\S+), the newest day .*?: (\d+) articles? in", done.stdout)
    assert found is not None, done.stdout
    day = date.fromisoformat(found.group(1))
    assert day == DEFAULT_API_SPAN[1]
    assert int(found.group(2)) == placed_on(site, day) > 0


def test_the_checked_day_is_cross_checked_with_the_sitemaps_and_the_feed(tmp_path: Path) -> None:
    """Whatever `cross_check` will say, add compares the day it checked with what the
    sitemaps and the feed place on it: a whole listing lacks none; a listing hiding two
    posts lacks them, named, and the block turns the cross-check on with the sitemap read."""
    site = suite_site.SampleSite()
    day = date(2020, 2, 4)
    with suite_site.SampleSiteServer(site, rest_api=False) as server:
        server.feed_day = day  # the RSS feed of the newest posts up to the 4th
        base_url = server.base_url
        whole = ingest(tmp_path, f"{base_url}/2020/02/04/")
        hidden = hideable(site, day, DEFAULT_API_SPAN)[:2]
        server.hidden_from_listing = frozenset(hidden)
        hiding = ingest(tmp_path, f"{base_url}/2020/02/04/")
    assert whole.returncode == 0 and hiding.returncode == 0, whole.stderr + hiding.stderr
    said = re.compile(r"# cross-checked: 2020-02-04's listing against its sitemaps \(\d+ "
                      r"articles? on the day[^)]*\) and its feed \(\d+ articles? on the "
                      r"day\): (.*)")  # fmt: skip
    found = said.search(whole.stdout)
    assert found is not None and found.group(1) == "it lacks none", whole.stdout
    assert "cross_check" not in block_of(whole.stdout)
    found = said.search(hiding.stdout)
    assert found is not None, hiding.stdout
    sitemaps = Sitemaps(site, base_url, DEFAULT_API_SPAN)
    urls = {sitemaps.url_of(a) for a in site.articles_on(day) if a.id in hidden}
    lacked = found.group(1).removeprefix("it lacks 2 articles: ").split(", ")
    assert set(lacked) == urls
    block = block_of(hiding.stdout)
    assert (block["cross_check"], block["sitemap_path"]) == (True, INDEX_PATH)
    settings_from_mapping({"sites": [block]})  # the block loads as it is


def test_write_appends_the_block_atomically_and_keeps_the_text(
    k2_site: SampleSiteServer, tmp_path: Path
) -> None:
    """--write: the old text kept byte for byte, the block after it, the file replaced by a
    rename (a new inode, no temporary file left), and the whole config loads with the site."""
    config = tmp_path / "sites.toml"
    before = (
        '# my sites\n[[sites]]\nname = "other"\nbase_url = "https://example.org"\nlayout = "k2"'
    )
    config.write_text(before)
    inode = config.stat().st_ino
    done = ingest(tmp_path, k2_site.base_url, "--write", str(config))
    assert done.returncode == 0, done.stderr
    text = config.read_text()
    assert text.startswith(before + "\n\n[[sites]]\n")
    assert text.endswith(done.stdout)
    assert config.stat().st_ino != inode
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".sites.toml")] == []
    name = f"127-0-0-1-{k2_site.base_url.rsplit(':', 1)[1]}"
    assert f"site '{name}' appended to {config}" in done.stderr
    shown = cli.ingest("--config", str(config), "inspect", "--site", name, "--date", "2020-02-01",
                       "--json", cwd=tmp_path)  # fmt: skip
    assert shown.returncode == 0, shown.stderr


def test_write_says_when_the_block_replaces_the_built_in_site(
    k2_site: SampleSiteServer, tmp_path: Path
) -> None:
    """A config that named no site read the built-in one; with a [[sites]] table it reads
    only that: add says so, in one more line."""
    config = tmp_path / "only-http.toml"
    config.write_text("[http]\nrequests_per_second = 0\n")
    done = ingest(tmp_path, k2_site.base_url, "--name", "k2", "--write", str(config))
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"ingest: add: {config} named no site, so it read the built-in 'etilaf'; "
        "it now reads 'k2' only"
    )


def test_write_refuses_a_name_taken_and_a_config_that_would_not_load(
    k2_site: SampleSiteServer, tmp_path: Path
) -> None:
    """A name already in the file, and a file with one [site] table: one line, exit 2, the
    file untouched (not even rewritten)."""
    config = tmp_path / "sites.toml"
    config.write_text('[[sites]]\nname = "taken"\nbase_url = "https://example.org"\n')
    stat = config.stat()
    done = ingest(tmp_path, k2_site.base_url, "--name", "taken", "--write", str(config))
    assert "has a site named 'taken' already" in one_line_error(done, 2)
    single = tmp_path / "single.toml"
    single.write_text('[site]\nname = "one"\n')
    done = ingest(tmp_path, k2_site.base_url, "--write", str(single))
    assert "rename it [[sites]]" in one_line_error(done, 2)
    assert config.stat().st_ino == stat.st_ino and config.stat().st_mtime_ns == stat.st_mtime_ns
    assert single.read_text() == '[site]\nname = "one"\n'


def test_bad_input_is_one_line_and_no_request_when_not_a_url(
    tmp_path: Path, unused_port: int
) -> None:
    """Not a URL (exit 2), a host that does not answer (exit 1), robots.txt saying no (exit 1)."""
    assert "is not a URL" in one_line_error(ingest(tmp_path, "example.org/news"), 2)
    done = ingest(tmp_path, f"http://127.0.0.1:{unused_port}/")
    assert "robots.txt could not be fetched" in one_line_error(done, 1)
    with SampleSiteServer(SampleSite(), robots_txt="User-agent: *\nDisallow: /\n") as server:
        done = ingest(tmp_path, server.base_url + "/")
    assert "disallowed by robots.txt" in one_line_error(done, 1)


@pytest.fixture
def unused_port() -> int:
    return cli.free_port()


class _PlainPage(BaseHTTPRequestHandler):
    """A site of no software ``add`` knows: one page, no feed, no sitemap."""

    def do_GET(self) -> None:
        found = self.path == "/"
        body = b"<html><head><title>Town news</title></head><body><p>News</p></body></html>"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def test_a_site_it_cannot_place_gets_a_selectors_skeleton_to_inspect(tmp_path: Path) -> None:
    """No WordPress, K2 or sitemap: a `selectors` block that loads, and the inspect line."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PlainPage)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        config = tmp_path / "new.toml"
        done = ingest(tmp_path, base_url, "--name", "town", "--write", str(config))
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    site = block_of(config.read_text())
    assert site["layout"] == "selectors"
    assert set(site["selectors"]) >= {"item", "title"}  # type: ignore[arg-type]
    assert f"ingest --config {config} inspect --site town --date " in done.stdout
    assert "sitemaps: none" in done.stdout
    loaded = cli.ingest("--config", str(config), "inspect", "--site", "town", "--date",
                        "2020-02-01", cwd=tmp_path)  # fmt: skip
    assert loaded.returncode == 1 and "config error" not in loaded.stderr
