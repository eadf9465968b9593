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
    empty = ".no-news"              # its presence means the day has no articles
    article_title = "h1"
    article_body = ".story p"       # its presence makes the crawl read article pages
    article_time = ".byline time::attr(datetime)"
    article_time_format = "%d.%m.%Y %H:%M"   # strptime, read in the site's time zone

``build`` checks every key and selector once; parsing then only runs them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Literal

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

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
    next_page_url,
    parse_day_month_year,
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

DEFAULT_LISTING_PATH = None
KEYS = (
    "item", "title", "url", "category", "excerpt", "date", "next", "empty",
    "article_title", "article_body", "article_time", "article_time_format",
)  # fmt: skip
_REQUIRED = ("item", "title")
_ELEMENT_ONLY = frozenset({"item", "empty"})  # their elements are what counts: no suffix
_DEFAULT_NEXT = ("a[rel=next][href]", "link[rel=next][href]")
_SUFFIX = re.compile(r"::(?:(text)|attr\(\s*([^\s()'\"]+)\s*\))\s*\Z")
_ANY_SUFFIX = re.compile(r"::[A-Za-z-]*(?:\([^()]*\))?\s*\Z")
_CLOCK = ("%H", "%I", "%M", "%X", "%c", "%T", "%R")

Mode = Literal["element", "text", "attr"]


@dataclass(frozen=True, slots=True)
class Pick:
    """One configured selector: the CSS and what to read of its element."""

    css: str
    mode: Mode = "element"
    attr: str = ""

    def text(self, node: LexborNode) -> str:
        """The element's text (the default) or the attribute."""
        if self.mode == "attr":
            return clean_whitespace(node.attributes.get(self.attr) or "")
        return clean_whitespace(node.text(deep=True))

    def link(self, node: LexborNode, within: LexborNode | None = None) -> str:
        """The attribute or text if asked for, else the href of the first link at, inside or
        around (up to ``within``) the element."""
        if self.mode != "element":
            return self.text(node)
        return _href_near(node, within)

    def paragraphs(self, node: LexborNode, skip: Callable[[LexborNode], bool]) -> list[str]:
        """The attribute if asked for, else the element's paragraphs (none if the element is
        itself page furniture, such as a share block a broad selector caught)."""
        if self.mode == "attr":
            value = self.text(node)
            return [value] if value else []
        if is_page_furniture(node):
            return []
        return paragraphs_of(node, skip=skip)


@dataclass(frozen=True, slots=True)
class Rules:
    """A site's selectors, checked: what ``build`` makes of ``[sites.selectors]``."""

    item: str
    title: Pick
    url: Pick | None = None
    category: Pick | None = None
    excerpt: Pick | None = None
    date: Pick | None = None
    next: Pick | None = None
    empty: str | None = None
    article_title: Pick | None = None
    article_body: Pick | None = None
    article_time: Pick | None = None
    article_time_format: str | None = None


def _href_near(node: LexborNode, within: LexborNode | None) -> str:
    """The href of the first link at or inside ``node``, else of a link around it (up to
    ``within``); in-page and ``javascript:`` links are not links to an article."""
    for candidate in node.traverse():
        if candidate.tag == "a" and (href := _usable_href(candidate)):
            return href
    stop = within.mem_id if within is not None else None
    ancestor = node.parent
    while ancestor is not None and ancestor.mem_id != stop:
        if ancestor.tag == "a":
            return _usable_href(ancestor)
        ancestor = ancestor.parent
    return ""


def _usable_href(node: LexborNode) -> str:
    href = (node.attributes.get("href") or "").strip()
    return "" if href.startswith(("#", "javascript:")) else href


