"""HTML of the sample site as WordPress with the Twenty Twenty-One theme prints it.

Class names follow the theme's templates (``archive.php``, ``template-parts/content/
content.php`` in "full post" mode, ``content-single.php``, ``404.php``, ``inc/template-tags.php``)
and core's ``post_class()``, ``get_the_category_list()`` and ``the_posts_pagination()``. Pure
functions: content in, ``str`` out; links are absolute, as WordPress writes them.

What a parser meets (``post`` = ``article.post`` of the archive, newest first):

- title ``h2.entry-title > a[href]`` (``h1.entry-title`` on the post's page), HTML as in K2;
- ``div.entry-content``: on the archive the intro (the text before ``<!--more-->``) then
  ``div.more-link-container`` ("Continue reading"); on the post's page intro,
  ``span#more-ID``, full text, then plugin blocks that are not the article:
  ``div.wp-block-ad``, ``div.sharedaddy``, ``div#jp-relatedposts``, ``<script>``, ``<style>``;
- ``footer.entry-footer``: ``span.posted-on > time.entry-date.published[datetime]`` with the
  site's offset; an unedited post has one ``time.entry-date.published.updated`` (the theme's
  own), an edited one ``time.entry-date.published`` plus ``time.updated`` (as ``_s``-based
  themes print it); ``span.cat-links > a[rel="category tag"]``; ``span.tags-links``;
- the author HTML keeps its quirks: an unclosed ``<div>`` in the intro nests what follows it
  in the ``<article>`` (more link, footer) inside ``div.entry-content``;
- ``nav.navigation.pagination`` with ``a.next.page-numbers`` on every page but the last;
- chrome with links to other days' posts: "Recent Posts" widget, post navigation, Jetpack's
  related posts. A day without posts, or a page past the last, is the theme's 404.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import date

from ingest.sample_site.article import SampleArticle, slugify
from ingest.sample_site.content import title_text
from ingest.sample_site.htmlparts import attr, link, tags_of
from tests.support.sample_site.wordpress_parts import format_wp_day, iso_with_offset
from tests.support.sample_site.wordpress_theme import (
    ARROW_LEFT,
    ARROW_RIGHT,
    LinkOf,
    category_url,
    plugin_blocks,
    render_page,
    search_form,
)

AUTHOR = "SOC Media"
_POSTS = '<span class="nav-short">Posts</span>'


# -- one post ---------------------------------------------------------------------------------


def _posted_on(article: SampleArticle) -> str:
    shown = format_wp_day(article.day)
    published = iso_with_offset(article.created)
    if article.modified is None:
        times = f'<time class="entry-date published updated" datetime="{published}">{shown}</time>'
    else:
        updated = iso_with_offset(article.modified)
        times = (
            f'<time class="entry-date published" datetime="{published}">{shown}</time>'
            f'<time class="updated" datetime="{updated}">{format_wp_day(article.modified.date())}'
            "</time>"
        )
    return f'<span class="posted-on">Published {times}</span>'


def _taxonomies(article: SampleArticle, base_url: str) -> str:
    category = link(category_url(base_url, article.category), html.escape(article.category))
    category = category.replace("<a ", '<a rel="category tag" ', 1)
    tags = ", ".join(
        f'<a href="{base_url}/tag/{slugify(t)}/" rel="tag">{html.escape(t)}</a>'
        for t in tags_of(article)
    )
    return (
        f'<div class="post-taxonomies"><span class="cat-links">Categorized as {category} </span>'
        f'<span class="tags-links">Tagged {tags}</span></div>'
    )


def _byline(base_url: str) -> str:
    author = f'<a href="{base_url}/author/soc-media/" rel="author">{AUTHOR}</a>'
    return f'<span class="byline">By {author}</span>'


def post_class(article: SampleArticle) -> str:
    """``post_class()`` of a published standard post, with the theme's ``entry``."""
    return (
        f"post-{article.id} post type-post status-publish format-standard hentry "
        f"category-{slugify(article.category)} entry"
    )


def _archive_post(article: SampleArticle, permalink: str, base_url: str) -> str:
    more = ""
    if article.has_full_text:
        more = (
            f'<div class="more-link-container"><a class="more-link" '
            f'href="{attr(permalink)}#more-{article.id}">Continue reading '
            f'<span class="screen-reader-text">{article.title_html}</span></a></div>'
        )
    return f"""<article id="post-{article.id}" class="{post_class(article)}">
<header class="entry-header">
<h2 class="entry-title default-max-width"><a href="{attr(permalink)}">{article.title_html}</a></h2>
</header><!-- .entry-header -->
<div class="entry-content">
{article.intro_html}
{more}
</div><!-- .entry-content -->
<footer class="entry-footer default-max-width">
{_posted_on(article)}{_taxonomies(article, base_url)}
</footer><!-- .entry-footer -->
</article><!-- #post-{article.id} -->"""


