"""The WordPress layout: date archives (``/2020/02/01/``) as the site's theme renders them.

It reads what WordPress core prints in every theme, classic or block, not one theme's class
names: ``post_class()`` on each post's wrapper, the title's link to the permalink,
``<time datetime>`` in the site's offset, category links, and core's pagination
(``paginate_links()``, ``the_posts_navigation()``, the Query Pagination block). Tested on
Twenty Twenty-One (classic), Twenty Twenty-Two and Twenty Twenty-Three (block themes) as a real
WordPress renders them. A date archive without posts answers 404, so a missing day is an empty
day; a 200 page with neither posts nor a "nothing found" notice is layout drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from selectolax.lexbor import LexborNode

from ingest.errors import ParseError
from ingest.sites.base import (
    ArticlePage,
    ItemScope,
    LinkResolver,
    ListingItem,
    ListingPage,
    Markup,
    SiteShape,
    as_utc,
    check_day_path,
    day_url,
    empty_page,
    html_tree,
    next_page_url,
    parse_timestamp,
    unique_nodes,
)
from ingest.text import (
    clean_whitespace,
    is_page_furniture,
    join_paragraphs,
    paragraphs_of,
)

DEFAULT_LISTING_PATH = "/{year}/{month:02d}/{day:02d}/"
# post_class() marks every post's wrapper, whatever the theme: an <article> in a classic theme,
# an <li class="wp-block-post"> in a block theme's Query Loop.
_POSTS = ".type-post, article.post"
# The title and its link to the permalink: classic themes' .entry-title, the Post Title block,
# else the first heading holding a link (the_title() inside <a href="the_permalink()">).
_TITLE_LINKS = (
    ".entry-title a[href]",
    ".wp-block-post-title a[href]",
    ":is(h1, h2, h3, h4, h5, h6) a[href]",
)
_TITLES = (".entry-title", ".wp-block-post-title")
# Excerpt or full post: classic themes, then the Post Excerpt and Post Content blocks.
_TEXTS = (".entry-summary", ".entry-content", ".wp-block-post-excerpt", ".wp-block-post-content")
_BODIES = (".entry-content", ".wp-block-post-content")
_TEXT_CLASSES = frozenset(selector[1:] for selector in _TEXTS)
# Most preferred first: the_posts_pagination(), the Query Pagination block,
# the_posts_navigation(), an SEO plugin's head.
_NEXT_SELECTORS = (
    "a.next.page-numbers[href]",
    "a.wp-block-query-pagination-next[href]",
    ".nav-previous a[href]",
    "link[rel=next][href]",
)
_NOTHING_FOUND = ".no-results, .not-found, body.error404, body.search-no-results"
# The publication time: core prints it as <time datetime> in the site's offset. Classic themes
# mark it .entry-date.published beside a .updated one; the Post Date block wraps it in
# .wp-block-post-date (.wp-block-post-date__modified-date when it shows the last edit).
_PUBLISHED = (
    "time.entry-date.published[datetime]",
    "time.entry-date[datetime]:not(.updated)",
    ".wp-block-post-date:not(.wp-block-post-date__modified-date) time[datetime]",
    "time[datetime]:not(.updated)",
)
# Category links: get_the_category_list() (rel="category tag", in .cat-links in most themes)
# and the Post Terms block for categories. Block themes print them on the post's page only.
_CATEGORIES = (".cat-links a", "a[rel~=category]", ".taxonomy-category a")
# A block theme's Query Loop item: on a post's own page, a loop of other posts (related or
# latest) is not this post's.
_LOOP_ITEM = "wp-block-post"
_LOOP_ITEMS = frozenset({_LOOP_ITEM})
# The theme's own post chrome. When author HTML leaves a <div> open, the ``</div>`` meant to end
# .entry-content ends the author's div instead, and .entry-content swallows the post's footer
# ("Published ... By ...", "Categorized as ... Tagged ...") up to </article>. The Post Excerpt
# block's "Read more" link is chrome too.
_POST_CHROME = frozenset(
    {"entry-footer", "wp-block-post-excerpt__more-text", "wp-block-post-excerpt__more-link"}
)

_Skip = Callable[[LexborNode], bool]


def _not_text(node: LexborNode) -> bool:
    """Page furniture, or the theme's post chrome (nested into the content by author HTML)."""
    if is_page_furniture(node):
        return True
    classes = node.attributes.get("class")
    return classes is not None and not _POST_CHROME.isdisjoint(classes.split())


