"""The sample site as WordPress: Twenty Twenty-One archives and posts, and the REST API."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser

from ingest.sample_site.content import title_text
from tests.support.sample_site import SampleSite, SampleSiteServer
from tests.support.sample_site.content import SITE_TZ, article_body

Q1_2020 = [date(2020, 1, 1) + timedelta(days=n) for n in range(91)]
SEED_DAY = date(2020, 2, 1)  # two seed posts, 16:45 and an earlier one, February: UTC+2


@pytest.fixture(scope="module")
def server() -> Iterator[SampleSiteServer]:
    with SampleSiteServer(SampleSite(0)) as srv:
        yield srv


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, err.read()


def _page(url: str) -> tuple[int, LexborHTMLParser]:
    status, _, body = _get(url)
    return status, LexborHTMLParser(body.decode())


def _api(server: SampleSiteServer, path: str, **params: object) -> tuple[int, Any, Any]:
    query = f"?{urlencode(params)}" if params else ""
    status, headers, body = _get(server.base_url + path + query)
    return status, headers, json.loads(body)


def _day_params(day: date) -> dict[str, str]:
    return {
        "after": f"{day - timedelta(days=1)}T23:59:59",
        "before": f"{day + timedelta(days=1)}T00:00:00",
    }


# -- HTML -------------------------------------------------------------------------------------


def test_archive_lists_the_day_in_theme_markup(server: SampleSiteServer) -> None:
    """A date archive: article.post items newest first, permalinks, ISO times, category links."""
    site = server.site
    status, tree = _page(server.listing_url(SEED_DAY, "wordpress"))
    assert status == 200 and tree.css_first("body.archive.date") is not None
    posts = tree.css("main article.post.type-post.status-publish.format-standard.hentry")
    expected = site.expected_records(SEED_DAY, base_url=server.base_url, flavour="wordpress")
    assert [p.attributes["id"] for p in posts] == [
        f"post-{a.id}" for a in site.articles_on(SEED_DAY)
    ]
    links = [p.css_first("header.entry-header > h2.entry-title > a") for p in posts]
    assert [a.attributes["href"] for a in links] == [r.url for r in expected]
    times = [
        p.css_first("footer.entry-footer span.posted-on time.entry-date.published") for p in posts
    ]
    assert [t.attributes["datetime"] for t in times] == [
        a.created.replace(tzinfo=SITE_TZ).isoformat() for a in site.articles_on(SEED_DAY)
    ]
    assert times[0].attributes["datetime"].endswith("+02:00")
    assert all(p.css_first("time.updated[datetime]") is not None for p in posts)
    cats = [p.css_first('span.cat-links > a[rel="category tag"]').text() for p in posts]
    assert cats == ["Coalition News", "Coalition News"]
    assert "category-coalition-news" in (posts[0].attributes["class"] or "")
    recent = [a.attributes["href"] for a in tree.css("section.widget_recent_entries a")]
    assert recent and not set(recent) & {r.url for r in expected}
    assert all(h.startswith(server.base_url + "/2020/01/") for h in recent)
    assert tree.css_first("nav.navigation.pagination") is None  # one page only


def test_archive_pages_follow_next_links_then_404(server: SampleSiteServer) -> None:
    """``a.next.page-numbers`` on every page but the last; past the last and empty days 404."""
    site = server.site
    long_day = next(d for d in Q1_2020 if len(site.articles_on(d)) > 10)
    url: str | None = server.listing_url(long_day, "wordpress")
    ids: list[str] = []
    pages = 0
    while url:
        status, tree = _page(url)
        assert status == 200 and tree.css_first("nav.navigation.pagination") is not None
        ids += [p.attributes["id"] or "" for p in tree.css("article.post")]
        nxt = tree.css_first("nav.navigation.pagination a.next.page-numbers")
        url = nxt.attributes["href"] if nxt is not None else None
        pages += 1
    assert pages == 2 and ids == [f"post-{a.id}" for a in site.articles_on(long_day)]
    assert any(p.endswith("/page/2/") for p in server.paths_requested())
    stem = server.listing_url(long_day, "wordpress")
    status, tree = _page(stem + "page/3/")
    assert status == 404 and tree.css_first("body.error404 .error-404.not-found") is not None
    empty = next(d for d in Q1_2020 if not site.articles_on(d))
    status, tree = _page(server.listing_url(empty, "wordpress"))
    assert status == 404 and tree.css_first("h1.page-title").text() == "Nothing here"
    connection = http.client.HTTPConnection(server.base_url.removeprefix("http://"), timeout=5)
    connection.request("GET", urlsplit(stem).path + "page/1/")
    response = connection.getresponse()
    assert response.status == 301 and response.getheader("Location") == stem  # redirect_canonical
    connection.close()
    with urllib.request.urlopen(stem + "?cat=17", timeout=5) as response:
        tree = LexborHTMLParser(response.read().decode())
    assert all(
        "category-local-news" in (p.attributes["class"] or "") for p in tree.css("article.post")
    )


def test_archive_conditional_get(server: SampleSiteServer) -> None:
    """Archives carry ETag and Last-Modified and answer 304."""
    url = server.listing_url(SEED_DAY, "wordpress")
    status, headers, _ = _get(url)
    assert status == 200
    assert _get(url, {"If-None-Match": headers["ETag"]})[0] == 304
    assert _get(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304


def test_post_page_holds_article_then_plugin_noise(server: SampleSiteServer) -> None:
    """A permalink: h1 title, time, entry-content with intro + full text, then plugin blocks."""
    day = date(2020, 2, 18)  # a seed article page: intro and nine paragraphs of full text
    (article,) = server.site.articles_on(day)
    (record,) = server.site.expected_records(day, base_url=server.base_url, flavour="wordpress")
    status, tree = _page(record.url)
    assert status == 200 and tree.css_first("body.single-post") is not None
    post = tree.css_first("article.post")
    assert post.css_first("h1.entry-title").text(strip=True) == title_text(article)
    published = post.css_first("time.entry-date.published").attributes["datetime"] or ""
    assert datetime.fromisoformat(published) == article.created.replace(tzinfo=SITE_TZ)
    content = post.css_first("div.entry-content")
    noise = [
        "div.wp-block-ad",
        "div.sharedaddy.sd-sharing-enabled",
        "div#jp-relatedposts.jp-relatedposts",
    ]
    for selector in noise:
        assert content.css_first(selector) is not None, selector
    assert content.css_first("script") is not None and content.css_first("style") is not None
    assert content.css_first(f"span#more-{article.id}") is not None
    assert article_body(article).split("\n\n")[-1][:40] in content.text()
    assert status == 200 and _get(record.url.rstrip("/") + "-x/")[0] == 404


def test_private_posts_live_under_a_disallowed_path() -> None:
    """Private posts' permalinks start with /private/, which robots.txt disallows."""
    site = SampleSite(0)
    day, private = next((d, a) for d in Q1_2020 for a in site.articles_on(d) if a.private)
    with SampleSiteServer(site) as srv:
        assert "Disallow: /private/" in _get(srv.base_url + "/robots.txt")[2].decode()
        records = site.expected_records(day, base_url=srv.base_url, flavour="wordpress")
        (url,) = [r.url for r in records if r.title == title_text(private)]
        assert url.startswith(srv.base_url + "/private/20")
        assert _get(url)[0] == 200 and _get(url.replace("/private", "", 1))[0] == 404


