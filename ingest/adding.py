"""``ingest add``'s look at a site: a few polite requests through the crawl's own fetcher
(robots.txt obeyed, the configured user agent, rate and size cap), what ``discovery`` makes of
the answers, and the chosen layout checked on one recent day as ``inspect`` reads it.

Requests, at most ``MAX_REQUESTS`` (robots.txt included): robots.txt, the page given, the
REST API's index and newest post on WordPress, a feed when no page dates a recent post, one
sitemap (named by robots.txt, else the first of the usual paths that is one), then the day's
listing pages for each candidate until one reads, then the cross-check of that day
(``cross_check_day``): what the sitemaps and the feed place on it that the listing lacks,
whatever the site's ``cross_check`` will say, with the requests left (a page read before is
not asked for again).
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import msgspec

from ingest.adding_check import CrossChecked, cross_check_day
from ingest.bounds import parse_guarded
from ingest.discovery import (
    SITEMAP_PATHS,
    Candidate,
    Findings,
    newest_feed_day,
    newest_listed_day,
    newest_post_day,
    posts_endpoint,
    read_home,
    site_zone,
    sitemap_kind,
    sitemaps_in_robots,
    zone_of_index,
)
from ingest.discovery import candidates as candidates_of
from ingest.errors import FetchError, ParseError
from ingest.fetch import Fetcher, Hosts, Page, RobotsFile
from ingest.listing import walk_listing
from ingest.settings import HttpSettings, SiteSettings, SiteUrl
from ingest.sites import SiteShape, build_layout

MAX_REQUESTS = 10
# A day's pages read for the check: enough to prove the layout, not the whole of a busy day.
CHECK_PAGES = 3
# One try a page: a person waits for the answer, a site that fails says so at once, and the
# count of requests shown is exact.
ADD_ATTEMPTS = 1


@dataclass(frozen=True, slots=True)
class Check:
    """One recent day read with a candidate layout, as ``ingest inspect --date`` reads it."""

    day: date
    count: int
    pages: int
    more: bool  # pages were left unread (the request budget)
    # What ``count`` counts: articles a listing shows; for the sitemap layout, the entries
    # its sitemaps place on the day (``pages``: the sitemaps read).
    sitemaps: bool = False
    listed: tuple[str, ...] = ()  # the URLs the day's listing shows


class SiteUnreadable(Exception):
    """The page given cannot be read: unreachable, refused by robots.txt, an error status."""


@dataclass(frozen=True, slots=True)
class Placement:
    """What ``add`` proposes: the layout chosen, its check, what the others failed on."""

    findings: Findings
    chosen: Candidate
    check: Check | None
    tried: tuple[tuple[Candidate, str], ...]
    requests: int
    cross_checked: CrossChecked | None = None


def place_site(base_url: str, start_url: str, http: HttpSettings, today: date) -> Placement:
    """Look at the site and choose; SiteUnreadable when its first page cannot be read."""
    return asyncio.run(_place(base_url, start_url, http, today))


class _Budget:
    """The fetcher, counted: optional looks stop when the requests run out."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self._answers: dict[str, Page] = {}

    @property
    def spent(self) -> int:
        stats = self.fetcher.stats
        return stats.pages_fetched + stats.pages_failed + stats.pages_not_modified

    @property
    def left(self) -> int:
        return MAX_REQUESTS - 1 - self.spent  # robots.txt's read is not in the stats

    async def get(self, url: str, accept: str = "text/html,*/*;q=0.5") -> Page | None:
        """The answer (a 404 included), or None: no request left, refused, or failed. A URL
        answered before is not asked for again."""
        if url in self._answers:
            return self._answers[url]
        if self.left <= 0 or not self.fetcher.may_fetch(url):
            return None
        try:
            page = await self.fetcher.get(
                url, kind="probe", headers={"Accept": accept}, missing_ok=True
            )
        except FetchError as exc:
            if exc.status is None:
                return None
            # An answer, not a network failure.
            page = Page(url=url, status=exc.status, body=b"", headers={}, attempts=1)
        self._answers[url] = page
        return page