def parse_listing(markup: Markup, url: str, tz: tzinfo) -> ListingPage:
    """Parse one page of a WordPress date archive, from a classic or a block theme."""
    tree = html_tree(markup, url)
    root = tree.root
    if root is None:
        raise ParseError(f"{url}: empty listing page")
    posts = unique_nodes(root.css(_POSTS))
    scope = ItemScope(root, posts)

    def skip(node: LexborNode) -> bool:
        return scope.is_item(node) or _not_text(node)

    resolve = LinkResolver(url)
    items: list[ListingItem] = []
    skipped = 0
    for post in posts:
        item = _listing_item(post, scope, skip, resolve, tz)
        if item is None:
            skipped += 1
        else:
            items.append(item)
    if not posts and tree.css_first(_NOTHING_FOUND) is None:
        raise ParseError(
            f"{url}: neither posts (post_class(): {_POSTS}) nor a 'nothing found' notice "
            "on the listing page"
        )
    return ListingPage(
        url=url,
        items=tuple(items),
        next_url=next_page_url(tree, _NEXT_SELECTORS, resolve, url),
        skipped_items=skipped,
    )


def _listing_item(
    post: LexborNode,
    scope: ItemScope,
    skip: _Skip,
    resolve: LinkResolver,
    tz: tzinfo,
) -> ListingItem | None:
    link = _first(post, scope, _TITLE_LINKS[:2]) or _heading_link(post, scope)
    heading = link or _first(post, scope, _TITLES)
    title = clean_whitespace(heading.text(deep=True)) if heading is not None else ""
    href = (link.attributes.get("href") or "").strip() if link is not None else ""
    url = resolve(href) if href else None
    if not title or not url:
        return None
    summary = _first(post, scope, _TEXTS)
    text = join_paragraphs(paragraphs_of(summary, skip=skip)) if summary is not None else ""
    published = _published(_first(post, scope, _PUBLISHED), tz)
    return ListingItem(
        title=title,
        url=url,
        category=_names(scope.all(post, selector) for selector in _CATEGORIES),
        text=text,
        day=published.date() if published is not None else None,
        published_at=as_utc(published),
    )


def _first(post: LexborNode, scope: ItemScope, selectors: tuple[str, ...]) -> LexborNode | None:
    """The post's own first match of the most preferred selector that matches."""
    for selector in selectors:
        node = scope.first(post, selector)
        if node is not None:
            return node
    return None


def _heading_link(post: LexborNode, scope: ItemScope) -> LexborNode | None:
    """A theme without core's title classes: the first heading link of the post that is not
    in its text (a heading the author linked inside the excerpt is no title)."""
    for node in scope.all(post, _TITLE_LINKS[2]):
        if not _inside(node, _TEXT_CLASSES, post):
            return node
    return None


def _inside(node: LexborNode, classes: frozenset[str], stop: LexborNode | None = None) -> bool:
    """True when an ancestor of ``node`` (below ``stop``, if given) has one of ``classes``."""
    stop_id = stop.mem_id if stop is not None else None
    ancestor = node.parent
    while ancestor is not None and ancestor.mem_id != stop_id:
        names = ancestor.attributes.get("class")
        if names is not None and not classes.isdisjoint(names.split()):
            return True
        ancestor = ancestor.parent
    return False


def _names(groups: Iterable[Iterable[LexborNode]]) -> str | None:
    """The links' texts, joined with ", ", from the first group that has any."""
    for nodes in groups:
        names = (clean_whitespace(node.text(deep=True)) for node in nodes)
        joined = ", ".join(dict.fromkeys(name for name in names if name))
        if joined:
            return joined
    return None


