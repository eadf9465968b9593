"""What every site layout's parser returns (frozen values, no markup objects), the layout
interface, and the small pure helpers layouts share."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from string import Formatter
from typing import Protocol
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ingest.errors import ParseError
from ingest.text import MAX_DEPTH, html_input, nests_deeper_than

Markup = str | bytes


def check_depth(markup: Markup, url: str) -> None:
    """ParseError when ``markup`` nests its elements deeper than ``text.MAX_DEPTH``: parsing
    it would cost the square of its depth (``bounds``)."""
    if nests_deeper_than(markup, MAX_DEPTH):
        raise ParseError(f"{url}: elements nested more than {MAX_DEPTH} deep; not parsed")


def html_tree(markup: Markup, url: str) -> LexborHTMLParser:
    """A page's parsed tree; ParseError, before any parsing, for a page nested too deeply to
    parse in linear time (``check_depth``)."""
    check_depth(markup, url)
    return LexborHTMLParser(html_input(markup))


MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january", "february", "march", "april", "may", "june", "july", "august",
            "september", "october", "november", "december",
        ),
        start=1,
    )
}  # fmt: skip

_DAY_MONTH_YEAR = re.compile(
    r"(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})(?:\s+(\d{1,2}):(\d{2}))?", re.ASCII
)


# Hrefs that ``urljoin`` returns unchanged (absolute) or just prefixed with the page's origin
# (root-relative): no whitespace, params, fragment or empty query, and, being checked separately,
# no dot segment or doubled slash for urljoin to fold. Nearly every link of a listing is one.
_PLAIN_HREF = re.compile(
    r"(https?://[A-Za-z0-9.\-:@]+)?(/[A-Za-z0-9\-._~/%+,!$&'()*=:@]*)"
    r"(?:\?[A-Za-z0-9\-._~/%+,!$&'()*=:@?]+)?\Z"
)


class LinkResolver:
    """Resolve a page's hrefs as ``urljoin(page_url, href)`` does, only faster.

    None for an href urljoin rejects (such as an unbalanced IPv6 bracket).
    """

    __slots__ = ("_origin", "_page_url")

    def __init__(self, page_url: str) -> None:
        self._page_url = page_url
        parts = urlsplit(page_url)
        plain = parts.scheme in ("http", "https") and parts.netloc
        self._origin = f"{parts.scheme}://{parts.netloc}" if plain else None

    def __call__(self, href: str) -> str | None:
        match = _PLAIN_HREF.match(href)
        if match is not None:
            if match.group(1) is not None:
                return href
            path = match.group(2)
            if self._origin is not None and "/." not in path and "//" not in path:
                return self._origin + href
        try:
            return urljoin(self._page_url, href)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class ListingItem:
    """One article as a date listing shows it.

    ``published_at`` (aware) is set when the listing gives the exact publication time;
    ``full_text`` when ``text`` is the whole article (a REST API), so no article page is needed.
    """

    title: str
    url: str
    category: str | None
    text: str
    day: date | None
    published_at: datetime | None = None
    full_text: bool = False


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One page of a date listing; ``next_url`` is the page's own "Next" link, if any."""

    url: str
    items: tuple[ListingItem, ...]
    next_url: str | None
    skipped_items: int = 0


@dataclass(frozen=True, slots=True)
class ArticlePage:
    """An article's own page: the full body, the publication time and, where the page shows
    them, its categories (a block theme's archive shows none)."""

    url: str
    title: str
    body: str
    published_at: datetime | None
    category: str | None = None


def parse_day_month_year(text: str) -> tuple[date, tuple[int, int] | None] | None:
    """Find "01 February 2020" (optionally "… 20:21") in English; None when absent or invalid."""
    for match in _DAY_MONTH_YEAR.finditer(text):
        month = MONTHS.get(match.group(2).lower())
        if month is None:
            continue
        try:
            day = date(int(match.group(3)), month, int(match.group(1)))
        except ValueError:
            continue
        clock = None
        if match.group(4) is not None:
            hour, minute = int(match.group(4)), int(match.group(5))
            if hour < 24 and minute < 60:
                clock = (hour, minute)
        return day, clock
    return None


