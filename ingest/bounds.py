"""What one site's pages may cost: bounds that turn a hostile or broken page into a failed
date, named in one line, instead of a stalled process or a crashed run.

A crawl shares one process among many sites, so one site's page must not take the CPU, the
memory or the run from the others:

- **Nesting depth.** An HTML5 parser checks the stack of open elements on each tag, so a page
  nested N deep costs about N² (Lexbor: 10k levels 0.13 s, 50k 2.6 s, 100k 11 s). A page nested
  deeper than ``MAX_DEPTH`` is refused before it is parsed (``check_depth``); real pages stay
  under about a hundred (WordPress's block themes: 65 to 101).
- **Items per listing page, pages and bytes per date.** A listing of 200 pages of 50,000 items
  held 2.8 GB. ``MAX_ITEMS_PER_PAGE``, ``MAX_PAGES_PER_DAY`` and ``MAX_BYTES_PER_DAY`` (every
  page the date fetched, listing and articles, ``DayBudget``) keep a date's memory bounded.
- **Anything a parser raises.** Parsers are pure functions of a page's bytes, so whatever one
  raises (a ``RecursionError`` from JSON nested 100k deep, a bug meeting markup nobody foresaw)
  is about that page: ``parse_guarded`` makes it a ``ParseError``, which fails the date.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from ingest.errors import ParseError

T = TypeVar("T")

MAX_DEPTH = 1000
MAX_ITEMS_PER_PAGE = 1000
MAX_PAGES_PER_DAY = 200
MAX_BYTES_PER_DAY = 64 * 1024 * 1024

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
_TAG = re.compile(
    rb"<!--.*?(?:-->|\Z)|<(script|style|textarea|title|xmp)\b.*?(?:</\1|\Z)|<(/?)([a-zA-Z][a-zA-Z0-9-]*)",
    re.DOTALL | re.IGNORECASE,
)
# An end tag closes the nearest open element of its name within this many; beyond, it is taken
# as a stray end tag that closes nothing, so misnesting can only make the estimate deeper.
_CLOSE_REACH = 16


def check_depth(markup: str | bytes, url: str) -> None:
    """ParseError when ``markup`` nests elements deeper than ``MAX_DEPTH``.

    A page with no more tags than ``MAX_DEPTH`` cannot be that deep, and one count of "<"
    says so for every real page measured (under 500 tags; a few microseconds). Others are
    scanned tag by tag, the estimate never shallower than a parser's tree.
    """
    lt: str | bytes = "<" if isinstance(markup, str) else b"<"
    if markup.count(lt) <= MAX_DEPTH:  # type: ignore[arg-type]
        return
    data = markup.encode("utf-8", errors="replace") if isinstance(markup, str) else markup
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise ParseError(f"{url}: elements nested more than {MAX_DEPTH} deep; not parsed")


def _depth(data: bytes, limit: int) -> int:
    """The deepest nesting of ``data``'s elements, estimated from its tags alone; the scan
    stops once it passes ``limit``, so a hostile page costs its first ``limit`` tags."""
    open_tags: list[bytes] = []
    deepest = 0
    for match in _TAG.finditer(data):
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


def check_items(count: int, url: str) -> None:
    """ParseError when one listing page holds more than ``MAX_ITEMS_PER_PAGE`` items."""
    if count > MAX_ITEMS_PER_PAGE:
        raise ParseError(f"{url}: {count} items on one listing page, over {MAX_ITEMS_PER_PAGE}")


def parse_guarded(parse: Callable[[], T], url: str) -> T:
    """``parse()``, with whatever it raises made a ``ParseError`` about ``url``: a parser is a
    pure function of the page, so its failure is the page's, never the run's."""
    try:
        return parse()
    except ParseError:
        raise
    except RecursionError:
        raise ParseError(f"{url}: nested too deeply to parse") from None
    except Exception as exc:
        raise ParseError(f"{url}: could not be parsed ({type(exc).__name__}: {exc})") from exc


class DayBudget:
    """The bytes of every page one date has fetched, held to ``limit``."""

    def __init__(self, limit: int = MAX_BYTES_PER_DAY) -> None:
        self.limit = limit
        self.used = 0
        self.spent = False
        self._over: str | None = None

    def spend(self, size: int, url: str, *, strict: bool = True) -> None:
        """Count a fetched page. Past the limit the budget is ``spent``: ParseError at once
        when ``strict``, else at the next ``check`` (pages fetched side by side)."""
        self.used += size
        if self.used > self.limit and not self.spent:
            self.spent = True
            self._over = (
                f"{url}: the date's pages passed {self.limit // (1024 * 1024)} MiB together"
            )
        if strict:
            self.check()

    def check(self) -> None:
        """ParseError, naming the page that passed the limit, once the budget is spent."""
        if self._over is not None:
            raise ParseError(self._over)
