"""The ``selectors`` layout's configuration: ``[sites.selectors]`` checked once into ``Rules``.

Each key holds a CSS selector, optionally ending in ``::text`` (the element's text, the
default) or ``::attr(name)``; ``missing_day_is_empty`` is a boolean. ``parse_rules`` refuses
an unknown key, a missing required one, an invalid selector or ``strptime`` format with one
line naming the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from ingest.text import clean_whitespace, is_page_furniture, paragraphs_of

KEYS = (
    "item", "title", "url", "category", "excerpt", "date", "next", "empty",
    "missing_day_is_empty", "article_title", "article_body", "article_time",
    "article_time_format", "article_category",
)  # fmt: skip
_FLAGS = frozenset({"missing_day_is_empty"})  # booleans; every other key is a string
_REQUIRED = ("item", "title")
_ELEMENT_ONLY = frozenset({"item", "empty"})  # their elements are what counts: no suffix

_SUFFIX = re.compile(r"::(?:(text)|attr\(\s*([^\s()'\"]+)\s*\))\s*\Z")
_ANY_SUFFIX = re.compile(r"::[A-Za-z-]*(?:\([^()]*\))?\s*\Z")

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
        return href_near(node, within)

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
    article_category: Pick | None = None
    missing_day_is_empty: bool = False


def href_near(node: LexborNode, within: LexborNode | None) -> str:
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


def parse_rules(options: Mapping[str, str | bool]) -> Rules:
    """``[sites.selectors]`` checked once (see ``build``)."""
    for key in options:
        if key not in KEYS:
            raise ValueError(f"selectors.{key}: unknown key")
    for key in _REQUIRED:
        if key not in options:
            raise ValueError(f"selectors.{key}: required")
    texts: dict[str, str] = {}
    for key, value in options.items():
        wanted = bool if key in _FLAGS else str
        if not isinstance(value, wanted):
            raise ValueError(
                f"selectors.{key}: must be a {'boolean' if key in _FLAGS else 'string'}, "
                f"not {type(value).__name__}"
            )
        if isinstance(value, str):
            texts[key] = value
    probe = LexborHTMLParser("<p></p>")
    picks = {
        key: _pick(key, value, probe)
        for key, value in texts.items()
        if key != "article_time_format"
    }
    time_format = texts.get("article_time_format")
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
        article_category=picks.get("article_category"),
        missing_day_is_empty=options.get("missing_day_is_empty") is True,
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
