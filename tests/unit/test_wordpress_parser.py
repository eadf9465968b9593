"""The WordPress date-archive layout on hand-made pages in Twenty Twenty-One's (and a classic
theme's) markup."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ingest.errors import ParseError
from ingest.sites import (
    LAYOUTS,
    ListingPage,
    SiteShape,
    build_layout,
    default_listing_path,
    wordpress,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wordpress"
TZ = ZoneInfo("Europe/Istanbul")
DAY_URL = "https://news.example.org/2020/02/01/"


def _listing(name: str, url: str = DAY_URL) -> ListingPage:
    return wordpress.parse_listing((FIXTURES / name).read_bytes(), url, TZ)


def _shape(path: str = "/{year}/{month:02d}/{day:02d}/") -> SiteShape:
    return SiteShape("https://news.example.org/", path, TZ, {})


def test_registered_with_its_default_path_and_flags() -> None:
    """A day URL in WordPress's shape; a 404 day is empty; article pages are read."""
    assert LAYOUTS["wordpress"] is wordpress
    assert default_listing_path("wordpress") == "/{year}/{month:02d}/{day:02d}/"
    layout = build_layout("wordpress", _shape())
    assert layout.listing_url(date(2020, 2, 1)) == DAY_URL
    assert layout.reads_missing_day is True
    assert layout.fetches_article_pages is True
    assert "text/html" in layout.accept


def test_build_refuses_a_path_without_the_day() -> None:
    with pytest.raises(ValueError, match=r"^listing_path must name the day"):
        wordpress.build(_shape("/archives/"))


def test_first_page_items_in_page_order() -> None:
    """Titles with wptexturize entities decoded, links resolved, categories joined, the
    excerpt without "Continue reading", the site's day and the instant in UTC."""
    page = _listing("listing_page1_of_2.html")
    assert [i.title for i in page.items] == [
        "Coalition’s envoy meets “Astana” guarantors – talks resume",
        "Relief convoys reach Idlib",
        "Midnight statement on the ceasefire",
    ]
    first, second, third = page.items
    assert first.url == "https://news.example.org/2020/02/01/envoy-meets-astana-guarantors/"
    assert first.category == "News, Politics"
    assert first.text == (
        "The Coalition’s envoy met representatives of the guarantor states in Geneva on Saturday"
        " & agreed to resume the talks…"
    )
    assert first.published_at == datetime(2020, 2, 1, 15, 40, tzinfo=UTC)
    assert first.day == date(2020, 2, 1)
    assert not first.full_text
    assert second.text == (
        "Forty trucks of food & medicine crossed at Bab al-Hawa this morning, the third convoy"
        " this week…"
    )
    # Root-relative link; published at local midnight, the previous day in UTC.
    assert third.url == "https://news.example.org/2020/02/01/midnight-statement-on-the-ceasefire/"
    assert third.day == date(2020, 2, 1)
    assert third.published_at == datetime(2020, 1, 31, 21, 0, tzinfo=UTC)
    assert page.skipped_items == 0


def test_sidebar_and_navigation_links_are_not_items() -> None:
    """Recent-posts widgets and pagination never become items."""
    urls = {i.url for i in _listing("listing_page1_of_2.html").items}
    assert not any("council-session" in u or "schools-reopen" in u for u in urls)
    assert len(urls) == 3


def test_next_page_from_core_pagination() -> None:
    """``a.next.page-numbers`` of the_posts_pagination() is the next page."""
    page = _listing("listing_page1_of_2.html")
    assert page.next_url == "https://news.example.org/2020/02/01/page/2/"


def test_last_page_has_no_next_and_skips_a_titleless_aside() -> None:
    """Only Newer/page links on the last page: no next. An aside has no title: skipped."""
    page = _listing("listing_last_page.html", DAY_URL + "page/2/")
    assert page.next_url is None
    assert [i.title for i in page.items] == ["Weekly briefing: the week in review"]
    assert page.skipped_items == 1


def test_older_posts_navigation_of_a_classic_theme() -> None:
    """``.nav-previous a`` "Older posts", ``.entry-summary``, ``a[rel~=category]``, and the
    day as the site wrote it even when the instant is the next day in UTC."""
    url = "https://classic.example.net/2020/02/01/"
    page = _listing("listing_older_posts.html", url)
    assert page.next_url == "https://classic.example.net/2020/02/01/page/2/"
    budget, derby = page.items
    assert budget.title == "Budget vote delayed – again"
    assert budget.category == "City Hall, News"
    assert budget.text == (
        "Council members could not agree on the road budget and adjourned until Tuesday. […]"
    )
    assert budget.day == date(2020, 2, 1)
    assert budget.published_at == datetime(2020, 2, 2, 4, 30, tzinfo=UTC)
    assert derby.title == "Rovers win the derby, 3–1"
    assert derby.category == "Sports"