def test_edits_and_duplicate_slugs() -> None:
    """An edit adds time.updated after the published time; same-titled posts get ``-2``."""
    site = SampleSite(0)
    first = site.articles_on(SEED_DAY)[0]
    site.edit_article(first.id, title_html="Corrected")
    twin = site.add_article(SEED_DAY, title_html=first.title_html, intro_paragraphs=["Again."])
    with SampleSiteServer(site) as srv:
        status, tree = _page(srv.listing_url(SEED_DAY, "wordpress"))
        post = tree.css_first(f"article#post-{first.id}")
        assert status == 200
        assert post.css_first("time.entry-date.published").attributes["datetime"] == (
            first.created.replace(tzinfo=SITE_TZ).isoformat()
        )
        assert post.css_first("time.updated:not(.published)") is not None
        hrefs = [a.attributes["href"] or "" for a in tree.css("h2.entry-title > a")]
        assert hrefs[0].endswith(f"/{first.alias}-2/") and hrefs[1].endswith(f"/{first.alias}/")
        assert _get(hrefs[0])[0] == 200
    assert twin.alias == first.alias


# -- REST API ---------------------------------------------------------------------------------


def test_api_posts_of_a_day(server: SampleSiteServer) -> None:
    """A day's posts: WordPress's headers, dates with and without offset, the permalink."""
    status, headers, body = _api(server, server.api_path, **_day_params(SEED_DAY))
    assert status == 200 and headers["Content-Type"] == "application/json; charset=UTF-8"
    assert (
        headers["X-WP-Total"] == "2" and headers["X-WP-TotalPages"] == "1" and "Link" not in headers
    )
    articles = server.site.articles_on(SEED_DAY)
    assert [p["id"] for p in body] == [a.id for a in articles]
    post, article = body[0], articles[0]
    assert post["date"] == article.created.isoformat() == "2020-02-01T16:45:00"
    assert post["date_gmt"] == "2020-02-01T14:45:00" and post["modified_gmt"] == post["date_gmt"]
    html_records = server.site.expected_records(
        SEED_DAY, base_url=server.base_url, flavour="wordpress"
    )
    assert post["link"] == html_records[0].url and post["slug"] in post["link"]
    assert post["title"]["rendered"] == article.title_html and post["categories"] == [16]
    assert post["content"]["rendered"].startswith(article.intro_html)
    assert post["excerpt"]["rendered"].startswith("<p>")
    assert server.listing_url(SEED_DAY, "wordpress-api").startswith(
        server.base_url + server.api_path
    )


