"""One corpus, four flavours: the plain markup, and the ground truth each flavour's pages give.

Each flavour is read here by a small reference scraper written from the flavour's documented
selectors, over the real loopback server, and must give exactly ``expected_record`` of every
item (before dedup), with and without article pages.
"""

from __future__ import annotations

import html
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urljoin
from urllib.robotparser import RobotFileParser

import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from ingest.sample_site.content import title_text
from ingest.sites.base import check_day_path
from ingest.text import clean_whitespace, join_paragraphs, paragraphs_of
from tests.support.sample_site import DEFAULT_ROBOTS, ExpectedRecord, SampleSite, SampleSiteServer
from tests.support.sample_site.content import SITE_TZ, article_body, dedupe, expected_record
from tests.support.sample_site.flavours import FLAVOURS, Flavour

Q1_2020 = [date(2020, 1, 1) + timedelta(days=n) for n in range(91)]
SITE = SampleSite(0)
_NOISE = {"more-link-container", "entry-footer", "sharedaddy", "jp-relatedposts", "wp-block-ad"}


def _days_with(*tests: Callable[[SampleSite, date], bool]) -> list[date]:
    return sorted({next(d for d in Q1_2020 if test(SITE, d)) for test in tests})


# A day for each quirk a flavour must carry: empty, two pages, private, off-site, an unclosed
# <div> in an intro, a duplicate, intro-only items, and the seed days.
DAYS = _days_with(
    lambda s, d: not s.articles_on(d),
    lambda s, d: len(s.articles_on(d)) > 10,
    lambda s, d: any(a.private and a.has_full_text for a in s.articles_on(d)),
    lambda s, d: any(a.offsite_url for a in s.articles_on(d)),
    lambda s, d: any(a.intro_style.unclosed_div for a in s.articles_on(d)),
    lambda s, d: len(dedupe(s.articles_on(d))) < len(s.articles_on(d)),
    lambda s, d: d in (date(2020, 2, 1), date(2020, 2, 18)),
)


@pytest.fixture(scope="module")
def server() -> Iterator[SampleSiteServer]:
    site = SampleSite(0)
    site.edit_article(site.articles_on(date(2020, 2, 18))[0].id, full_paragraphs=["Fixed."])
    site.add_article(
        date(2020, 2, 18),
        title_html="Dawn",
        intro_paragraphs=["Hi."],
        created=datetime(2020, 2, 18),
    )
    with SampleSiteServer(site) as srv:
        yield srv


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read()


def _tree(url: str) -> tuple[int, LexborHTMLParser]:
    status, body = _get(url)
    return status, LexborHTMLParser(body.decode())


def _text(node: LexborNode) -> str:
    def noise(n: LexborNode) -> bool:
        return bool(_NOISE & set((n.attributes.get("class") or "").split()))

    return join_paragraphs(paragraphs_of(node, skip=noise))


def _robots() -> RobotFileParser:
    robots = RobotFileParser()
    robots.parse(DEFAULT_ROBOTS.splitlines())
    return robots


# -- reference scrapers -------------------------------------------------------------------------


def _scrape_wordpress(srv: SampleSiteServer, day: date, fetch: bool) -> list[ExpectedRecord]:
    records: list[ExpectedRecord] = []
    url: str | None = srv.listing_url(day, "wordpress")
    while url:
        status, tree = _tree(url)
        if status == 404:
            assert not records and tree.css_first("body.error404") is not None
            return []
        for post in tree.css("article.post"):
            link = post.css_first("h2.entry-title > a")
            href = link.attributes["href"] or ""
            body = _text(post.css_first("div.entry-content"))
            if fetch and _robots().can_fetch("*", href):
                body = _text(_tree(href)[1].css_first("article.post div.entry-content"))
            stamp = post.css_first("time.entry-date.published").attributes["datetime"] or ""
            category = post.css_first('span.cat-links a[rel="category tag"]').text()
            records.append(
                ExpectedRecord(
                    clean_whitespace(link.text()),
                    href,
                    category,
                    body,
                    datetime.fromisoformat(stamp),
                )
            )
        nxt = tree.css_first("nav.pagination a.next.page-numbers")
        url = nxt.attributes["href"] if nxt is not None else None
    return records