def test_next_page_from_link_rel_next_only() -> None:
    """Without pagination markup, an SEO plugin's ``<link rel=next>`` is followed."""
    page = _listing("listing_link_rel_next.html", "https://news.example.org/2020/02/02/")
    assert page.next_url == "https://news.example.org/2020/02/02/page/2/"


def test_full_post_listing_leaves_out_sharing_and_more_links() -> None:
    """Archives showing full posts carry share buttons and "Continue reading": not text."""
    schools, bread = _listing("listing_link_rel_next.html").items
    assert schools.text == (
        "Around 40,000 pupils went back to class on Sunday.\n\n"
        "Teachers said heating fuel was the main worry."
    )
    assert bread.text == "The price of a bundle rose again."


def test_next_link_preference_order() -> None:
    """Core pagination wins over "Older posts", which wins over ``<link rel=next>``."""
    html = (
        '<html><head><link rel="next" href="/c/"></head><body class="archive date">'
        '<article class="post"><h2 class="entry-title"><a href="/p/">P</a></h2></article>'
        '<div class="nav-previous"><a href="/b/">Older posts</a></div>'
        '<a class="next page-numbers" href="/a/">Next</a></body></html>'
    )
    assert wordpress.parse_listing(html, DAY_URL, TZ).next_url == "https://news.example.org/a/"
    html = html.replace('class="next page-numbers"', 'class="page-numbers"')
    assert wordpress.parse_listing(html, DAY_URL, TZ).next_url == "https://news.example.org/b/"


def test_an_unusable_next_link_is_a_parse_error() -> None:
    """Dropping it would silently lose the rest of the day."""
    html = (
        '<article class="post"><h2 class="entry-title"><a href="/p/">P</a></h2></article>'
        '<a class="next page-numbers" href="http://[broken/">Older</a>'
    )
    with pytest.raises(ParseError, match="unusable 'Next' link"):
        wordpress.parse_listing(html, DAY_URL, TZ)


def test_404_page_is_an_empty_day() -> None:
    """The theme's 404 page (what a quiet day answers) is a valid page with no items."""
    page = _listing("not_found.html")
    assert page.items == () and page.next_url is None


@pytest.mark.parametrize(
    "html",
    [
        '<body class="archive date"><section class="no-results not-found"><h1>Nothing here</h1>'
        "</section></body>",
        '<body class="search search-no-results"><p>Sorry</p></body>',
    ],
)
def test_nothing_found_notices_are_empty_days(html: str) -> None:
    assert wordpress.parse_listing(html, DAY_URL, TZ).items == ()


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html><body><h1>Service unavailable</h1></body></html>",
        # A theme change: posts are no longer <article> elements.
        '<body class="archive date"><div class="post"><h2 class="entry-title">'
        '<a href="/p/">P</a></h2></div></body>',
    ],
)
def test_a_page_without_posts_or_notice_is_a_parse_error(html: str) -> None:
    """Layout drift is refused, never read as an empty day."""
    with pytest.raises(ParseError, match="neither posts"):
        wordpress.parse_listing(html, DAY_URL, TZ)


def test_a_post_matching_both_classes_is_one_item() -> None:
    """``article.post`` and ``.type-post`` on one element give one item, not two."""
    html = (
        '<article class="post type-post"><h2 class="entry-title"><a href="/p/">P</a></h2>'
        '<div class="entry-content"><p>T</p></div></article>'
    )
    page = wordpress.parse_listing(html, DAY_URL, TZ)
    assert [(i.title, i.text) for i in page.items] == [("P", "T")]


def test_a_post_nested_by_unbalanced_html_keeps_its_own_fields() -> None:
    """An unclosed ``<article>`` in one excerpt nests the next post: each keeps its own."""
    html = (
        '<article class="post"><h2 class="entry-title"><a href="/1/">One</a></h2>'
        '<div class="entry-content"><p>First.</p><article>'
        '<article class="post"><h2 class="entry-title"><a href="/2/">Two</a></h2>'
        '<div class="entry-content"><p>Second.</p></div></article>'
    )
    page = wordpress.parse_listing(html, DAY_URL, TZ)
    assert [(i.title, i.url, i.text) for i in page.items] == [
        ("One", "https://news.example.org/1/", "First."),
        ("Two", "https://news.example.org/2/", "Second."),
    ]


