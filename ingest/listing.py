"""A day's listing: its pages fetched and parsed one after another, through each page's own
"Next" link, its items gathered for the crawl, and the layout's check of the site's own
settings at a run's start.

Shared by the crawl (``pipeline``) and ``inspect``, so both walk a listing the same way: the
same 404 rule, the same refusal lines, the same guard against a pagination loop.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import structlog

from ingest.bounds import MAX_PAGES_PER_DAY, DayBudget, check_items, parse_guarded
from ingest.domain import Captured, WarcLocation
from ingest.errors import FetchError, ParseError, PermanentFetchError
from ingest.fetch import Fetcher, Page
from ingest.sites import Layout, ListingItem, ListingPage
from ingest.turns import Turns

T = TypeVar("T")

log = structlog.get_logger("ingest.listing")


@dataclass(frozen=True, slots=True)
class ListingStep:
    """One page of a day's listing as ``walk_listing`` read it."""

    page: Page
    listing: ListingPage | None  # None: the first page answered 304 Not Modified
    first: bool


@dataclass(frozen=True, slots=True)
class DayListing:
    """A day's listing as the crawl goes on with it."""

    items: list[ListingItem]
    etag: str | None
    last_modified: str | None
    # Where the first page, and the page each item was listed on, lie in the WARC archive.
    first_warc: WarcLocation | None
    warcs: dict[int, WarcLocation | None]  # by id() of the item
    captures: tuple[Captured, ...]  # how the archive kept each page


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """The validators kept for a listing as a conditional request's headers."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


async def read_day_listing(
    fetcher: Fetcher,
    layout: Layout,
    day: date,
    first_url: str,
    validators: Mapping[str, str],
    turns: Turns,
    budget: DayBudget,
) -> DayListing | None:
    """Every item of the day, following each page's own "Next" link to the last page.

    None when the first page answers 304 Not Modified to the ``validators`` kept for it. A
    404 on the first page is read by the layout when its sites answer 404 for a day without
    posts (WordPress). Where an item's own day decides (``item_day_decides``), an item of
    another day is left to that day's listing.
    """
    items: list[ListingItem] = []
    warcs: dict[int, WarcLocation | None] = {}
    captures: list[Captured] = []
    etag = modified = None
    walk = walk_listing(fetcher, layout, first_url, validators, turns, budget)
    async with aclosing(walk) as steps:
        async for step in steps:
            if step.listing is None:
                return None  # 304: the day is as stored
            if step.first and step.page.status == 200:
                headers = step.page.headers
                etag, modified = headers.get("etag"), headers.get("last-modified")
            items.extend(step.listing.items)
            warcs.update((id(item), step.page.warc) for item in step.listing.items)
            if step.page.captured is not None:
                captures.append(step.page.captured)
    first_warc = captures[0].location if captures else None
    of_day = _of_day(items, day, layout.item_day_decides)
    return DayListing(of_day, etag, modified, first_warc, warcs, tuple(captures))


def _of_day(items: list[ListingItem], day: date, item_day_decides: bool) -> list[ListingItem]:
    """The items filed under ``day``: all of them, unless an item's own day decides."""
    others = [item for item in items if item.day is not None and item.day != day]
    if not others:
        return items
    if item_day_decides:
        log.info(
            "items_of_other_days",
            date=day.isoformat(),
            count=len(others),
            days=sorted({item.day.isoformat() for item in others if item.day is not None}),
        )
        return [item for item in items if item.day is None or item.day == day]
    for item in others:
        assert item.day is not None
        log.warning(
            "item_day_mismatch", date=day.isoformat(), item_day=item.day.isoformat(),
            url=item.url,
        )  # fmt: skip
    return items


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