def parse_listing(markup: Markup, url: str, rules: Rules, tz: tzinfo) -> ListingPage:
    """Parse one listing page with the site's selectors."""
    tree = LexborHTMLParser(html_input(markup))
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
    if not nodes and (rules.empty is None or tree.css_first(rules.empty) is None):
        empty = f"the 'empty' element ({rules.empty!r})" if rules.empty else "an 'empty' selector"
        raise ParseError(f"{url}: neither items ({rules.item!r}) nor {empty} on the listing page")
    return ListingPage(
        url=url,
        items=tuple(items),
        next_url=_next_url(tree, rules.next, resolve, url),
        skipped_items=skipped,
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
        href = _href_near(title_node, node) if title_node is not None else ""
    url = resolve(href) if href else None
    if not title or not url:
        return None
    category = None
    if rules.category is not None:
        names = (rules.category.text(found) for found in scope.all(node, rules.category.css))
        category = ", ".join(dict.fromkeys(name for name in names if name)) or None
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
    tree = LexborHTMLParser(html_input(markup))
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
    return ArticlePage(url=url, title=title, body=body, published_at=published)


@dataclass(frozen=True, slots=True)
class SelectorsLayout:
    """The selectors layout bound to one site and its checked selectors."""

    shape: SiteShape
    rules: Rules
    fetches_article_pages: bool
    missing_day_is_empty: bool = False
    accept: str = "text/html,*/*;q=0.5"

    def listing_url(self, day: date) -> str:
        return day_url(self.shape, day)

    def parse_listing(self, markup: Markup, url: str, headers: Mapping[str, str]) -> ListingPage:
        return parse_listing(markup, url, self.rules, self.shape.tz)

    def parse_article(self, markup: Markup, url: str) -> ArticlePage:
        return parse_article(markup, url, self.rules, self.shape.tz)

    def refusal(self, status: int) -> str | None:
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


def parse_rules(options: Mapping[str, str]) -> Rules:
    """``[sites.selectors]`` checked once (see ``build``)."""
    for key in options:
        if key not in KEYS:
            raise ValueError(f"selectors.{key}: unknown key")
    for key in _REQUIRED:
        if key not in options:
            raise ValueError(f"selectors.{key}: required")
    for key, value in options.items():
        if not isinstance(value, str):
            raise ValueError(f"selectors.{key}: must be a string, not {type(value).__name__}")
    probe = LexborHTMLParser("<p></p>")
    picks = {
        key: _pick(key, value, probe)
        for key, value in options.items()
        if key != "article_time_format"
    }
    time_format = options.get("article_time_format")
    if time_format is not None:
        _check_time_format(time_format)

    def element(key: str) -> str | None:
        pick = picks.get(key)
        return pick.css if pick is not None else None

    item = element("item")
    assert item is not None  # required above
    return Rules(
        item=item,
        title=picks["title"],
        url=picks.get("url"),
        category=picks.get("category"),
        excerpt=picks.get("excerpt"),
        date=picks.get("date"),
        next=picks.get("next"),
        empty=element("empty"),
        article_title=picks.get("article_title"),
        article_body=picks.get("article_body"),
        article_time=picks.get("article_time"),
        article_time_format=time_format,
    )


def _pick(key: str, value: str, probe: LexborHTMLParser) -> Pick:
    def invalid(reason: str) -> ValueError:
        return ValueError(f"selectors.{key}: invalid selector {value!r}: {reason}")

    css, attr = value, ""
    mode: Mode = "element"
    suffix = _SUFFIX.search(value)
    if suffix is not None:
        if key in _ELEMENT_ONLY:
            raise invalid(f"no ::text or ::attr() suffix for {key}: its element is what counts")
        css = value[: suffix.start()]
        if suffix.group(1):
            mode = "text"
        else:
            mode, attr = "attr", suffix.group(2)
    elif _ANY_SUFFIX.search(value) is not None:
        raise invalid("the suffix must be ::text or ::attr(name)")
    css = css.strip()
    if not css:
        raise invalid("empty selector")
    try:
        probe.css(css)
    except (SelectolaxError, ValueError) as exc:
        raise invalid(str(exc) or type(exc).__name__) from None
    return Pick(css, mode, attr)


def _check_time_format(time_format: str) -> None:
    """The format must read back what it writes (``strptime`` refuses some directives)."""
    sample = datetime(2020, 2, 1, 14, 5, 9, tzinfo=UTC)
    try:
        if "%" not in time_format:
            raise ValueError("no % directive")
        datetime.strptime(sample.strftime(time_format), time_format)
    except ValueError as exc:
        raise ValueError(
            f"selectors.article_time_format: invalid format {time_format!r}: {exc}"
        ) from None