def test_article_body_without_plugins_scripts_and_styles() -> None:
    """The post body only: no share/like/related blocks, ads, page links, scripts, styles."""
    page = wordpress.parse_article((FIXTURES / "article.html").read_text(), DAY_URL, TZ)
    assert page.title == "Coalition’s envoy meets “Astana” guarantors – talks resume"
    assert page.body.split("\n\n") == [
        "The Coalition’s envoy met representatives of the guarantor states in Geneva on Saturday"
        " & agreed to resume the talks.",
        "“We have a date,” the envoy told reporters.",
        "The next round opens on 18 February.",
        "Talks resume on 18 February.",
        "— Example News (@examplenews) February 1, 2020",
        "What is on the table",
        "A prisoner exchange",
        "Humanitarian access",
        "The negotiating table in Geneva.",
    ]
    for noise in ("Share this", "Like", "Related", "Advertisements", "Page 2", "__ATA", "color"):
        assert noise not in page.body


def test_article_time_with_offset_is_utc() -> None:
    """``time.entry-date.published`` (+03:00) is converted to UTC."""
    page = wordpress.parse_article((FIXTURES / "article.html").read_text(), DAY_URL, TZ)
    assert page.published_at == datetime(2020, 2, 1, 15, 40, tzinfo=UTC)
    assert page.published_at is not None and page.published_at.utcoffset() is not None


def test_article_time_falls_back_to_the_open_graph_meta() -> None:
    html = (
        '<head><meta property="article:published_time" content="2020-02-01T10:00:00+02:00">'
        '</head><article class="post"><h1 class="entry-title">T</h1>'
        '<div class="entry-content"><p>B</p></div></article>'
    )
    page = wordpress.parse_article(html, DAY_URL, TZ)
    assert page.published_at == datetime(2020, 2, 1, 8, 0, tzinfo=UTC)


def test_a_naive_time_is_read_in_the_sites_zone() -> None:
    html = (
        '<article class="post"><time class="entry-date published" datetime="2020-02-01T10:00">'
        '</time><div class="entry-content"><p>B</p></div></article>'
    )
    page = wordpress.parse_article(html, DAY_URL, TZ)
    assert page.published_at == datetime(2020, 2, 1, 7, 0, tzinfo=UTC)


def test_article_without_entry_content_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match=r"\.entry-content"):
        wordpress.parse_article("<article class=post><h1>T</h1></article>", DAY_URL, TZ)


def test_a_theme_without_title_classes_gives_its_first_heading_link_not_one_in_the_text() -> None:
    """No .entry-title or Post Title block: the post's first heading link is its title, but a
    heading the author linked inside the excerpt is not (that post is skipped)."""
    html = (
        '<article class="post type-post"><div class="entry-content">'
        '<h3><a href="/other/">Linked heading in the text</a></h3><p>An aside.</p></div></article>'
        '<article class="post type-post"><h2 class="headline"><a href="/real/">Real title</a>'
        '</h2><div class="entry-summary"><p>Text.</p></div></article>'
    )
    page = wordpress.parse_listing(html, DAY_URL, TZ)
    assert [(item.title, item.url) for item in page.items] == [
        ("Real title", "https://news.example.org/real/")
    ]
    assert page.skipped_items == 1


def test_a_block_themes_post_page_ignores_a_loop_of_other_posts() -> None:
    """A single post of a block theme has no post_class() wrapper; a Query Loop of other posts
    on the page (related, latest) gives neither its title, its time nor its categories."""
    html = (
        '<ul class="wp-block-post-template"><li class="wp-block-post post type-post">'
        '<h2 class="wp-block-post-title"><a href="/x/">Other post</a></h2>'
        '<div class="wp-block-post-date"><time datetime="2019-01-01T00:00:00+03:00">x</time>'
        '</div><div class="taxonomy-category wp-block-post-terms"><a>Sport</a></div></li></ul>'
        '<h1 class="wp-block-post-title">This post</h1>'
        '<div class="entry-content wp-block-post-content"><p>Its text.</p></div>'
        '<div class="wp-block-post-date"><time datetime="2020-02-01T10:00:00+03:00">1 Feb</time>'
        '</div><div class="taxonomy-category wp-block-post-terms"><a rel="tag">News</a></div>'
    )
    page = wordpress.parse_article(html, DAY_URL, TZ)
    assert (page.title, page.body, page.category) == ("This post", "Its text.", "News")
    assert page.published_at == datetime(2020, 2, 1, 7, 0, tzinfo=UTC)