def _scrape_api(srv: SampleSiteServer, day: date, fetch: bool) -> list[ExpectedRecord]:
    status, body = _get(srv.listing_url(day, "wordpress-api") + "&per_page=100&_embed=1")
    assert status == 200
    return [
        ExpectedRecord(
            title=clean_whitespace(html.unescape(post["title"]["rendered"])),
            url=post["link"],
            category=html.unescape(post["_embedded"]["wp:term"][0][0]["name"]),
            body=_text(LexborHTMLParser(post["content"]["rendered"]).body),
            published_at=datetime.fromisoformat(post["date_gmt"]).replace(tzinfo=UTC),
        )
        for post in json.loads(body)
    ]


def _scrape_plain(srv: SampleSiteServer, day: date, fetch: bool) -> list[ExpectedRecord]:
    records: list[ExpectedRecord] = []
    url: str | None = srv.listing_url(day, "plain")
    while url:
        status, tree = _tree(url)
        assert status == 200
        items = tree.css("ul.news-list > li.story")
        assert bool(items) != bool(tree.css_first("p.no-stories"))
        for item in items:
            link = item.css_first("h3.headline > a")
            href = urljoin(url, link.attributes["href"] or "")
            body, published = _text(item.css_first("div.summary")), None
            if fetch and href.startswith(srv.base_url) and _robots().can_fetch("*", href):
                page = _tree(href)[1]
                body = _text(page.css_first("div.story-body"))
                stamp = page.css_first("span.story-time").text()
                published = datetime.strptime(stamp, "%d/%m/%Y %H:%M").replace(tzinfo=SITE_TZ)
            category = item.css_first("span.section").text()
            records.append(
                ExpectedRecord(clean_whitespace(link.text()), href, category, body, published)
            )
        nxt = tree.css_first("a.more[rel=next]")
        url = urljoin(url, nxt.attributes["href"] or "") if nxt is not None else None
    return records


SCRAPERS = {"wordpress": _scrape_wordpress, "wordpress-api": _scrape_api, "plain": _scrape_plain}


@pytest.mark.parametrize("fetch", [True, False])
@pytest.mark.parametrize("flavour", list(SCRAPERS))
def test_every_flavour_serves_the_ground_truth(
    server: SampleSiteServer, flavour: Flavour, fetch: bool
) -> None:
    """Read with its documented selectors, each flavour gives every item's expected record."""
    site = server.site
    for day in [*DAYS, date(2020, 2, 18)]:
        slugs = site.wordpress_slugs(day)
        expected = [
            expected_record(
                a,
                base_url=server.base_url,
                fetch_article_pages=fetch,
                flavour=flavour,
                wordpress_slug=slugs[a.id],
            )
            for a in site.articles_on(day)
        ]
        assert SCRAPERS[flavour](server, day, fetch) == expected, day


# -- ground truth across flavours ---------------------------------------------------------------


@pytest.mark.parametrize("fetch", [True, False])
def test_expected_records_agree_across_flavours(fetch: bool) -> None:
    """Same stories, titles, categories in every flavour; bodies and times where read."""
    base = "http://example.test"
    for day in Q1_2020:
        records = {
            f: SITE.expected_records(day, base_url=base, fetch_article_pages=fetch, flavour=f)
            for f in FLAVOURS
        }
        stories = dedupe(SITE.articles_on(day))
        for f, rs in records.items():
            assert [(r.title, r.category) for r in rs] == [
                (title_text(a), a.category) for a in stories
            ], f
        assert records["k2"] == SITE.expected_records(day, base_url=base, fetch_article_pages=fetch)
        for i, a in enumerate(stories):
            k2, wp, api, plain = (records[f][i] for f in FLAVOURS)
            created = a.created.replace(tzinfo=SITE_TZ)
            assert api.body == article_body(a) and api.published_at == wp.published_at == created
            assert api.url == wp.url
            if a.has_full_text:  # WordPress has the body only from a page robots allows
                assert (wp.body == api.body) == (fetch and not a.private)
            assert (plain.body, plain.published_at) == (k2.body, k2.published_at)
            assert wp.url.startswith(
                base + ("/private/" if a.private else "/") + f"{day:%Y/%m/%d}/"
            )
            if a.offsite_url:
                assert k2.url == plain.url == a.offsite_url
            else:
                assert plain.url == base + ("/private" if a.private else "") + f"/story/{a.id}.html"


