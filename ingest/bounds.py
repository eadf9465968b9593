"""What one site's pages may cost: bounds that turn a hostile or broken page into a failed
date, named in one line, instead of a stalled process or a crashed run.

A crawl shares one process among many sites, so one site's page must not take the CPU, the
memory or the run from the others:

- **Nesting depth.** An HTML5 parser checks the stack of open elements on each tag, so a page
  nested N deep costs about N² (Lexbor: 10k levels 0.13 s, 50k 2.6 s, 100k 11 s). A page nested
  deeper than ``MAX_DEPTH`` is refused before it is parsed (``check_depth``); real pages stay
  under about a hundred (WordPress's block themes: 65 to 101). It is checked where HTML is
  parsed (``sites.base.html_tree``, ``text.MAX_DEPTH``).
- **Items per listing page, pages and bytes per date.** A listing of 200 pages of 50,000 items
  held 2.8 GB. ``MAX_ITEMS_PER_PAGE``, ``MAX_PAGES_PER_DAY`` and ``MAX_BYTES_PER_DAY`` (every
  page the date fetched, listing and articles, ``DayBudget``) keep a date's memory bounded.
- **Anything a parser raises.** Parsers are pure functions of a page's bytes, so whatever one
  raises (a ``RecursionError`` from JSON nested 100k deep, a bug meeting markup nobody foresaw)
  is about that page: ``parse_guarded`` makes it a ``ParseError``, which fails the date.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ingest.errors import ParseError

T = TypeVar("T")

MAX_ITEMS_PER_PAGE = 1000
MAX_PAGES_PER_DAY = 200
MAX_BYTES_PER_DAY = 64 * 1024 * 1024


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
