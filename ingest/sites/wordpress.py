"""The WordPress layout: date archives (``/2020/02/01/``) as the site's theme renders them.

Selectors follow the class names core's template tags print, which most themes keep
(``post_class()``, ``the_title()``, ``get_the_category_list()``, ``the_posts_pagination()``);
see /work/shared/docs/wordpress.md. A date archive without posts answers 404, so a missing day is
an empty day; a 200 page with neither posts nor a "nothing found" notice is layout drift.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from selectolax.lexbor import LexborHTMLParser, LexborNode

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
    next_page_url,
    parse_timestamp,
    unique_nodes,
)
from ingest.text import (
    clean_whitespace,
    html_input,
    is_page_furniture,
    join_paragraphs,
    paragraphs_of,
)

DEFAULT_LISTING_PATH = "/{year}/{month:02d}/{day:02d}/"
_POSTS = "article.type-post, article.post"
# Most preferred first: the_posts_pagination(), the_posts_navigation(), an SEO plugin's head.
_NEXT_SELECTORS = (
    "a.next.page-numbers[href]",
    ".nav-previous a[href]",
    "link[rel=next][href]",
)
_NOTHING_FOUND = ".no-results, .not-found, body.error404, body.search-no-results"
_PUBLISHED = ("time.entry-date.published[datetime]", "time.entry-date[datetime]")
_CATEGORIES = (".cat-links a", "a[rel~=category]")
# The theme's own post chrome. When author HTML leaves a <div> open, the ``</div>`` meant to end
# .entry-content ends the author's div instead, and .entry-content swallows the post's footer
# ("Published ... By ...", "Categorized as ... Tagged ...") up to </article>.
_POST_CHROME = frozenset({"entry-footer"})

_Skip = Callable[[LexborNode], bool]


def _not_text(node: LexborNode) -> bool:
    """Page furniture, or the theme's post footer nested into the content by author HTML."""
    if is_page_furniture(node):
        return True
    classes = node.attributes.get("class")
    return classes is not None and not _POST_CHROME.isdisjoint(classes.split())


def parse_listing(markup: Markup, url: str, tz: tzinfo) -> ListingPage:
    """Parse one page of a WordPress date archive."""
    tree = LexborHTMLParser(html_input(markup))
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
            f"{url}: neither posts (article.post) nor a 'nothing found' notice on the listing page"
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
    link = scope.first(post, ".entry-title a[href]")
    heading = link or scope.first(post, ".entry-title")
    title = clean_whitespace(heading.text(deep=True)) if heading is not None else ""
    href = (link.attributes.get("href") or "").strip() if link is not None else ""
    url = resolve(href) if href else None
    if not title or not url:
        return None
    summary = scope.first(post, ".entry-summary") or scope.first(post, ".entry-content")
    text = join_paragraphs(paragraphs_of(summary, skip=skip)) if summary is not None else ""
    published = _published(post, scope, tz)
    return ListingItem(
        title=title,
        url=url,
        category=_categories(post, scope),
        text=text,
        day=published.date() if published is not None else None,
        published_at=as_utc(published),
    )


def _categories(post: LexborNode, scope: ItemScope) -> str | None:
    for selector in _CATEGORIES:
        names = [clean_whitespace(node.text(deep=True)) for node in scope.all(post, selector)]
        joined = ", ".join(dict.fromkeys(name for name in names if name))
        if joined:
            return joined
    return None


def _published(post: LexborNode, scope: ItemScope, tz: tzinfo) -> datetime | None:
    """The publication time as the site wrote it (its offset kept: ``date()`` is its day)."""
    for selector in _PUBLISHED:
        node = scope.first(post, selector)
        if node is not None:
            return parse_timestamp(node.attributes.get("datetime") or "", tz)
    return None


def parse_article(markup: Markup, url: str, tz: tzinfo) -> ArticlePage:
    """Parse a single post's page: title, body (``.entry-content`` without page furniture) and
    the exact publication time."""
    tree = LexborHTMLParser(html_input(markup))
    post = tree.css_first(_POSTS)
    scope = post if post is not None else tree.root
    body = scope.css_first(".entry-content") if scope is not None else None
    if scope is None or body is None:
        raise ParseError(f"{url}: no post body (.entry-content) on the article page")
    title_node = scope.css_first(".entry-title")
    published: datetime | None = None
    for selector in _PUBLISHED:
        node = scope.css_first(selector)
        if node is not None:
            published = parse_timestamp(node.attributes.get("datetime") or "", tz)
            break
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
    )


@dataclass(frozen=True, slots=True)
class WordPressLayout:
    """The WordPress date-archive layout bound to one site."""

    shape: SiteShape
    fetches_article_pages: bool = True
    missing_day_is_empty: bool = True
    accept: str = "text/html,*/*;q=0.5"

    def listing_url(self, day: date) -> str:
        return day_url(self.shape, day)

    def parse_listing(self, markup: Markup, url: str, headers: Mapping[str, str]) -> ListingPage:
        return parse_listing(markup, url, self.shape.tz)

    def parse_article(self, markup: Markup, url: str) -> ArticlePage:
        return parse_article(markup, url, self.shape.tz)

    def refusal(self, status: int) -> str | None:
        return None


def build(shape: SiteShape) -> WordPressLayout:
    """Checks that ``listing_path`` names the day."""
    try:
        check_day_path(shape.listing_path)
    except ValueError as exc:
        raise ValueError(f"listing_path {exc}") from None
    return WordPressLayout(shape)