def _pagination(page: int, total_pages: int, page_href: Callable[[int], str]) -> str:
    """``the_posts_pagination()`` as the theme calls it (``mid_size`` 0, ``end_size`` 1)."""
    links: list[str] = []
    if page > 1:
        newer = f'{ARROW_LEFT} <span class="nav-prev-text">Newer {_POSTS}</span>'
        links.append(f'<a class="prev page-numbers" href="{attr(page_href(page - 1))}">{newer}</a>')
    dots = False
    for n in range(1, total_pages + 1):
        if n == page:
            links.append(f'<span aria-current="page" class="page-numbers current">Page {n}</span>')
            dots = True
        elif n in (1, total_pages):  # end_size 1; mid_size 0 shows no neighbours
            links.append(f'<a class="page-numbers" href="{attr(page_href(n))}">Page {n}</a>')
            dots = True
        elif dots:
            links.append('<span class="page-numbers dots">&hellip;</span>')
            dots = False
    if page < total_pages:
        older = f'<span class="nav-next-text">Older {_POSTS}</span> {ARROW_RIGHT}'
        links.append(f'<a class="next page-numbers" href="{attr(page_href(page + 1))}">{older}</a>')
    joined = "\n".join(links)
    return f"""<nav class="navigation pagination" aria-label="Posts">
<h2 class="screen-reader-text">Posts navigation</h2>
<div class="nav-links">{joined}</div>
</nav>"""


def render_archive(
    posts: Sequence[SampleArticle],
    *,
    day: date,
    page: int,
    total_pages: int,
    page_href: Callable[[int], str],
    link_of: LinkOf,
    base_url: str,
    recent: Sequence[SampleArticle] = (),
    api: bool = True,
) -> str:
    """A date archive's page (``archive.php``); ``posts`` is not empty (else: 404)."""
    articles = "\n".join(_archive_post(a, link_of(a), base_url) for a in posts)
    navigation = _pagination(page, total_pages, page_href) if total_pages > 1 else ""
    shown = format_wp_day(day)
    main = f"""<header class="page-header alignwide">
<h1 class="page-title">Day: <span>{shown}</span></h1>
</header><!-- .page-header -->
{articles}
{navigation}"""
    paged = f" paged paged-{page} date-paged-{page}" if page > 1 else ""
    title = shown if page == 1 else f"{shown} &#8211; Page {page}"
    return render_page(
        title=title,
        body_class=f"archive date{paged} hfeed",
        main=main,
        base_url=base_url,
        recent=recent,
        link_of=link_of,
        api=api,
    )


# -- a post's own page ------------------------------------------------------------------------


def _post_navigation(
    previous: SampleArticle | None, following: SampleArticle | None, link_of: LinkOf
) -> str:
    parts: list[str] = []
    if previous is not None:
        parts.append(
            f'<div class="nav-previous"><a href="{attr(link_of(previous))}" rel="prev">'
            f'<p class="meta-nav">{ARROW_LEFT}Previous Post</p>'
            f'<p class="post-title">{previous.title_html}</p></a></div>'
        )
    if following is not None:
        parts.append(
            f'<div class="nav-next"><a href="{attr(link_of(following))}" rel="next">'
            f'<p class="meta-nav">Next Post{ARROW_RIGHT}</p>'
            f'<p class="post-title">{following.title_html}</p></a></div>'
        )
    return f"""<nav class="navigation post-navigation" aria-label="Posts">
<h2 class="screen-reader-text">Post navigation</h2>
<div class="nav-links">{"".join(parts)}</div>
</nav>"""


def render_post(
    article: SampleArticle,
    *,
    link_of: LinkOf,
    base_url: str,
    previous: SampleArticle | None = None,
    following: SampleArticle | None = None,
    related: Sequence[SampleArticle] = (),
    recent: Sequence[SampleArticle] = (),
    api: bool = True,
) -> str:
    """A post's page (``single.php``): intro, ``span#more-ID``, full text, plugin blocks.

    ``previous`` is the next older post, ``following`` the next newer one.
    """
    permalink = link_of(article)
    full = (
        f'<span id="more-{article.id}"></span>{article.full_html}' if article.has_full_text else ""
    )
    main = f"""<article id="post-{article.id}" class="{post_class(article)}">
<header class="entry-header alignwide">
<h1 class="entry-title">{article.title_html}</h1>
</header>
<div class="entry-content">
{article.intro_html}
{full}
{plugin_blocks(article, permalink, related, link_of)}
</div><!-- .entry-content -->
<footer class="entry-footer default-max-width">
<div class="posted-by">{_posted_on(article)}{_byline(base_url)}</div>
{_taxonomies(article, base_url)}
</footer><!-- .entry-footer -->
</article><!-- #post-{article.id} -->
{_post_navigation(previous, following, link_of)}"""
    head = (
        f'<link rel="canonical" href="{attr(permalink)}" />\n'
        f"<link rel='shortlink' href='{base_url}/?p={article.id}' />\n"
    )
    return render_page(
        title=html.escape(title_text(article)),
        body_class=(
            f"post-template-default single single-post postid-{article.id} "
            "single-format-standard singular"
        ),
        main=main,
        base_url=base_url,
        recent=recent,
        link_of=link_of,
        api=api,
        head_extra=head,
    )


def render_not_found(
    *, base_url: str, link_of: LinkOf, recent: Sequence[SampleArticle] = (), api: bool = True
) -> str:
    """The theme's ``404.php``: an empty date archive, a page past the last, an unknown post."""
    main = f"""<header class="page-header alignwide">
<h1 class="page-title">Nothing here</h1>
</header><!-- .page-header -->
<div class="error-404 not-found default-max-width">
<div class="page-content">
<p>It looks like nothing was found at this location. Maybe try a search?</p>
{search_form(base_url, 1)}
</div><!-- .page-content -->
</div><!-- .error-404 -->"""
    return render_page(
        title="Page not found",
        body_class="error404 hfeed",
        main=main,
        base_url=base_url,
        recent=recent,
        link_of=link_of,
        api=api,
    )