def test_listing_paths_are_day_templates(server: SampleSiteServer) -> None:
    """The server names each flavour's listing path; each is a valid day template."""
    day = date(2020, 2, 1)
    assert server.wordpress_listing_path.format(year=2020, month=2, day=1) == "/2020/02/01/"
    assert server.plain_listing_path.format(year=2020, month=2, day=1) == "/archive/2020-02-01.html"
    assert server.api_path == "/wp-json/wp/v2/posts"
    for path in (server.listing_path, server.wordpress_listing_path, server.plain_listing_path):
        check_day_path(path)
    assert (
        server.listing_url(day)
        == server.listing_url(day, "k2")
        == server.base_url + "/date/2020/2/1.html"
    )


# -- the plain markup ---------------------------------------------------------------------------


def test_plain_listing_pages_and_empty_days(server: SampleSiteServer) -> None:
    """``?page=N`` pages, ``a.more[rel=next]``; empty days and past the end: p.no-stories, 200."""
    site = server.site
    long_day = next(d for d in Q1_2020 if len(site.articles_on(d)) > 10)
    status, tree = _tree(server.listing_url(long_day, "plain"))
    assert status == 200 and len(tree.css("ul.news-list > li.story")) == 10
    assert tree.css_first("span.stamp").text() == f"{long_day:%d/%m/%Y}"
    assert tree.css_first("a.more[rel=next]").attributes["href"] == (
        f"/archive/{long_day:%Y-%m-%d}.html?page=2"
    )
    status, tree = _tree(server.listing_url(long_day, "plain") + "?page=2")
    assert status == 200 and tree.css_first("a.more") is None and tree.css_first("a.less[rel=prev]")
    assert _tree(server.listing_url(long_day, "plain") + "?page=3")[1].css_first("p.no-stories")
    empty = next(d for d in Q1_2020 if not site.articles_on(d))
    status, tree = _tree(server.listing_url(empty, "plain"))
    assert status == 200 and tree.css_first("p.no-stories") and not tree.css_first("ul.news-list")
    most_read = [a.attributes["href"] for a in tree.css("ul.most-read > li > a")]
    assert most_read and not tree.css("ul.most-read li.story")
    url = server.listing_url(long_day, "plain")
    with urllib.request.urlopen(url) as response:
        etag = response.headers["ETag"]
    request = urllib.request.Request(url, headers={"If-None-Match": etag})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    caught.value.close()
    assert caught.value.code == 304


def test_plain_story_pages(server: SampleSiteServer) -> None:
    """``/story/ID.html``: title, "dd/mm/YYYY HH:MM", body; private under /private; 404s."""
    (article,) = [a for a in server.site.articles_on(date(2020, 2, 18)) if a.has_full_text]
    status, tree = _tree(f"{server.base_url}/story/{article.id}.html")
    assert status == 200 and tree.css_first("h1.story-title").text() == title_text(article)
    assert tree.css_first("span.story-time").text() == "18/02/2020 20:21"
    assert _text(tree.css_first("div.story-body")) == article_body(article)
    assert _get(f"{server.base_url}/story/{article.id + 1}.html")[0] == 404
    private = next(a for d in Q1_2020 for a in server.site.articles_on(d) if a.private)
    assert _get(f"{server.base_url}/private/story/{private.id}.html")[0] == 200
    assert _get(f"{server.base_url}/story/{private.id}.html")[0] == 404
    offsite = next(a for d in Q1_2020 for a in server.site.articles_on(d) if a.offsite_url)
    assert _get(f"{server.base_url}/story/{offsite.id}.html")[0] == 404
