"""Fast tests of the sample site itself: content, ground truth, and the loopback server."""

from __future__ import annotations

import html
import http.client
import importlib.util
import socket
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from email.utils import formatdate
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest

from ingest.sample_site.content import title_text
from ingest.sample_site.markup import SCRIPT_SNIPPETS, collapse
from tests.support.sample_site import (
    Delay,
    Drop,
    Oversize,
    SampleArticle,
    SampleSite,
    SampleSiteServer,
    Status,
    Truncate,
)
from tests.support.sample_site.content import SITE_TZ, article_url

Q1_2020 = [date(2020, 1, 1) + timedelta(days=n) for n in range(91)]
_BLOCKS = {"p", "div", "li", "ul", "ol", "blockquote", "br", "h1", "h2", "h3", "h4", "h5", "h6"}


class _Paragraphs(HTMLParser):
    """The paragraph semantics the ground truth promises, written independently of markup.py."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._current: list[str] = []
        self._skip = 0

    def _flush(self) -> None:
        text = collapse("".join(self._current))
        if text:
            self.paragraphs.append(text)
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag in _BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._current.append(data)

    def result(self) -> list[str]:
        self._flush()
        return self.paragraphs


def _paragraphs(fragment: str) -> list[str]:
    parser = _Paragraphs()
    parser.feed(fragment)
    parser.close()
    return parser.result()


class _TitleLinks(HTMLParser):
    """Hrefs of ``h2.genericItemTitle > a`` in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "h2" and attributes.get("class") == "genericItemTitle":
            self._in_title = True
        elif tag == "a" and self._in_title:
            self.hrefs.append(attributes.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_title = False


def _title_links(page: str, base: str) -> list[str]:
    parser = _TitleLinks()
    parser.feed(page)
    return [urljoin(base, href) for href in parser.hrefs]


@pytest.fixture(scope="module")
def site() -> SampleSite:
    return SampleSite(0)


@pytest.fixture
def server() -> Iterator[SampleSiteServer]:
    with SampleSiteServer(SampleSite(0)) as srv:
        yield srv


def _get(url: str, headers: dict[str, str] | None = None, timeout: float = 5) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read()


# -- content ---------------------------------------------------------------------------------


def test_generation_is_deterministic_and_seeded() -> None:
    """Same seed, same day: same items; another seed gives another site."""
    day = date(2021, 6, 3)
    assert SampleSite(0).articles_on(day) == SampleSite(0).articles_on(day)
    assert SampleSite(0).articles_on(day) != SampleSite(1).articles_on(day)


def test_listing_order_is_newest_first(site: SampleSite) -> None:
    """K2 lists a day newest first, and every item is of that day."""
    for day in Q1_2020:
        items = site.articles_on(day)
        assert [a.created for a in items] == sorted((a.created for a in items), reverse=True)
        assert all(a.day == day == a.created.date() for a in items)
        assert len({a.id for a in items}) == len(items) <= 14


def test_rendered_paragraphs_match_ground_truth(site: SampleSite) -> None:
    """The author HTML, read with the promised semantics, gives exactly the plain paragraphs."""
    for day in Q1_2020:
        for a in site.articles_on(day):
            assert _paragraphs(a.intro_html) == [collapse(p) for p in a.intro_paragraphs]
            assert _paragraphs(a.full_html) == [collapse(p) for p in a.full_paragraphs]


def test_quirks_all_appear_in_three_months(site: SampleSite) -> None:
    """Every quirk the scraper must survive shows up in 2020-01-01..2020-03-31 for seed 0."""
    days = {day: site.articles_on(day) for day in Q1_2020}
    items = [a for day_items in days.values() for a in day_items]
    html_all = [a.intro_html + a.full_html for a in items]
    found: dict[str, bool] = {}
    found["empty day"] = any(not v for v in days.values())
    found["two pages"] = any(len(v) > 10 for v in days.values())
    found["both categories"] = {a.category for a in items} == {"Coalition News", "Local News"}
    exact = near = False
    for day_items in days.values():
        by_story: dict[str, list[str]] = {}
        for a in day_items:
            by_story.setdefault(a.story_id, []).append(a.title_html)
        for titles in by_story.values():
            if len(titles) > 1:
                exact |= len(set(titles)) == 1
                near |= len(set(titles)) > 1
    found["exact duplicate"], found["near duplicate"] = exact, near
    titles_per_day = Counter(t for v in days.values() for t in {title_text(a) for a in v})
    found["same title on different days"] = any(n > 1 for n in titles_per_day.values())
    found["&#8217; in title"] = any("&#8217;" in a.title_html for a in items)
    found["&amp; in title"] = any("&amp;" in a.title_html for a in items)
    found["unclosed <p>"] = any(h.count("<p") > h.count("</p>") for h in html_all)
    found["unclosed <div> in intro"] = any(
        a.intro_html.count("<div") > a.intro_html.count("</div>") for a in items
    )
    found["<br> paragraphs"] = any("<br" in h for h in html_all)
    found["script in intro"] = any(SCRIPT_SNIPPETS[0] in a.intro_html for a in items)
    found["style"] = any("<style" in h for h in html_all)
    found["&nbsp;"] = any("&nbsp;" in h for h in html_all)
    found["&quot;"] = any("&quot;" in h for h in html_all)
    found["list items"] = any("<li>" in h for h in html_all)
    found["off-site"] = any(a.offsite_url for a in items)
    found["private"] = any(a.private for a in items)
    found["no full text"] = any(not a.full_paragraphs for a in items)
    found["relative and absolute links"] = {a.absolute_link for a in items} == {True, False}
    assert [name for name, ok in found.items() if not ok] == []


def test_seed_days_hold_exactly_the_seed_items(site: SampleSite) -> None:
    """The five real pages are on their real days, with their real texts, and nothing else."""
    assert [a.category for a in site.articles_on(date(2020, 2, 1))] == ["Coalition News"] * 2
    assert len(site.articles_on(date(2018, 2, 15))) == 2
    assert [a.category for a in site.articles_on(date(2019, 2, 8))] == [
        "Local News",
        "Local News",
        "Coalition News",
    ]
    (article,) = site.articles_on(date(2020, 2, 18))
    assert title_text(article) == (
        "Syrian Coalition Steps Up Efforts to Mobilize Support for Idlib & Expose Russia"
        " & Regime’s Crimes"
    )
    assert article.created.strftime("%Y-%m-%d %H:%M") == "2020-02-18 20:21"
    assert article.intro_paragraphs[0].startswith("The Syrian National Coalition’s Department")
    assert article.full_paragraphs[-1].endswith(
        "(Source: Syrian National Coalition’s Media Department)"
    )
    (other,) = site.articles_on(date(2018, 9, 12))
    assert "Int’l Efforts for Idlib" in title_text(other)
    assert len(other.intro_paragraphs) == 1 and len(other.full_paragraphs) == 9
    first = site.articles_on(date(2020, 2, 1))[0]
    assert first.intro_paragraphs[0].startswith("Hadi Al-Bahra, Co-chair")
    assert first.intro_paragraphs[-1].endswith(
        "(Source: Syrian National Coalition’s Media Department)"
    )


def test_expected_records_one_per_story_first_wins(site: SampleSite) -> None:
    """Duplicates collapse to the first item in listing order, with its title and URL."""
    base = "http://example.test"
    for day in Q1_2020:
        items = site.articles_on(day)
        records = site.expected_records(day, base_url=base)
        assert len(records) == len({a.story_id for a in items})
        firsts: dict[str, SampleArticle] = {}
        for a in items:
            firsts.setdefault(a.story_id, a)
        assert [r.url for r in records] == [article_url(a, base) for a in firsts.values()]
        assert [r.title for r in records] == [title_text(a) for a in firsts.values()]


def test_expected_body_and_date_follow_fetchability(site: SampleSite) -> None:
    """On-site public items get intro + full text and a date; others only the listing text."""
    base = "http://example.test"
    for day in Q1_2020:
        pairs = zip(
            site.expected_records(day, base_url=base, fetch_article_pages=True),
            site.expected_records(day, base_url=base, fetch_article_pages=False),
            strict=True,
        )
        for fetched, listed in pairs:
            assert listed.published_at is None
            assert "\xa0" not in fetched.body and "  " not in fetched.body
            if fetched.published_at is None:
                assert fetched.body == listed.body
            else:
                assert fetched.published_at.tzinfo == SITE_TZ
                assert fetched.body.startswith(listed.body)
            assert fetched.url.startswith((base, "https://external.example.org/"))


def test_mutations_edit_add_remove() -> None:
    """Edits re-render HTML, additions list first, removals disappear; ground truth follows."""
    site = SampleSite(0)
    day = date(2020, 2, 1)
    first = site.articles_on(day)[0]
    edited = site.edit_article(
        first.id, title_html="Corrected &amp; Updated", full_paragraphs=["X y."]
    )
    assert site.articles_on(day)[0] == edited
    assert edited.url_path == first.url_path and edited.full_html != first.full_html
    record = site.expected_records(day, base_url="http://h")[0]
    assert record.title == "Corrected & Updated" and record.body.endswith("\n\nX y.")
    added = site.add_article(day, title_html="New", intro_paragraphs=["Hello  world"])
    assert site.articles_on(day)[0] == added
    assert site.expected_records(day, base_url="http://h")[0].body == "Hello world"
    assert site.article_at(added.url_path) == added
    site.remove_article(first.id)
    assert first.id not in {a.id for a in site.articles_on(day)}
    assert site.article_at(first.url_path) is None
    with pytest.raises(KeyError):
        site.remove_article(first.id)
    assert SampleSite(0).articles_on(day)[0] == first  # overrides are per instance


# -- server ----------------------------------------------------------------------------------


def _crawl_day(server: SampleSiteServer, day: date) -> list[str]:
    """Follow a day's "Next" links; return every title link, absolute."""
    url: str | None = server.listing_url(day)
    links: list[str] = []
    while url:
        status, body = _get(url)
        assert status == 200
        page = body.decode()
        links += _title_links(page, url)
        marker = '<li class="pagination-next"><a href="'
        url = (
            urljoin(url, html.unescape(page.split(marker)[1].split('"')[0]))
            if marker in page
            else None
        )
    return links


@pytest.mark.parametrize("pagination", ["page", "start"])
def test_listing_pages_follow_next_links(pagination: str) -> None:
    """Following "Next" yields every item of the day once, in order, in both URL shapes."""
    site = SampleSite(0)
    long_day = next(d for d in Q1_2020 if len(site.articles_on(d)) > 10)
    with SampleSiteServer(site, pagination=pagination) as srv:  # type: ignore[arg-type]
        links = _crawl_day(srv, long_day)
        assert links == [article_url(a, srv.base_url) for a in site.articles_on(long_day)]
        second = "/Page-2.html" if pagination == "page" else ".html?start=10"
        assert any(second in p for p in srv.paths_requested())
        status, body = _get(
            srv.base_url
            + (
                "/date/2020/2/1/Page-9.html"
                if pagination == "page"
                else "/date/2020/2/1.html?start=90"
            )
        )
        assert status == 200 and b"No results found!" in body


def test_catid_filters_and_is_kept_on_next() -> None:
    """``?catid=16`` lists Coalition News only; the Next link keeps the filter."""
    site = SampleSite(0, page_size=3)
    day = next(d for d in Q1_2020 if len(site.articles_on(d, catid=16)) > 3)
    with SampleSiteServer(site) as server:
        status, body = _get(server.listing_url(day) + "?catid=16")
        assert status == 200
        expected = [article_url(a, server.base_url) for a in site.articles_on(day, catid=16)[:3]]
        assert _title_links(body.decode(), server.base_url) == expected
        assert f"/date/{day.year}/{day.month}/{day.day}/Page-2.html?catid=16" in body.decode()
        status, body = _get(server.listing_url(date(2019, 2, 8)) + "?catid=16&Itemid=5")
        assert body.count(b'class="genericItemView"') == 1


def test_routes_robots_articles_and_404(server: SampleSiteServer) -> None:
    """robots.txt, article pages (private too), and 404 for anything else."""
    status, body = _get(server.base_url + "/robots.txt")
    assert status == 200 and b"Disallow: /media-center/private/" in body
    article = server.site.articles_on(date(2020, 2, 18))[0]
    status, body = _get(server.base_url + article.url_path)
    assert status == 200 and b'class="itemFullText"' in body and b"20:21" in body
    private = next(a for d in Q1_2020 for a in server.site.articles_on(d) if a.private)
    assert _get(server.base_url + private.url_path)[0] == 200
    assert _get(server.base_url + article.url_path.replace(".html", "-x.html"))[0] == 404
    assert _get(server.base_url + "/date/2020/2/30.html")[0] == 404
    assert _get(server.base_url + "/nope")[0] == 404
    with SampleSiteServer(SampleSite(0), robots_txt=None) as bare:
        assert _get(bare.base_url + "/robots.txt")[0] == 404


def test_conditional_get_answers_304_until_content_changes(server: SampleSiteServer) -> None:
    """ETag and Last-Modified validate; an edit changes both."""
    url = server.listing_url(date(2020, 2, 1))
    with urllib.request.urlopen(url) as response:
        etag, last_modified = response.headers["ETag"], response.headers["Last-Modified"]
    assert _get(url, {"If-None-Match": etag})[0] == 304
    assert _get(url, {"If-Modified-Since": last_modified})[0] == 304
    assert server.not_modified_count == 2
    server.site.edit_article(server.site.articles_on(date(2020, 2, 1))[0].id, title_html="Fixed")
    assert _get(url, {"If-None-Match": etag})[0] == 200
    assert _get(url, {"If-Modified-Since": last_modified})[0] == 200
    assert _get(url, {"If-Modified-Since": formatdate(0, usegmt=True)})[0] == 200


def test_instrumentation_counts_and_resets(server: SampleSiteServer) -> None:
    """Requests are logged with their status; counters reset."""
    _get(server.base_url + "/robots.txt")
    _get(server.listing_url(date(2020, 2, 1)))
    assert server.paths_requested() == ["/robots.txt", "/date/2020/2/1.html"]
    assert server.count("/date/") == 1 and server.count(lambda p: p.endswith(".txt")) == 1
    assert [r.status for r in server.requests] == [200, 200]
    server.reset_counters()
    assert server.requests == []


def test_status_faults_are_consumed_in_order(server: SampleSiteServer) -> None:
    """Rules fire on matching requests, ``times`` times, then the page is served."""
    path = "/date/2020/2/1.html"
    server.faults.add(path, Status(503, retry_after=1), times=2)
    server.faults.add(lambda p: p.startswith("/date/"), Status(429, retry_after=0))
    request = urllib.request.Request(server.base_url + path)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    caught.value.close()
    assert caught.value.code == 503 and caught.value.headers["Retry-After"] == "1"
    assert _get(server.base_url + path + "?catid=16")[0] == 503  # rule without "?" ignores query
    assert _get(server.base_url + path)[0] == 429
    assert _get(server.base_url + path)[0] == 200
    server.faults.add(path + "?catid=16", Status(500), times=None)
    assert _get(server.base_url + path)[0] == 200
    assert _get(server.base_url + path + "?catid=16")[0] == 500
    server.faults.clear()
    assert _get(server.base_url + path + "?catid=16")[0] == 200


def test_drop_truncate_oversize_delay(server: SampleSiteServer) -> None:
    """Connection-level faults look like the network failing."""
    url = server.listing_url(date(2020, 2, 1))
    server.faults.add("/date/2020/2/1.html", Drop())
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        _get(url)
    server.faults.add("/date/2020/2/1.html", Truncate())
    with pytest.raises(http.client.IncompleteRead):
        _get(url)
    server.faults.add("/date/2020/2/1.html", Oversize(300_000))
    status, body = _get(url)
    assert status == 200 and len(body) == 300_000
    server.faults.add("/date/2020/2/1.html", Delay(0.5))
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        _get(url, timeout=0.1)
    assert _get(url)[0] == 200
    assert [r.status for r in server.requests][:3] == [0, 200, 200]


def test_random_transient_faults_clear_within_attempts(server: SampleSiteServer) -> None:
    """Each faulty path fails at most ``max_per_path`` times, then serves; deterministic."""
    server.faults.random_transient(rate=0.5, seed=7, max_per_path=2)
    paths = [f"/date/2020/1/{d}.html" for d in range(1, 21)]
    failures: dict[str, int] = {}
    for path in paths:
        for attempt in range(5):
            try:
                status, _ = _get(server.base_url + path)
            except (ConnectionError, http.client.HTTPException, urllib.error.URLError):
                status = 0
            if status == 200:
                failures[path] = attempt
                break
        else:
            pytest.fail(f"{path} never succeeded")
    assert max(failures.values()) <= 2 and sum(failures.values()) > 0
    assert _get(server.base_url + "/robots.txt")[0] == 200


def test_saved_fixtures_are_up_to_date() -> None:
    """tests/fixtures matches what make_fixtures.py renders now (regenerate it if not)."""
    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    spec = importlib.util.spec_from_file_location("make_fixtures", fixtures / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pages, expected = module.build()
    for name, page in pages.items():
        assert (fixtures / name).read_text(encoding="utf-8") == page, name
    assert (fixtures / "expected.json").read_text(encoding="utf-8") == module.expected_json(
        expected
    )
    for name, items in expected.items():
        if name.startswith("listing_"):
            assert _title_links(pages[name], "https://en.etilaf.org/") == [i["url"] for i in items]
