"""A day's listing: its pages fetched and parsed one after another, through each page's own
"Next" link, and the layout's check of the site's own settings at a run's start.

Shared by the crawl (``pipeline``) and ``inspect``, so both walk a listing the same way: the
same 404 rule, the same refusal lines, the same guard against a pagination loop.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import structlog

from ingest.bounds import MAX_PAGES_PER_DAY, DayBudget, check_items, parse_guarded
from ingest.errors import FetchError, ParseError, PermanentFetchError
from ingest.fetch import Fetcher, Page
from ingest.sites import Layout, ListingPage
from ingest.turns import Turns

T = TypeVar("T")

log = structlog.get_logger("ingest.listing")


@dataclass(frozen=True, slots=True)
class ListingStep:
    """One page of a day's listing as ``walk_listing`` read it."""

    page: Page
    listing: ListingPage | None  # None: the first page answered 304 Not Modified
    first: bool


async def walk_listing(
    fetcher: Fetcher,
    layout: Layout,
    first_url: str,
    validators: Mapping[str, str] | None = None,
    turns: Turns | None = None,
    budget: DayBudget | None = None,
) -> AsyncGenerator[ListingStep, None]:
    """Each page of a day's listing, fetched and parsed, following every page's own "Next"
    link to the last page; the crawl's walk and ``inspect``'s.

    ``validators`` (If-None-Match, If-Modified-Since) go with the first request; a 304 ends
    the walk. A 404 on the first page is the layout's to read (``missing_day``). A page seen
    twice is a pagination loop (ParseError), and so are more pages than ``MAX_PAGES_PER_DAY``
    or a page of more than ``MAX_ITEMS_PER_PAGE`` items (``bounds``). With ``turns``, each
    page is parsed on the parse thread in its turn after its fetch; ``budget`` counts the
    bytes of the date's pages.
    """
    headers = {"Accept": layout.accept, **(validators or {})}
    url: str | None = first_url
    seen: set[str] = set()
    while url is not None:
        if url in seen:
            raise ParseError(f"pagination loop at {url}")
        if len(seen) >= MAX_PAGES_PER_DAY:
            raise ParseError(f"{url}: more than {MAX_PAGES_PER_DAY} listing pages for one date")
        first = not seen
        try:
            page = await fetcher.get(
                url, kind="listing", headers=headers, missing_ok=first and layout.reads_missing_day
            )
        except PermanentFetchError as exc:
            # The layout may know what a refusal means (wordpress-api: the API is off).
            refusal = layout.refusal(exc.status) if first and exc.status else None
            if refusal is None:
                raise
            raise PermanentFetchError(refusal, url=url, status=exc.status) from exc
        if budget is not None:
            budget.spend(len(page.body), page.url)
        if page.status == 304:
            if turns is not None:
                await turns.take()
            yield ListingStep(page, None, first)
            return
        seen.add(url)
        headers = {"Accept": layout.accept}
        if page.status == 404:
            missing = await _parsed(turns, _missing_day(layout, page), page.url)
            yield ListingStep(page, missing, first)
            return
        listing = await _parsed(turns, _listing_page(layout, page), page.url)
        check_items(len(listing.items), page.url)
        if listing.skipped_items:
            log.warning("listing_items_skipped", url=page.url, count=listing.skipped_items)
        yield ListingStep(page, listing, first)
        url = listing.next_url


def _listing_page(layout: Layout, page: Page) -> Callable[[], ListingPage]:
    return lambda: layout.parse_listing(page.markup, page.url, page.headers)


def _missing_day(layout: Layout, page: Page) -> Callable[[], ListingPage]:
    return lambda: layout.missing_day(page.markup, page.url)


async def _parsed(turns: Turns | None, parse: Callable[[], T], url: str) -> T:
    """``parse()``'s result: on the parse thread in the task's turn with ``turns``, else here;
    whatever it raises is a ParseError about ``url``."""
    if turns is None:
        return parse_guarded(parse, url)
    return await turns.run(lambda: parse_guarded(parse, url))


async def check_site_index(layout: Layout, fetcher: Fetcher) -> None:
    """Read the layout's index page (the REST API's ``/wp-json/``) once at a run's start and
    log in one line where the site's own settings differ from the configuration
    (``site_settings_differ``: another time zone). Never fails the run: an index that cannot
    be read is logged and passed over."""
    url = layout.index_url
    if url is None:
        return
    try:
        page = await fetcher.get(url, kind="index", headers={"Accept": "application/json"})
    except FetchError as exc:
        log.info("site_index_unreadable", url=url, reason=str(exc))
        return
    try:
        notice = parse_guarded(lambda: layout.check_index(page.markup, page.url), page.url)
    except ParseError as exc:
        log.info("site_index_unreadable", url=url, reason=str(exc))
        return
    if notice is not None:
        log.warning("site_settings_differ", url=url, notice=notice)