async def _place(base_url: str, start_url: str, http: HttpSettings, today: date) -> Placement:
    http = msgspec.structs.replace(http, max_attempts=min(http.max_attempts, ADD_ATTEMPTS))
    site = SiteSettings(name="add", base_url=SiteUrl(base_url), http=http)
    hosts = Hosts()
    async with Fetcher(site, http, hosts) as fetcher:
        await fetcher.load_robots()
        robots_url = urljoin(base_url, "/robots.txt")
        robots = await hosts.robots(robots_url, _never)  # the read load_robots shares
        hosts.done_with_robots(robots_url)
        budget = _Budget(fetcher)
        try:
            home = await fetcher.get(start_url, kind="probe", missing_ok=True)
        except FetchError as exc:
            raise SiteUnreadable(f"cannot read {start_url}: {exc}") from None
        found = Findings(
            base_url=base_url,
            start_url=start_url,
            today=today,
            home=read_home(home.markup, home.url, home.headers),
            home_status=home.status,
        )
        found = await _wordpress(budget, found, home)
        found = await _sitemaps(budget, found, robots.text)
        chosen, check, tried = await _choose(budget, found, site)
        crossed = None
        if check is not None and not check.sitemaps and not check.more:
            zone = site_zone(found).name
            crossed = await cross_check_day(budget, found, check.day, check.listed, zone)
        return Placement(found, chosen, check, tuple(tried), budget.spent + 1, crossed)


async def _never() -> RobotsFile:
    raise AssertionError("robots.txt was read by load_robots")


async def _wordpress(budget: _Budget, found: Findings, home: Page) -> Findings:
    """The REST API's zone and newest post; else the newest day the home page or the feed
    dates (the archive's check reads it)."""
    signals = found.home
    if not signals.wordpress:
        return found
    if signals.api_root is not None:
        index = await budget.get(signals.api_root, "application/json")
        if index is not None and index.status == 200:
            found = replace(found, zone=zone_of_index(index.body))
        posts_url = posts_endpoint(signals.api_root) + "?per_page=1&orderby=date&order=desc"
        posts = await budget.get(posts_url, "application/json")
        if posts is not None:
            newest = newest_post_day(posts.body) if posts.status == 200 else None
            found = replace(found, api_status=posts.status, newest_post=newest)
    if found.newest_post is None:
        found = replace(found, newest_listed=_listed_day(found, home))
        if found.newest_listed is None and signals.feeds:
            feed = await budget.get(signals.feeds[0].url, "application/rss+xml, */*;q=0.5")
            if feed is not None and feed.status == 200:
                found = replace(found, newest_listed=newest_feed_day(feed.body))
    return found


def _listed_day(found: Findings, home: Page) -> date | None:
    """The newest day the home page lists, read as the ``wordpress`` layout reads a listing
    (most themes' front page is the latest posts)."""
    if home.status != 200:
        return None
    layout = build_layout("wordpress", _shape(found.base_url, "wordpress", None, "UTC"))
    try:
        listing = layout.parse_listing(home.markup, home.url, home.headers)
    except (ParseError, ValueError):
        return None
    return newest_listed_day(listing.items)


async def _sitemaps(budget: _Budget, found: Findings, robots: str | None) -> Findings:
    """robots.txt's ``Sitemap:`` lines (the first one read to say what it is), else the
    first of the usual paths that answers with a sitemap."""
    named = sitemaps_in_robots(robots, found.base_url)
    if named:
        page = await budget.get(named[0], "application/xml, text/xml, */*;q=0.5")
        first = "named by robots.txt"
        if page is not None and page.status != 200:
            first += f"; it answers HTTP {page.status}"
        elif page is not None:
            first += f"; {sitemap_kind(page.body) or 'not a sitemap'}"
        rest = tuple((url, "named by robots.txt") for url in named[1:])
        return replace(found, sitemaps=((named[0], first), *rest))
    for path in SITEMAP_PATHS:
        url = found.base_url + path
        page = await budget.get(url, "application/xml, text/xml, */*;q=0.5")
        kind = sitemap_kind(page.body) if page is not None and page.status == 200 else None
        if kind is not None:
            return replace(found, sitemaps=((url, kind),))
    return found


