"""HTML of the sample site's third flavour: a hand-made news site a config describes.

Unlike K2 and WordPress, nothing here comes from a known CMS, so a scraper needs selectors.
The ``selectors`` layout describes it with::

    listing_path          = "/archive/{year}-{month:02d}-{day:02d}.html"
    item                  = "ul.news-list > li.story"
    title                 = "h3.headline"
    link                  = "h3.headline > a"        (href: /story/{id}.html or off-site)
    category              = "span.section"
    text                  = "div.summary"            (the intro: the same paragraphs as K2's)
    date                  = "span.stamp"             ("01/02/2020": day/month/year, no time)
    next                  = "a.more[rel=next]"       (absent on the last page)
    empty                 = "p.no-stories"           (a day without stories, HTTP 200)
    article_title         = "h1.story-title"
    article_body          = "div.story-body"         (intro then full text)
    article_time          = "span.story-time"        ("01/02/2020 14:05")
    article_time_format   = "%d/%m/%Y %H:%M"         (site-local time, Asia/Damascus)

Later pages are ``?page=N``; a page past the last looks like an empty day. Private stories
live under ``/private/story/{id}.html`` (robots-disallowed). The "Most read" box links other
days' stories with ``ul.most-read > li > a``, never ``li.story``. The story body is the last
child of ``article.story-page`` and the summary the last child of its ``li``, so author HTML
with an unclosed ``<div>`` nests nothing else inside them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date

from ingest.sample_site.article import SampleArticle
from ingest.sample_site.content import title_text
from ingest.sample_site.htmlparts import attr, format_long_day, link
from tests.support.sample_site.flavours import plain_page_path, plain_story_path

# The ``selectors`` layout's keys for this flavour, as the docstring above describes them.
SELECTORS = {
    "item": "ul.news-list > li.story",
    "title": "h3.headline",
    "url": "h3.headline > a::attr(href)",
    "category": "span.section",
    "excerpt": "div.summary",
    "date": "span.stamp",
    "next": "a.more[rel=next]",
    "empty": "p.no-stories",
    "article_title": "h1.story-title",
    "article_body": "div.story-body",
    "article_time": "span.story-time",
    "article_time_format": "%d/%m/%Y %H:%M",
}
SITE_NAME = "Coalition Bulletin"
DATE_FORMAT = "%d/%m/%Y"
TIME_FORMAT = "%d/%m/%Y %H:%M"
_SECTIONS = (("/archive/", "Archive"), ("/about.html", "About"), ("/contact.html", "Contact"))


def story_href(article: SampleArticle) -> str:
    """Where a headline points: off-site, or the story's own (root-relative) page."""
    return article.offsite_url or plain_story_path(article)


def _page(*, title: str, main: str, most_read: Sequence[SampleArticle]) -> str:
    sections = "\n".join(f"<li>{link(href, text)}</li>" for href, text in _SECTIONS)
    read = "\n".join(f"<li>{link(story_href(a), a.title_html)}</li>" for a in most_read)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} | {SITE_NAME}</title>
<link rel="stylesheet" href="/static/site.css">
<script>
  window.dataLayer = window.dataLayer || [];
  var template = '<li class="story"><h3 class="headline">not a story</h3></li>';
</script>
<style>ul.news-list li.story {{ margin-bottom: 1em; }}</style>
</head>
<body>
<div class="masthead">
<a class="brand" href="/">{SITE_NAME}</a>
<ul class="sections">
{sections}
</ul>
</div>
<div id="main">
{main}
</div>
<div class="aside">
<h2>Most read</h2>
<ul class="most-read">
{read}
</ul>
</div>
<div class="footer"><p>&copy; {SITE_NAME}. Stories may be quoted with a link.</p></div>
</body>
</html>
"""


def _story(article: SampleArticle) -> str:
    return f"""<li class="story" id="story-{article.id}">
<h3 class="headline">{link(story_href(article), article.title_html)}</h3>
<span class="section">{html.escape(article.category)}</span>
<span class="stamp">{article.day:{DATE_FORMAT}}</span>
<div class="summary">
{article.intro_html}
</div>
</li>"""


def render_listing(
    stories: Sequence[SampleArticle],
    *,
    day: date,
    page: int,
    total_pages: int,
    most_read: Sequence[SampleArticle] = (),
) -> str:
    """One page of a day's stories, or the "no stories" marker when ``stories`` is empty."""
    if stories:
        items = "\n".join(_story(a) for a in stories)
        listing = f'<ul class="news-list">\n{items}\n</ul>'
    else:
        listing = '<p class="no-stories">No stories were published on this day.</p>'
    pager = ""
    if stories and total_pages > 1:
        newer = older = ""
        if page > 1:
            newer = f'<a class="less" rel="prev" href="{plain_page_path(day, page - 1)}">Newer</a>'
        if page < total_pages:
            href = plain_page_path(day, page + 1)
            older = f'<a class="more" rel="next" href="{attr(href)}">More stories &raquo;</a>'
        counter = f'<span class="page-no">Page {page} of {total_pages}</span>'
        pager = f'<div class="pager">{newer} {counter} {older}</div>'
    main = f"""<h1 class="day-title">Stories of {format_long_day(day)}</h1>
{listing}
{pager}"""
    return _page(title=f"Stories of {day:{DATE_FORMAT}}", main=main, most_read=most_read)


def render_story(article: SampleArticle, *, most_read: Sequence[SampleArticle] = ()) -> str:
    """A story's own page: title, time, then the body (intro and full text) last."""
    archive = plain_page_path(article.day, 1)
    main = f"""<article class="story-page">
<p class="kicker"><a href="{archive}">{html.escape(article.category)}</a></p>
<h1 class="story-title">{article.title_html}</h1>
<p class="byline">Published <span class="story-time">{article.created:{TIME_FORMAT}}</span></p>
<div class="story-body">
{article.intro_html}
{article.full_html}
</div>
</article>
<div class="story-tools">
<a href="{plain_story_path(article)}?print=1" rel="nofollow">Print</a>
<a href="mailto:?subject={attr(title_text(article))}">Email this story</a>
</div>"""
    return _page(title=html.escape(title_text(article)), main=main, most_read=most_read)


def render_not_found() -> str:
    main = '<h1 class="day-title">Not found</h1>\n<p class="error">No such page.</p>'
    return _page(title="Not found", main=main, most_read=())
