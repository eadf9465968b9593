"""The selectors layout: any other site, described by CSS selectors in its config.

``[sites.selectors]`` maps keys to selectors, each optionally ending in a parsel-style suffix,
``::text`` (the element's text, the default) or ``::attr(name)``::

    item = "div.news-item"          # required: one element per article of a listing page
    title = "h3"                    # required; relative to the item, as are url..date
    url = "a.more::attr(href)"      # default: the first link at, inside or around the title
    category = ".tag"               # every match, joined with ", "
    excerpt = ".lead"               # every match, as paragraphs
    date = "time::attr(datetime)"   # ISO 8601, else article_time_format, else "1 February 2020"
    next = "a.older"                # default: a[rel=next], then link[rel=next]
    empty = ".no-news"              # its presence means the day has no articles (on a 404 too)
    missing_day_is_empty = true     # a 404 on a day's first page is a day without articles
    article_title = "h1"
    article_body = ".story p"       # its presence makes the crawl read article pages
    article_time = ".byline time::attr(datetime)"
    article_time_format = "%d.%m.%Y %H:%M"   # strptime, read in the site's time zone
    article_category = ".tags a"    # every match; used when the listing shows no category

``build`` checks every key and selector once; parsing then only runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

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
    check_day_path,
    day_url,
    empty_page,
    html_tree,
    next_page_url,
    parse_day_month_year,
    parse_timestamp,
    unique_nodes,
)
from ingest.sites.selector_rules import Pick, Rules, href_near, parse_rules
from ingest.text import (
    is_page_furniture,
    join_paragraphs,
)

DEFAULT_LISTING_PATH = None
_DEFAULT_NEXT = ("a[rel=next][href]", "link[rel=next][href]")
_CLOCK = ("%H", "%I", "%M", "%X", "%c", "%T", "%R")


def parse_listing(markup: Markup, url: str, rules: Rules, tz: tzinfo) -> ListingPage:
    """Parse one listing page with the site's selectors."""
    tree = html_tree(markup, url)
    root = tree.root
    if root is None:
        raise ParseError(f"{url}: empty listing page")
    nodes = unique_nodes(root.css(rules.item))
    scope = ItemScope(root, nodes)

    def skip(node: LexborNode) -> bool:
        return scope.is_item(node) or is_page_furniture(node)

    resolve = LinkResolver(url)
    items: list[ListingItem] = []
    skipped = 0
    for node in nodes:
        item = _listing_item(node, scope, skip, resolve, rules, tz)
        if item is None:
            skipped += 1
        else:
            items.append(item)
    if not nodes and not _shows_empty(tree, rules):
        empty = f"the 'empty' element ({rules.empty!r})" if rules.empty else "an 'empty' selector"
        raise ParseError(f"{url}: neither items ({rules.item!r}) nor {empty} on the listing page")
    return ListingPage(
        url=url,
        items=tuple(items),
        next_url=_next_url(tree, rules.next, resolve, url),
        skipped_items=skipped,
    )


def _shows_empty(tree: LexborHTMLParser, rules: Rules) -> bool:
    return rules.empty is not None and tree.css_first(rules.empty) is not None


def missing_day(markup: Markup, url: str, rules: Rules) -> ListingPage:
    """A day's first listing page that answered 404: a day without articles when the site
    says a 404 means that (``missing_day_is_empty``), or when the page shows the ``empty``
    element; otherwise ParseError, naming what was looked for."""
    if rules.missing_day_is_empty:
        return empty_page(url)
    if rules.empty is not None and _shows_empty(html_tree(markup, url), rules):
        return empty_page(url)
    looked_for = f"no 'empty' element ({rules.empty!r})" if rules.empty else "no 'empty' selector"
    raise ParseError(
        f"{url}: HTTP 404 for the day's listing, with {looked_for} on the page; set "
        "selectors.missing_day_is_empty = true if the site answers 404 for a day without news"
    )


def _listing_item(
    node: LexborNode,
    scope: ItemScope,
    skip: Callable[[LexborNode], bool],
    resolve: LinkResolver,
    rules: Rules,
    tz: tzinfo,
) -> ListingItem | None:
    title_node = scope.first(node, rules.title.css)
    title = rules.title.text(title_node) if title_node is not None else ""
    if rules.url is not None:
        url_node = scope.first(node, rules.url.css)
        href = rules.url.link(url_node, node) if url_node is not None else ""
    else:
        href = href_near(title_node, node) if title_node is not None else ""
    url = resolve(href) if href else None
    if not title or not url:
        return None
    category = None
    if rules.category is not None:
        category = _joined_names(rules.category, scope.all(node, rules.category.css))
    text = ""
    if rules.excerpt is not None:
        pick = rules.excerpt
        text = join_paragraphs(
            p
            for found in _outermost(scope.all(node, pick.css))
            for p in pick.paragraphs(found, skip)
        )
    when = None
    if rules.date is not None:
        date_node = scope.first(node, rules.date.css)
        if date_node is not None:
            when = _when(rules.date.text(date_node), tz, rules.article_time_format)
    return ListingItem(
        title=title,
        url=url,
        category=category,
        text=text,
        day=when[0] if when else None,
        published_at=when[1] if when else None,
    )