def _published(node: LexborNode | None, tz: tzinfo) -> datetime | None:
    """The publication time as the site wrote it (its offset kept: ``date()`` is its day)."""
    if node is None:
        return None
    return parse_timestamp(node.attributes.get("datetime") or "", tz)


def parse_article(markup: Markup, url: str, tz: tzinfo) -> ArticlePage:
    """Parse a single post's page: title, body (the post's content without page furniture),
    categories and the exact publication time.

    A classic theme wraps the post in post_class(); a block theme's single template has no
    wrapper, so its blocks are looked up on the page, outside any Query Loop of other posts.
    """
    tree = html_tree(markup, url)
    root = tree.root
    post = next((node for node in tree.css(_POSTS) if not _is_loop_item(node)), None)
    scope = post if post is not None else root
    if scope is None:
        raise ParseError(f"{url}: empty article page")
    own = _own_nodes if post is None else _all_nodes
    body = _first_own(scope, _BODIES, own)
    if body is None:
        raise ParseError(f"{url}: no post body ({', '.join(_BODIES)}) on the article page")
    title_node = _first_own(scope, (*_TITLES, "h1"), own)
    published = _published(_first_own(scope, _PUBLISHED, own), tz)
    if published is None:
        # Yoast, Jetpack and most SEO plugins print it in the head for social cards.
        meta = tree.css_first('meta[property="article:published_time"][content]')
        if meta is not None:
            published = parse_timestamp(meta.attributes.get("content") or "", tz)
    return ArticlePage(
        url=url,
        title=clean_whitespace(title_node.text(deep=True)) if title_node is not None else "",
        body=join_paragraphs(paragraphs_of(body, skip=_not_text)),
        published_at=as_utc(published),
        category=_names(own(scope.css(selector)) for selector in _CATEGORIES),
    )


def _all_nodes(nodes: Iterable[LexborNode]) -> list[LexborNode]:
    return list(nodes)


def _is_loop_item(node: LexborNode) -> bool:
    classes = node.attributes.get("class")
    return classes is not None and _LOOP_ITEM in classes.split()


def _own_nodes(nodes: Iterable[LexborNode]) -> list[LexborNode]:
    """The nodes that are not inside a Query Loop item (another post's)."""
    return [node for node in nodes if not _inside(node, _LOOP_ITEMS)]


def _first_own(
    scope: LexborNode,
    selectors: tuple[str, ...],
    own: Callable[[Iterable[LexborNode]], list[LexborNode]],
) -> LexborNode | None:
    for selector in selectors:
        found = own(scope.css(selector))
        if found:
            return found[0]
    return None


@dataclass(frozen=True, slots=True)
class WordPressLayout:
    """The WordPress date-archive layout bound to one site."""

    shape: SiteShape
    fetches_article_pages: bool = True
    reads_missing_day: bool = True
    item_day_decides: bool = False
    index_url: str | None = None
    accept: str = "text/html,*/*;q=0.5"

    def listing_url(self, day: date) -> str:
        return day_url(self.shape, day)

    def parse_listing(self, markup: Markup, url: str, headers: Mapping[str, str]) -> ListingPage:
        return parse_listing(markup, url, self.shape.tz)

    def parse_article(self, markup: Markup, url: str) -> ArticlePage:
        return parse_article(markup, url, self.shape.tz)

    def refusal(self, status: int) -> str | None:
        return None

    def missing_day(self, markup: Markup, url: str) -> ListingPage:
        return empty_page(url)

    def check_index(self, markup: Markup, url: str) -> str | None:
        return None


def build(shape: SiteShape) -> WordPressLayout:
    """Checks that ``listing_path`` names the day."""
    try:
        check_day_path(shape.listing_path)
    except ValueError as exc:
        raise ValueError(f"listing_path {exc}") from None
    return WordPressLayout(shape)