def parse_timestamp(text: str, tz: tzinfo) -> datetime | None:
    """An ISO 8601 date-time as written (aware; a naive one is read in ``tz``); None if invalid.

    Its ``date()`` is the day on the calendar of whoever wrote it (the site), and
    ``astimezone(UTC)`` the instant.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def as_utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def unique_nodes(nodes: Iterable[LexborNode]) -> list[LexborNode]:
    """``nodes`` without repeats, in order: Lexbor reports a node once per selector of a
    selector list (``a.x, a.y``) that it matches."""
    return list({node.mem_id: node for node in nodes}.values())


class ItemScope:
    """Each item's own matches of a selector, found with one query over the whole page.

    A match belongs to the nearest item around it (or that it is): an item nested in another
    by unbalanced author HTML keeps its own fields. Selectors are matched as ``css()`` on the
    page does (an item's ancestors can take part in a match, as in ``querySelectorAll``). Each
    selector is compiled once per page, not once per item, and only when some item asks for it.
    """

    __slots__ = ("_found", "_item_ids", "_root")

    def __init__(self, root: LexborNode, items: Iterable[LexborNode]) -> None:
        self._root = root
        self._item_ids = {node.mem_id for node in items}
        self._found: dict[str, dict[int, list[LexborNode]]] = {}

    def is_item(self, node: LexborNode) -> bool:
        return node.mem_id in self._item_ids

    def first(self, item: LexborNode, selector: str) -> LexborNode | None:
        found = self._matches(selector).get(item.mem_id)
        return found[0] if found else None

    def all(self, item: LexborNode, selector: str) -> list[LexborNode]:
        return self._matches(selector).get(item.mem_id, [])

    def _matches(self, selector: str) -> dict[int, list[LexborNode]]:
        found = self._found.get(selector)
        if found is None:
            found = self._found[selector] = self._collect(selector)
        return found

    def _collect(self, selector: str) -> dict[int, list[LexborNode]]:
        item_ids = self._item_ids
        root_id = self._root.mem_id
        found: dict[int, list[LexborNode]] = {}
        for node in unique_nodes(self._root.css(selector)):
            owner: LexborNode | None = node
            while owner is not None:
                owner_id = owner.mem_id
                if owner_id in item_ids:
                    found.setdefault(owner_id, []).append(node)
                    break
                if owner_id == root_id:
                    break
                owner = owner.parent
        return found


def next_page_url(
    tree: LexborHTMLParser, selectors: tuple[str, ...], resolve: LinkResolver, page_url: str
) -> str | None:
    """The page's own "Next" link: the href of the first of ``selectors`` (most preferred first)
    that matches with a usable href; None on the last page or when it links to itself.

    ParseError when the link cannot be resolved: dropping it would silently lose the rest of
    the day.
    """
    if tree.css_first(", ".join(selectors)) is None:  # the common case: one query says so
        return None
    for selector in selectors:
        node = tree.css_first(selector)
        if node is None:
            continue
        href = (node.attributes.get("href") or "").strip()
        if href and not href.startswith(("#", "javascript:")):
            target = resolve(href)
            if target is None:
                raise ParseError(f"{page_url}: unusable 'Next' link {href!r}")
            return None if target == page_url else target
    return None


@dataclass(frozen=True, slots=True)
class SiteShape:
    """What a layout is told of its site: the settings it reads, nothing else.

    ``options`` holds the layout's own table from the config (``[sites.selectors]`` for the
    ``selectors`` layout), as the file gave it; empty for the other layouts.
    """

    base_url: str
    listing_path: str
    tz: tzinfo
    options: Mapping[str, str | bool]


def empty_page(url: str) -> ListingPage:
    """The listing page of a day without articles."""
    return ListingPage(url=url, items=(), next_url=None)


def check_day_path(path: str) -> None:
    """Refuse a listing path that is not a format string naming the day; ValueError says why."""
    if not path.startswith("/"):
        raise ValueError(f"must start with '/', not {path!r}")
    try:
        fields = {name for _, name, _, _ in Formatter().parse(path) if name is not None}
    except ValueError as exc:
        raise ValueError(f"is not a valid format string: {exc}") from exc
    roots = {re.split(r"[.\[]", name, maxsplit=1)[0] for name in fields}
    unknown = roots - {"year", "month", "day", "date"}
    if unknown:
        raise ValueError(f"has unknown field {{{sorted(unknown)[0]}}}")
    if "date" not in roots and not {"year", "month", "day"} <= roots:
        raise ValueError("must name the day: {year}, {month} and {day}, or {date}")
    try:
        path.format(year=2020, month=2, day=1, date=date(2020, 2, 1))
    except (ValueError, AttributeError, IndexError, KeyError) as exc:
        raise ValueError(f"cannot be formatted: {exc}") from exc


def day_url(shape: SiteShape, day: date) -> str:
    """``listing_path`` formatted for ``day`` on the site's base URL."""
    path = shape.listing_path.format(year=day.year, month=day.month, day=day.day, date=day)
    return shape.base_url.rstrip("/") + path