def _joined_names(pick: Pick, nodes: list[LexborNode]) -> str | None:
    """Every match's text (or attribute), once each, joined with ", "."""
    names = (pick.text(node) for node in nodes)
    return ", ".join(dict.fromkeys(name for name in names if name)) or None


def _outermost(nodes: list[LexborNode]) -> list[LexborNode]:
    """Matches not inside another match (``div.story, div.story p`` reads each text once)."""
    if len(nodes) < 2:
        return nodes
    ids = {node.mem_id for node in nodes}
    kept = []
    for node in nodes:
        ancestor = node.parent
        while ancestor is not None and ancestor.mem_id not in ids:
            ancestor = ancestor.parent
        if ancestor is None:
            kept.append(node)
    return kept


def _next_url(
    tree: LexborHTMLParser, pick: Pick | None, resolve: LinkResolver, page_url: str
) -> str | None:
    if pick is None:
        return next_page_url(tree, _DEFAULT_NEXT, resolve, page_url)
    node = tree.css_first(pick.css)
    href = pick.link(node) if node is not None else ""
    if not href or href.startswith(("#", "javascript:")):
        return None
    target = resolve(href)
    if target is None:
        raise ParseError(f"{page_url}: unusable 'Next' link {href!r}")
    return None if target == page_url else target


def _when(text: str, tz: tzinfo, time_format: str | None) -> tuple[date, datetime | None] | None:
    """The day a date text names and, when it gives the time of day, the instant (UTC).

    ISO 8601 (a date, or a date-time: its day as written), else ``time_format`` read in ``tz``,
    else English "01 February 2020 [20:21]".
    """
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        pass
    moment = parse_timestamp(text, tz)
    if moment is not None:
        return moment.date(), moment.astimezone(UTC)
    if time_format is not None:
        try:
            parsed = datetime.strptime(text, time_format)
        except ValueError:
            pass
        else:
            local = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)
            clock = any(directive in time_format for directive in _CLOCK)
            return local.date(), local.astimezone(UTC) if clock else None
    found = parse_day_month_year(text)
    if found is None:
        return None
    day, clock_found = found
    if clock_found is None:
        return day, None
    local = datetime(day.year, day.month, day.day, *clock_found, tzinfo=tz)
    return day, local.astimezone(UTC)


def parse_article(markup: Markup, url: str, rules: Rules, tz: tzinfo) -> ArticlePage:
    """Parse an article page with the site's ``article_*`` selectors."""
    if rules.article_body is None:
        raise ParseError(f"{url}: no article_body selector: this site's articles are not read")
    tree = html_tree(markup, url)
    root = tree.root
    bodies = unique_nodes(root.css(rules.article_body.css)) if root is not None else []
    if not bodies:
        raise ParseError(f"{url}: no article body ({rules.article_body.css!r}) on the article page")
    pick = rules.article_body
    body = join_paragraphs(
        p for found in _outermost(bodies) for p in pick.paragraphs(found, is_page_furniture)
    )
    title = ""
    if rules.article_title is not None:
        title_node = tree.css_first(rules.article_title.css)
        title = rules.article_title.text(title_node) if title_node is not None else ""
    published = None
    if rules.article_time is not None:
        time_node = tree.css_first(rules.article_time.css)
        if time_node is not None:
            when = _when(rules.article_time.text(time_node), tz, rules.article_time_format)
            published = when[1] if when else None
    category = None
    if rules.article_category is not None and root is not None:
        category = _joined_names(
            rules.article_category, unique_nodes(root.css(rules.article_category.css))
        )
    return ArticlePage(url=url, title=title, body=body, published_at=published, category=category)


@dataclass(frozen=True, slots=True)
class SelectorsLayout:
    """The selectors layout bound to one site and its checked selectors."""

    shape: SiteShape
    rules: Rules
    fetches_article_pages: bool
    item_day_decides: bool = False
    index_url: str | None = None
    accept: str = "text/html,*/*;q=0.5"

    @property
    def reads_missing_day(self) -> bool:
        return self.rules.missing_day_is_empty or self.rules.empty is not None

    def listing_url(self, day: date) -> str:
        return day_url(self.shape, day)

    def parse_listing(self, markup: Markup, url: str, headers: Mapping[str, str]) -> ListingPage:
        return parse_listing(markup, url, self.rules, self.shape.tz)

    def parse_article(self, markup: Markup, url: str) -> ArticlePage:
        return parse_article(markup, url, self.rules, self.shape.tz)

    def refusal(self, status: int) -> str | None:
        return None

    def missing_day(self, markup: Markup, url: str) -> ListingPage:
        return missing_day(markup, url, self.rules)

    def check_index(self, markup: Markup, url: str) -> str | None:
        return None


def build(shape: SiteShape) -> SelectorsLayout:
    """Checks ``listing_path`` and every key of ``[sites.selectors]``; ValueError naming the
    first bad key: ``selectors.foo: unknown key``, ``selectors.item: required``,
    ``selectors.title: invalid selector 'div[': <reason>``,
    ``selectors.article_time_format: invalid format '%Q': <reason>``."""
    if not shape.listing_path:
        raise ValueError("listing_path: required for the selectors layout")
    try:
        check_day_path(shape.listing_path)
    except ValueError as exc:
        raise ValueError(f"listing_path {exc}") from None
    rules = parse_rules(shape.options)
    return SelectorsLayout(shape, rules, fetches_article_pages=rules.article_body is not None)