def test_api_pages_link_header_and_past_last_page(server: SampleSiteServer) -> None:
    """``per_page`` pages; ``Link`` has prev/next; past the last page is a 400."""
    params = {**_day_params(SEED_DAY), "per_page": 1}
    status, headers, body = _api(server, server.api_path, **params)
    assert headers["X-WP-TotalPages"] == "2" and len(body) == 1
    assert headers["Link"].endswith('page=2>; rel="next"') and 'rel="prev"' not in headers["Link"]
    status, headers, second = _api(server, server.api_path, **params, page=2)
    assert status == 200 and 'rel="prev"' in headers["Link"] and 'rel="next"' not in headers["Link"]
    assert second[0]["id"] != body[0]["id"]
    status, _, error = _api(server, server.api_path, **params, page=3)
    assert status == 400 and error["code"] == "rest_post_invalid_page_number"
    empty = next(d for d in Q1_2020 if not server.site.articles_on(d))
    status, headers, body = _api(server, server.api_path, **_day_params(empty), page=2)
    assert status == 200 and body == []  # no posts at all: no page is past the last
    assert headers["X-WP-Total"] == "0" and headers["X-WP-TotalPages"] == "0"


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"per_page": 0}, ["per_page"]),
        ({"per_page": 101}, ["per_page"]),
        ({"per_page": "ten"}, ["per_page"]),
        ({"page": 0}, ["page"]),
        ({"after": "2020-02-01"}, ["after"]),
        ({"before": "yesterday", "order": "up"}, ["before", "order"]),
    ],
)
def test_api_invalid_parameters(
    server: SampleSiteServer, params: dict[str, object], bad: list[str]
) -> None:
    """Bad parameters answer 400 rest_invalid_param naming each of them."""
    status, _, error = _api(server, server.api_path, **params)
    assert status == 400 and error["code"] == "rest_invalid_param"
    assert list(error["data"]["params"]) == bad and error["data"]["status"] == 400
    assert error["message"] == "Invalid parameter(s): " + ", ".join(bad)