class Layout(Protocol):
    """One site's markup and URL scheme: what the crawl and ``inspect`` need of it.

    Built once per site (``ingest.sites.layout_for``); every method is pure: text in, frozen
    values out, no I/O.
    """

    @property
    def fetches_article_pages(self) -> bool:
        """False when the listing carries everything (a REST API, or no article selectors)."""
        ...

    @property
    def reads_missing_day(self) -> bool:
        """True when a 404 on a day's first listing page may be the site's answer for a day
        without articles (WordPress answers 404 for a date archive without posts): the crawl
        then hands that answer to ``missing_day``. False: a 404 fails the date."""
        ...

    @property
    def item_day_decides(self) -> bool:
        """True when an item's own ``day`` decides the date it is filed under: the listing's
        query may reach past the day asked for (the REST API's bounds move when a local
        midnight does not exist), and an item of another day is left to its own day's listing.
        False when the listing's day decides (a date archive lists that day's posts; a time of
        another day is the theme printing something else, such as the last edit)."""
        ...

    @property
    def index_url(self) -> str | None:
        """A page a run reads once at its start to hold the site's own settings against the
        configuration (the WordPress REST API's index), or None."""
        ...

    @property
    def accept(self) -> str:
        """The Accept header of listing requests."""
        ...

    def listing_url(self, day: date) -> str:
        """The absolute URL of the day's first listing page."""
        ...

    def parse_listing(self, markup: Markup, url: str, headers: Mapping[str, str]) -> ListingPage:
        """One listing page; ``headers`` are the response's (lower-case names), for layouts
        that page through a header (``X-WP-TotalPages``). ParseError when the page has neither
        items nor the layout's "no articles" signal."""
        ...

    def parse_article(self, markup: Markup, url: str) -> ArticlePage:
        """An article's own page; ParseError when it has no body where the layout expects it."""
        ...

    def refusal(self, status: int) -> str | None:
        """What it means when the site refuses a day's first listing page with ``status`` (a
        4xx not retried), when the layout knows better than "HTTP 401"; else None."""
        ...

    def missing_day(self, markup: Markup, url: str) -> ListingPage:
        """A day's first listing page that answered 404 (only asked when ``reads_missing_day``),
        as the empty page of a day without articles; ParseError when this answer is not the
        layout's "no articles" signal."""
        ...

    def check_index(self, markup: Markup, url: str) -> str | None:
        """One line when the page at ``index_url`` shows the site set up otherwise than the
        configuration says (another time zone), else None."""
        ...


class LayoutModule(Protocol):
    """A layout module: its default listing path and the factory the registry calls.

    ``build`` raises ValueError naming the bad key (``selectors.item: required``) when the
    site's settings do not fit the layout; the settings loader reports it with the site.
    """

    @property
    def DEFAULT_LISTING_PATH(self) -> str | None: ...  # a module constant, read-only

    def build(self, shape: SiteShape) -> Layout: ...
