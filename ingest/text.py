"""Pure text helpers: HTML fragments to paragraphs, title keys, content hashes.

No I/O and no globals but constant tables; every function is deterministic.
"""

from __future__ import annotations

import hashlib
import html
import unicodedata
from collections.abc import Callable, Iterable

from selectolax.lexbor import LexborNode

# Elements whose text is never article text (embedded tweets, trackers, styling).
_IGNORED = frozenset(
    {"script", "style", "noscript", "template", "iframe", "svg", "head", "-comment"}
)
# Elements that start a new paragraph: author HTML uses any of these as one.
_BLOCKS = frozenset(
    {
        "p", "div", "section", "article", "blockquote", "li", "ul", "ol", "table", "tr", "td",
        "th", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "figure", "figcaption", "hr", "dd", "dt",
        "address", "header", "footer", "aside",
    }
)  # fmt: skip

# Typographic characters that NFKC leaves alone but readers consider the same as plain ones.
_PLAIN_PUNCTUATION = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-",
    }
)  # fmt: skip


def clean_whitespace(text: str) -> str:
    """Collapse every run of whitespace (NBSP included) into one space and trim."""
    return " ".join(text.split())


def paragraphs_of(
    node: LexborNode, *, skip: Callable[[LexborNode], bool] | None = None
) -> list[str]:
    """The readable paragraphs under ``node``: blocks and ``<br>`` break paragraphs.

    ``skip`` prunes subtrees that belong to something else (such as a listing item nested in
    this one by an unclosed ``<div>``). Entities are already decoded by the HTML parser.
    """
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = clean_whitespace("".join(current))
        if text:
            paragraphs.append(text)
        current.clear()

    # Depth first without recursion (author HTML can nest deeply); None marks the end of a
    # block, where its paragraph ends.
    stack: list[LexborNode | None] = list(node.iter(include_text=True))
    stack.reverse()
    while stack:
        item = stack.pop()
        if item is None:
            flush()
            continue
        tag = item.tag
        if tag == "-text":
            current.append(item.text_content or "")
            continue
        if tag in _IGNORED or (skip is not None and skip(item)):
            continue
        if tag == "br":
            flush()
            continue
        children: list[LexborNode | None] = list(item.iter(include_text=True))
        if tag in _BLOCKS:
            flush()
            stack.append(None)
        children.reverse()
        stack.extend(children)
    flush()
    return paragraphs


def join_paragraphs(paragraphs: Iterable[str]) -> str:
    return "\n\n".join(p for p in paragraphs if p)


def title_key(title: str) -> str:
    """The dedup key of a title: entities decoded, NFKC, plain quotes and dashes, casefolded."""
    text = unicodedata.normalize("NFKC", html.unescape(title))
    return clean_whitespace(text.translate(_PLAIN_PUNCTUATION)).casefold()


def content_hash(*parts: str | None) -> str:
    """A stable SHA-256 over the parts; None and "" differ so a missing value is a change."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(b"\x00" if part is None else b"\x01" + part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()
