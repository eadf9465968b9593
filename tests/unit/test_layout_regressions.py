"""What the end-to-end layout tests found: each pinned here on the smallest page that shows it."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from ingest.sites import wordpress, wordpress_api

TZ = ZoneInfo("Asia/Damascus")
URL = "https://news.example.org/2020/02/09/a-post/"


def _post(content: str) -> str:
    return f"""<html><body><article class="post type-post">
<header class="entry-header"><h1 class="entry-title">A post</h1></header>
<div class="entry-content">{content}</div><!-- .entry-content -->
<footer class="entry-footer"><span class="posted-on">Published
<time class="entry-date published" datetime="2020-02-09T13:28:00+02:00">February 9, 2020</time>
</span><span class="cat-links">Categorized as <a rel="category tag" href="/c/">News</a></span>
</footer></article></body></html>"""


def test_an_open_author_div_does_not_pull_the_post_footer_into_the_body() -> None:
    """The ``</div>`` meant for .entry-content closes the author's div instead, so the theme's
    footer ends up inside the content: it is still not body text."""
    page = wordpress.parse_article(_post('<div class="embed"><p>Only this.</p>'), URL, TZ)
    assert page.body == "Only this."
    assert page.published_at is not None


def test_an_ad_inserter_slot_and_its_label_are_not_body_text() -> None:
    slot = (
        '<div class="code-block code-block-2"><span class="ad-label">Advertisement</span>'
        '<ins class="adsbygoogle"></ins></div>'
    )
    page = wordpress.parse_article(_post(f"<p>First.</p>{slot}<p>Second.</p>"), URL, TZ)
    assert page.body == "First.\n\nSecond."


def test_rest_api_lists_newest_first_like_the_date_archive() -> None:
    """The crawl keeps the first post of a title posted twice on a day; K2 and WordPress
    archives list newest first, so the API must too, or it keeps the other copy."""
    url = wordpress_api.listing_url("https://x.example/wp-json/wp/v2/posts", date(2020, 2, 9))
    query = parse_qs(urlsplit(url).query)
    assert (query["orderby"], query["order"]) == (["date"], ["desc"])