def test_api_bounds_are_exclusive_at_midnight() -> None:
    """A post at 00:00:00 is after the day before's 23:59:59 and not after its own midnight."""
    site = SampleSite(0)
    day = date(2020, 2, 1)
    midnight = site.add_article(
        day, title_html="At Midnight", intro_paragraphs=["Tick."], created=datetime(2020, 2, 1)
    )
    with SampleSiteServer(site) as srv:

        def ids(**params: str) -> list[int]:
            status, _, body = _api(srv, srv.api_path, per_page=100, **params)
            assert status == 200
            return [p["id"] for p in body]

        assert midnight.id in ids(**_day_params(day))
        assert midnight.id not in ids(after="2020-02-01T00:00:00", before="2020-02-02T00:00:00")
        assert midnight.id not in ids(after="2020-01-31T00:00:00", before="2020-02-01T00:00:00")
        assert midnight.id in ids(after="2020-01-31T00:00:00", before="2020-02-01T00:00:01")
        # With an offset the bound is converted: 22:00 UTC on Jan 31 is midnight in Damascus.
        assert midnight.id in ids(after="2020-01-31T21:59:59Z", before="2020-01-31T22:00:01Z")
        assert midnight.id not in ids(
            after="2020-01-31T22:00:00+00:00", before="2020-02-01T01:00:00+02:00"
        )
        (post,) = [
            p for p in _api(srv, srv.api_path, **_day_params(day))[2] if p["id"] == midnight.id
        ]
        assert post["date"] == "2020-02-01T00:00:00" and post["date_gmt"] == "2020-01-31T22:00:00"
        record = site.expected_records(day, base_url=srv.base_url, flavour="wordpress-api")[-1]
        assert record.published_at == datetime(2020, 1, 31, 22, tzinfo=UTC)


def test_api_order_orderby_and_categories_filter(server: SampleSiteServer) -> None:
    """``order=asc`` reverses; ``categories`` filters by term id."""
    day = next(d for d in Q1_2020 if {a.catid for a in server.site.articles_on(d)} == {16, 17})
    params = {**_day_params(day), "per_page": 100}
    desc = [p["id"] for p in _api(server, server.api_path, **params)[2]]
    asc = [p["id"] for p in _api(server, server.api_path, **params, order="asc")[2]]
    assert asc == desc[::-1] == [a.id for a in server.site.articles_on(day)][::-1]
    local = [p["categories"] for p in _api(server, server.api_path, **params, categories=17)[2]]
    assert local and all(c == [17] for c in local)
    by_id = [p["id"] for p in _api(server, server.api_path, **params, orderby="id", order="asc")[2]]
    assert by_id == sorted(desc)


def test_api_embed_fields_and_categories(server: SampleSiteServer) -> None:
    """``_embed`` puts term lists (categories first) in ``_embedded``; categories look up ids."""
    _, _, body = _api(server, server.api_path, **_day_params(SEED_DAY), _embed="1")
    categories, tags = body[0]["_embedded"]["wp:term"]
    assert categories == [
        categories[0]
        | {"id": 16, "name": "Coalition News", "slug": "coalition-news", "taxonomy": "category"}
    ]
    assert all(t["taxonomy"] == "post_tag" for t in tags)
    _, _, body = _api(
        server, server.api_path, **_day_params(SEED_DAY), _fields="id,date_gmt,title.rendered"
    )
    assert body[0].keys() == {"id", "date_gmt", "title"} and body[0]["title"].keys() == {"rendered"}
    status, headers, terms = _api(server, server.categories_path, include="16,17", per_page=100)
    assert status == 200 and headers["X-WP-Total"] == "2"
    assert [(t["id"], t["name"], t["slug"]) for t in terms] == [
        (16, "Coalition News", "coalition-news"),
        (17, "Local News", "local-news"),
    ]
    assert _api(server, "/wp-json/wp/v2/nothing")[2]["code"] == "rest_no_route"


@pytest.mark.parametrize("denied", [401, 403])
def test_api_turned_off(denied: int) -> None:
    """A site without the REST API answers every route with rest_disabled; HTML still works."""
    with SampleSiteServer(SampleSite(0), rest_api=False, rest_disabled_status=denied) as srv:
        status, _, error = _api(srv, srv.api_path, **_day_params(SEED_DAY))
        assert status == denied and error["code"] == "rest_disabled"
        assert error["data"]["status"] == denied
        status, tree = _page(srv.listing_url(SEED_DAY, "wordpress"))
        assert status == 200 and tree.css_first('link[rel="https://api.w.org/"]') is None
