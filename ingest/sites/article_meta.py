"""An article page read without site-specific selectors: its standard metadata, and its body
from a maintained extractor (trafilatura). Pure: markup in, an ``ArticlePage`` out.

The metadata, most trusted first:

- title: JSON-LD ``NewsArticle`` (or ``Article``, ``BlogPosting``…) ``headline``, OpenGraph
  ``og:title``, the first ``<h1>``, ``<title>``;
- publication time: JSON-LD ``datePublished``, OpenGraph ``article:published_time``, the first
  ``<time datetime>`` marked ``published`` (WordPress core's), else the first ``<time
  datetime>``; a time without an offset is read in the site's zone;
- category: JSON-LD ``articleSection``, OpenGraph ``article:section``, ``a[rel~=category]``
  (WordPress core's category links).

The body is trafilatura's main text, precision first (no comments, no tables), a paragraph
per line. Its cost per page beside the ``selectors`` layout's is in tests/benchmarks/sitemap.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, tzinfo
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from ingest.errors import ParseError
from ingest.sites.base import ArticlePage, Markup, html_tree, parse_timestamp
from ingest.text import clean_whitespace, html_input, join_paragraphs

_ARTICLE_TYPES = frozenset(
    {"NewsArticle", "Article", "BlogPosting", "ReportageNewsArticle", "AnalysisNewsArticle"}
)
_MAX_JSON_LD = 1024 * 1024  # a larger script block is not metadata: not decoded


def _json_ld_objects(tree: LexborHTMLParser) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object of the page, ``@graph`` members included; a block that does not
    decode is passed over (sites ship broken JSON-LD)."""
    for node in tree.css('script[type="application/ld+json"]'):
        text = node.text(deep=True)
        if len(text) > _MAX_JSON_LD:
            continue
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(reversed(graph))


def _is_article(obj: dict[str, Any]) -> bool:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and k in _ARTICLE_TYPES for k in kinds)


def _text(value: object) -> str | None:
    if isinstance(value, list):
        value = ", ".join(v for v in value if isinstance(v, str))
    return clean_whitespace(value) or None if isinstance(value, str) else None


def _meta(tree: LexborHTMLParser, prop: str) -> str | None:
    node = tree.css_first(f'meta[property="{prop}"], meta[name="{prop}"]')
    return _text(node.attributes.get("content")) if node is not None else None


def _first_text(tree: LexborHTMLParser, selector: str) -> str | None:
    node = tree.css_first(selector)
    return clean_whitespace(node.text(deep=True)) or None if node is not None else None


def _time_attr(tree: LexborHTMLParser) -> str | None:
    node = tree.css_first("time.published[datetime], time[datetime]")
    return node.attributes.get("datetime") if node is not None else None


def read_metadata(
    tree: LexborHTMLParser, tz: tzinfo
) -> tuple[str | None, datetime | None, str | None]:
    """The page's title, publication time and category from its standard metadata."""
    article = next((obj for obj in _json_ld_objects(tree) if _is_article(obj)), {})
    title = (
        _text(article.get("headline"))
        or _meta(tree, "og:title")
        or _first_text(tree, "h1")
        or _first_text(tree, "title")
    )
    published = None
    for candidate in (
        _text(article.get("datePublished")),
        _meta(tree, "article:published_time"),
        _time_attr(tree),
    ):
        if candidate:
            published = parse_timestamp(candidate, tz)
            if published is not None:
                break
    category = _text(article.get("articleSection")) or _meta(tree, "article:section")
    if category is None:
        names = [clean_whitespace(a.text(deep=True)) for a in tree.css('a[rel~="category"]')]
        category = ", ".join(dict.fromkeys(n for n in names if n)) or None
    return title, published, category


def extract_body(markup: Markup, url: str, titles: frozenset[str] = frozenset()) -> str:
    """The page's main text by trafilatura: a paragraph per block (a list item is one, with
    no bullet added), separated by a blank line; a heading that repeats one of ``titles``
    (the article's own, which trafilatura keeps when it sits inside the article) left out."""
    import trafilatura  # a heavy import (lxml, its models), paid only by sites that need it

    source = html_input(markup)
    document = trafilatura.bare_extraction(
        source if isinstance(source, str) else source.decode("utf-8", "replace"),
        url=url,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        deduplicate=False,
        with_metadata=False,
    )
    body = getattr(document, "body", None)
    if body is None:
        return ""
    blocks = (
        block
        for child in body
        for block in (child.iterchildren("item") if child.tag == "list" else (child,))
    )
    return join_paragraphs(
        p for block in blocks for p in _lines(block) if not (block.tag == "head" and p in titles)
    )


def _lines(block: Any) -> list[str]:
    """A block's paragraphs: its text, broken where the page broke it (``<br>``, which
    trafilatura keeps as ``<lb>``), as ``text.paragraphs_of`` breaks it."""
    from lxml import etree

    lines: list[str] = []
    current: list[str] = []
    for event, element in etree.iterwalk(block, events=("start", "end")):
        if event == "start":
            if element.tag == "lb":
                lines.append(clean_whitespace("".join(current)))
                current.clear()
            current.append(element.text or "")
        elif element is not block:
            current.append(element.tail or "")
    lines.append(clean_whitespace("".join(current)))
    return lines


def parse_generic_article(markup: Markup, url: str, tz: tzinfo) -> ArticlePage:
    """An article page read from its metadata and main text; ParseError without a title or
    a body."""
    tree = html_tree(markup, url)
    title, published, category = read_metadata(tree, tz)
    if not title:
        raise ParseError(f"{url}: no title (JSON-LD headline, og:title, <h1> or <title>)")
    body = extract_body(markup, url, frozenset({title, _first_text(tree, "h1") or title}))
    if not body:
        raise ParseError(f"{url}: no article text found on the page")
    return ArticlePage(url=url, title=title, body=body, published_at=published, category=category)
