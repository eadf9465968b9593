"""A day's listing: its pages fetched and parsed one after another, through each page's own
"Next" link, and the layout's check of the site's own settings at a run's start.

Shared by the crawl (``pipeline``) and ``inspect``, so both walk a listing the same way: the
same 404 rule, the same refusal lines, the same guard against a pagination loop.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass

import structlog

from ingest.errors import FetchError, ParseError, PermanentFetchError
from ingest.fetch import Fetcher, Page
from ingest.sites import Layout, ListingPage
from ingest.turns import Turns

log = structlog.get_logger("ingest.listing")

# A day listing longer than this is a pagination loop, not news.
MAX_LISTING_PAGES = 200


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
) -> AsyncGenerator[ListingStep, None]:
    """Each page of a day's listing, fetched and parsed, following every page's own "Next"
    link to the last page; the crawl's walk and ``inspect``'s.

    ``validators`` (If-None-Match, If-Modified-Since) go with the first request; a 304 ends
    the walk. A 404 on the first page is the layout's to read (``missing_day``). A page seen
    twice, or more than ``MAX_LISTING_PAGES``, is a pagination loop (ParseError). With
    ``turns``, each page's parsing waits for the CPU's turn after its fetch.
    """
    headers = {"Accept": layout.accept, **(validators or {})}
    url: str | None = first_url
    seen: set[str] = set()
    while url is not None:
        if url in seen or len(seen) >= MAX_LISTING_PAGES:
            raise ParseError(f"pagination loop at {url}")
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
        if turns is not None:
            await turns.take()
        if page.status == 304:
            yield ListingStep(page, None, first)
            return
        seen.add(url)
        headers = {"Accept": layout.accept}
        if page.status == 404:
            yield ListingStep(page, layout.missing_day(page.markup, page.url), first)
            return
        listing = layout.parse_listing(page.markup, page.url, page.headers)
        if listing.skipped_items:
            log.warning("listing_items_skipped", url=page.url, count=listing.skipped_items)
        yield ListingStep(page, listing, first)
        url = listing.next_url


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
    notice = layout.check_index(page.markup, page.url)
    if notice is not None:
        log.warning("site_settings_differ", url=url, notice=notice)
