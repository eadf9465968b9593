"""The Joomla + K2 layout: "generic" date listings and "item" article pages.

Selectors follow K2's default templates (``generic.php`` for a date listing, ``item.php`` for an
article). Article text is author-written HTML,
so an unclosed ``<div>`` can nest the next listing item inside this one: every lookup inside an
item skips nested items, so each item keeps its own title, link and text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from selectolax.lexbor import LexborNode

from ingest.errors import ParseError
from ingest.sites.base import (
    ArticlePage,
    LinkResolver,
    ListingItem,
    ListingPage,
    Markup,
    SiteShape,
    check_day_path,
    day_url,
    html_tree,
    next_page_url,
    parse_day_month_year,
)
from ingest.text import clean_whitespace, join_paragraphs, paragraphs_of

DEFAULT_LISTING_PATH = "/date/{year}/{month}/{day}.html"
_ITEM_CLASS = "genericItemView"
# Most preferred first; most pages have none, which one query over all of them tells.
_NEXT_SELECTORS = (
    "div.k2Pagination li.pagination-next a[href]",
    "li.pagination-next a[href]",
    "a.next[href]",
    "a[rel=next][href]",
    "link[rel=next][href]",
)


def _is_full_text(node: LexborNode) -> bool:
    return "itemFullText" in (node.attributes.get("class") or "").split()


class _Owned:
    """Each item's first own match of a selector, found with one query over the container.

    A match belongs to the nearest item around it (or that it is): a nested item keeps its own
    title, link and text. Selectors are only compiled once per page instead of once per item.
    """

    def __init__(self, container: LexborNode, item_ids: set[int]) -> None:
        self._container = container
        self._item_ids = item_ids
        self._firsts: dict[str, dict[int, LexborNode]] = {}

    def is_item(self, node: LexborNode) -> bool:
        return node.mem_id in self._item_ids

    def first(self, item_id: int, selector: str) -> LexborNode | None:
        firsts = self._firsts.get(selector)
        if firsts is None:
            firsts = self._firsts[selector] = self._collect(selector)
        return firsts.get(item_id)

    def _collect(self, selector: str) -> dict[int, LexborNode]:
        item_ids = self._item_ids
        container_id = self._container.mem_id
        firsts: dict[int, LexborNode] = {}
        for node in self._container.css(selector):
            owner: LexborNode | None = node
            while owner is not None:
                owner_id = owner.mem_id
                if owner_id in item_ids:
                    if owner_id not in firsts:
                        firsts[owner_id] = node
                    break
                if owner_id == container_id:
                    break
                owner = owner.parent
        return firsts


def parse_listing(markup: Markup, url: str) -> ListingPage:
    """Parse one page of a K2 date listing."""
    tree = html_tree(markup, url)
    container = tree.css_first("#k2Container")
    if container is None:
        raise ParseError(f"{url}: no K2 container (#k2Container) on the listing page")
    items: list[ListingItem] = []
    skipped = 0
    nodes = container.css(f"div.{_ITEM_CLASS}")
    owned = _Owned(container, {node.mem_id for node in nodes})
    resolve = LinkResolver(url)
    for node in nodes:
        item = _listing_item(node.mem_id, owned, resolve)
        if item is None:
            skipped += 1
        else:
            items.append(item)
    if (
        not items
        and not skipped
        and tree.css_first("#genericItemListNothingFound") is None
        and container.css_first("div.genericItemList") is None
    ):
        raise ParseError(f"{url}: neither listing items nor 'No results found' on the page")
    return ListingPage(
        url=url,
        items=tuple(items),
        next_url=next_page_url(tree, _NEXT_SELECTORS, resolve, url),
        skipped_items=skipped,
    )


def _listing_item(node: int, owned: _Owned, resolve: LinkResolver) -> ListingItem | None:
    link = owned.first(node, ".genericItemTitle a[href]")
    heading = link or owned.first(node, ".genericItemTitle")
    title = clean_whitespace(heading.text(deep=True)) if heading is not None else ""
    href = (link.attributes.get("href") or "").strip() if link is not None else ""
    url = resolve(href) if href else None
    if not title or not url:
        return None
    category_node = owned.first(node, ".genericItemCategory a") or owned.first(
        node, ".genericItemCategory"
    )
    category = clean_whitespace(category_node.text(deep=True)) if category_node else None
    intro = owned.first(node, ".genericItemIntroText")
    text = join_paragraphs(paragraphs_of(intro, skip=owned.is_item)) if intro is not None else ""
    date_node = owned.first(node, ".genericItemDateCreated")
    found = parse_day_month_year(date_node.text(deep=True)) if date_node is not None else None
    return ListingItem(
        title=title,
        url=url,
        category=category or None,
        text=text,
        day=found[0] if found else None,
    )


def parse_article(markup: Markup, url: str, tz: tzinfo) -> ArticlePage:
    """Parse a K2 item page: title, body (intro then full text) and publication time."""
    tree = html_tree(markup, url)
    container = tree.css_first("#k2Container") or tree.css_first("div.itemView")
    if container is None:
        raise ParseError(f"{url}: no K2 container (#k2Container) on the article page")
    title_node = container.css_first(".itemTitle")
    title = clean_whitespace(title_node.text(deep=True)) if title_node is not None else ""
    intro = container.css_first(".itemIntroText")
    full = container.css_first(".itemFullText")
    if intro is None and full is None:
        raise ParseError(f"{url}: the article page has neither intro nor full text")
    paragraphs: list[str] = []
    if intro is not None:
        # An unclosed <div> in the intro nests the full text inside it: read that only once.
        # (One query says whether it does; asking every node of the intro cost more.)
        nested = intro.css_first(".itemFullText") is not None
        paragraphs += paragraphs_of(intro, skip=_is_full_text if nested else None)
    if full is not None:
        paragraphs += paragraphs_of(full)
    return ArticlePage(
        url=url,
        title=title,
        body=join_paragraphs(paragraphs),
        published_at=_published(container, tz),
    )


def _published(container: LexborNode, tz: tzinfo) -> datetime | None:
    node = container.css_first(".itemDateCreated")
    found = parse_day_month_year(node.text(deep=True)) if node is not None else None
    if found is None:
        return None
    day, clock = found
    if clock is None:
        return None
    hour, minute = clock
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


@dataclass(frozen=True, slots=True)
class K2Layout:
    """The K2 layout bound to one site."""

    shape: SiteShape
    fetches_article_pages: bool = True
    reads_missing_day: bool = False
    item_day_decides: bool = False
    index_url: str | None = None
    accept: str = "text/html,*/*;q=0.5"

    def listing_url(self, day: date) -> str:
        return day_url(self.shape, day)

    def parse_listing(self, markup: Markup, url: str, headers: Mapping[str, str]) -> ListingPage:
        return parse_listing(markup, url)

    def parse_article(self, markup: Markup, url: str) -> ArticlePage:
        return parse_article(markup, url, self.shape.tz)

    def refusal(self, status: int) -> str | None:
        return None

    def missing_day(self, markup: Markup, url: str) -> ListingPage:
        raise ParseError(f"{url}: HTTP 404 for the day's listing")

    def check_index(self, markup: Markup, url: str) -> str | None:
        return None


def build(shape: SiteShape) -> K2Layout:
    try:
        check_day_path(shape.listing_path)
    except ValueError as exc:
        raise ValueError(f"listing_path {exc}") from None
    return K2Layout(shape)
