"""Pure text helpers: HTML fragments to paragraphs, title keys, content hashes, XML text.

No I/O and no globals but constant tables; every function is deterministic.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Callable, Iterable

from selectolax.lexbor import LexborHTMLParser, LexborNode

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

# Page furniture that plugins and themes put inside an article's body: sharing buttons, likes,
# related posts, ad slots, "Continue reading" links, in-post page links, forms. Not the article.
_FURNITURE_TAGS = frozenset({"form", "button", "input", "select", "textarea", "nav"})
_FURNITURE_CLASSES = frozenset(
    {
        "sharedaddy", "sd-sharing", "sd-block", "sd-like", "sd-sharing-enabled",
        "jp-relatedposts", "jetpack-likes-widget-wrapper", "wpcnt", "wordads-ad-wrapper",
        "addtoany_share_save_container", "addtoany_content", "a2a_kit", "yarpp-related",
        "crp_related", "adsbygoogle", "more-link", "more-link-container", "page-links",
        "screen-reader-text", "sharethis-inline-share-buttons",
        # Ad Inserter's slot wrapper (code-block code-block-N) and an ad's "Advertisement" label.
        "code-block", "ad-label",
    }
)  # fmt: skip
_TAG = re.compile(r"<[A-Za-z/!?][^>]*>")

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


def html_input(markup: str | bytes) -> str | bytes:
    """What to hand Lexbor for a page's markup: UTF-8 bytes as they are when they are valid
    (Lexbor parses bytes as UTF-8, and encoding text again cost a third of its parse), else
    the text, invalid bytes replaced, exactly as ``bytes.decode("utf-8", "replace")`` reads."""
    if isinstance(markup, bytes):
        try:
            markup.decode("utf-8")
        except UnicodeDecodeError:
            return markup.decode("utf-8", errors="replace")
    return markup


# Deeper than this, a page is not parsed: an HTML5 parser checks its stack of open elements on
# each tag, so a page nested N deep costs about N² (Lexbor: 10k levels 0.13 s, 100k 11 s).
MAX_DEPTH = 1000

# Elements that never hold others (HTML's void elements), and those whose end tag is implied
# by the next of their kind, so ``<li><li>`` or ``<p><p>`` do not nest.
_VOID = frozenset(
    b"area base br col embed hr img input link meta param source track wbr keygen".split()
)
_SIBLINGS = frozenset(
    b"p li dt dd option optgroup tr td th rt rp thead tbody tfoot".split()
)  # fmt: skip
# A start or end tag; comments and raw text (scripts, styles) are passed over whole, since
# the "<div" in a script is not a tag.
_NESTING_TAG = re.compile(
    rb"<!--.*?(?:-->|\Z)|<(script|style|textarea|title|xmp)\b.*?(?:</\1|\Z)|<(/?)([a-zA-Z][a-zA-Z0-9-]*)",
    re.DOTALL | re.IGNORECASE,
)
# An end tag closes the nearest open element of its name within this many; beyond, it is taken
# as a stray end tag that closes nothing, so misnesting can only make the estimate deeper.
_CLOSE_REACH = 16


def _depth_of(data: bytes, limit: int) -> int:
    """The deepest nesting of ``data``'s elements, estimated from its tags alone; the scan
    stops once it passes ``limit``, so a hostile page costs its first ``limit`` tags."""
    open_tags: list[bytes] = []
    deepest = 0
    for match in _NESTING_TAG.finditer(data):
        name = match.group(3)
        if name is None:
            continue  # a comment or raw text
        name = name.lower()
        if match.group(2):
            reach = open_tags[-_CLOSE_REACH:]
            if name in reach:
                del open_tags[len(open_tags) - len(reach) + _last_index(reach, name) :]
            continue
        if name in _VOID:
            continue
        if name in _SIBLINGS and open_tags and open_tags[-1] == name:
            continue  # the last one's end is implied: the depth stays
        open_tags.append(name)
        deepest = max(deepest, len(open_tags))
        if deepest > limit:
            break
    return deepest


def _last_index(names: list[bytes], name: bytes) -> int:
    return len(names) - 1 - names[::-1].index(name)


def nests_deeper_than(markup: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """True when ``markup`` nests its elements deeper than ``limit``, as estimated from its
    tags alone, never shallower than a parser's tree.

    A page with no more tags than ``limit`` cannot, and one count of "<" says so for every
    real page measured (under 500 tags; a few microseconds); others are scanned tag by tag,
    no further than just past ``limit``.
    """
    tags = markup.count("<") if isinstance(markup, str) else markup.count(b"<")
    if tags <= limit:
        return False
    data = markup.encode("utf-8", errors="replace") if isinstance(markup, str) else markup
    return _depth_of(data, limit) > limit


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


def is_page_furniture(node: LexborNode) -> bool:
    """True for a block that is not article text: share buttons, related posts, ad slots,
    "Continue reading" links, forms (a ``skip`` for ``paragraphs_of``)."""
    if node.tag in _FURNITURE_TAGS:
        return True
    classes = node.attributes.get("class")
    return classes is not None and not _FURNITURE_CLASSES.isdisjoint(classes.split())


def paragraphs_of_html(
    fragment: str, *, skip: Callable[[LexborNode], bool] | None = is_page_furniture
) -> list[str]:
    """The readable paragraphs of an HTML fragment (a REST API's rendered content), parsed on
    its own so that its unbalanced tags cannot spill into anything else; page furniture is left
    out unless another ``skip`` is given."""
    if not fragment.strip():
        return []
    body = LexborHTMLParser(fragment).body
    return paragraphs_of(body, skip=skip) if body is not None else []


def plain_text(fragment: str) -> str:
    """The text of a short HTML fragment (a title): tags dropped, entities decoded, whitespace
    collapsed."""
    if "<" in fragment:
        fragment = _TAG.sub("", fragment)
    if "&" in fragment:
        fragment = html.unescape(fragment)
    return clean_whitespace(fragment)


def join_paragraphs(paragraphs: Iterable[str]) -> str:
    return "\n\n".join(p for p in paragraphs if p)


def title_key(title: str) -> str:
    """The dedup key of a title: entities decoded, NFKC, plain quotes and dashes, casefolded,
    no NUL (``without_nul``)."""
    text = unicodedata.normalize("NFKC", html.unescape(title))
    return without_nul(clean_whitespace(text.translate(_PLAIN_PUNCTUATION)).casefold())


def title_digest(key: str) -> str:
    """What the database's unique index holds of a title key: its SHA-256, 64 hex digits,
    so that a title of any length fits an index entry (a PostgreSQL B-tree refuses one over
    about 2,700 bytes). Migration 0004 computes the same for the rows it found."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def without_nul(text: str) -> str:
    """``text`` without NUL characters, which PostgreSQL's text type cannot hold: a site's
    text stores the same on every engine."""
    return text.replace("\x00", "") if "\x00" in text else text


# Everything but XML 1.0's Char production (section 2.2): C0 controls other than tab, line feed
# and carriage return, lone surrogates, U+FFFE and U+FFFF. No XML parser reads a document that
# holds one, even escaped as a character reference. Spelled as the forbidden ranges rather than
# the complement of the allowed ones: the same set, but compiled in a ninth of the time (8 ms,
# at every command's start, for the negated class over all of Unicode).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` as XML character data or a quoted attribute value: the characters XML forbids
    dropped, ``& < > " '`` escaped."""
    return html.escape(_NOT_XML.sub("", text), quote=True)


def content_hash(*parts: str | None) -> str:
    """A stable SHA-256 over the parts; None and "" differ so a missing value is a change."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(b"\x00" if part is None else b"\x01" + part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()