async def _choose(
    budget: _Budget, found: Findings, site: SiteSettings
) -> tuple[Candidate, Check | None, list[tuple[Candidate, str]]]:
    """The first candidate whose layout reads its day; the skeleton when none does."""
    tried: list[tuple[Candidate, str]] = []
    zone = site_zone(found).name
    for candidate in candidates_of(found):
        if candidate.day is None:
            return candidate, None, tried
        if budget.left <= 0:
            tried.append((candidate, "not checked: the requests ran out"))
            continue
        try:
            if candidate.layout == "sitemap":
                check = await check_sitemaps(budget, found.base_url, candidate, zone)
            else:
                check = await check_day(budget.fetcher, found.base_url, candidate, zone)
        except (FetchError, ParseError, ValueError) as exc:
            tried.append((candidate, str(exc)))
            continue
        return candidate, check, tried
    raise AssertionError("the skeleton ends every list of candidates")


async def check_day(fetcher: Fetcher, base_url: str, candidate: Candidate, zone: str) -> Check:
    """The candidate's day read with its layout, page after page through the "Next" links as
    ``inspect`` walks it (the same ``walk_listing``), up to ``CHECK_PAGES`` pages."""
    assert candidate.day is not None
    layout = build_layout(candidate.layout, _shape(base_url, candidate.layout, candidate, zone))
    count = pages = 0
    more = False
    listed: list[str] = []
    walk = walk_listing(fetcher, layout, layout.listing_url(candidate.day))
    async with aclosing(walk) as steps:
        async for step in steps:
            assert step.listing is not None  # no validators were sent: no 304
            pages += 1
            count += len(step.listing.items)
            listed += (item.url for item in step.listing.items)
            if pages >= CHECK_PAGES and step.listing.next_url is not None:
                more = True
                break
    return Check(candidate.day, count, pages, more, listed=tuple(listed))


async def check_sitemaps(budget: _Budget, base_url: str, candidate: Candidate, zone: str) -> Check:
    """The newest day the sitemaps place entries on, and how many they place on it: the
    start sitemap and, of an index, the children changed last (as many as the requests
    left), read in the index's order with the first entry of a URL kept, as a crawl of the
    day reads them (``ingest/sitemap_day.py``)."""
    from ingest.sites.sitemap import SitemapLayout
    from ingest.sites.sitemap_xml import SitemapFile, as_day

    layout = build_layout("sitemap", _shape(base_url, "sitemap", candidate, zone))
    assert isinstance(layout, SitemapLayout)
    tz = ZoneInfo(zone)

    async def read(url: str) -> SitemapFile:
        page = await budget.fetcher.get(url, kind="sitemap", headers={"Accept": layout.accept})
        return parse_guarded(lambda: layout.parse_sitemap(page.body, page.url), page.url)

    root = await read(layout.sitemap_url)
    files, more = [root], False
    if root.index:
        room = max(budget.left, 1)
        newest = sorted(root.children, key=lambda r: as_day(r.lastmod, tz) or date.min)[-room:]
        more = len(root.children) > room
        files += [await read(ref.url) for ref in root.children if ref in newest]
    placed: dict[str, date | None] = {}
    for sitemap in files:
        for entry in sitemap.entries:
            placed.setdefault(entry.url, entry.hint_day(tz))
    day = max((d for d in placed.values() if d is not None), default=None)
    if day is None:
        raise ParseError(f"{layout.sitemap_url}: its sitemaps place no entry on a day")
    count = sum(1 for placed_on in placed.values() if placed_on == day)
    return Check(day, count, len(files), more, sitemaps=True)


def _shape(base_url: str, layout: str, candidate: Candidate | None, zone: str) -> SiteShape:
    """What ``layout`` is built from on this site, as the settings would build it."""
    site = SiteSettings(name="add", base_url=SiteUrl(base_url), timezone=ZoneInfo(zone))
    path = candidate.listing_path if candidate is not None else None
    selectors = candidate.selectors if candidate is not None else {}
    return site.shape_of(layout, path, selectors)
