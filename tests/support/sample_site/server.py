"""The test suite's sample server: the product's K2 server, serving every flavour of the
corpus at once (see ``flavours``), with conditional GETs, a request log, latency and fault
injection.

K2 routes beyond the product's (``pagination`` picks how further pages of a day are
addressed): ``/date/Y/M/D.html?catid=N`` filters; with "start" pagination ``?start=N``
offsets and ``/date/Y/M/D/Page-N.html`` is 404. WordPress and plain HTML routes are in
``routes``, the REST API (``/wp-json/``) in ``rest``. Listings of every HTML flavour carry
``ETag`` and ``Last-Modified`` and answer conditional requests with 304.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Literal
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from ingest import sample_site
from ingest.sample_site.server import Response, listing_page
from tests.support.sample_site.content import SampleSite
from tests.support.sample_site.faults import Faults
from tests.support.sample_site.feeds import FEED_PATH, feed_response
from tests.support.sample_site.flavours import (
    API_CATEGORIES_PATH,
    API_POSTS_PATH,
    API_ROOT,
    PLAIN_LISTING_PATH,
    WORDPRESS_LISTING_PATH,
    Flavour,
    day_path,
)
from tests.support.sample_site.responses import Conditional, FaultHandler
from tests.support.sample_site.rest import RestApi
from tests.support.sample_site.routes import WORDPRESS_PATH, FlavourPages
from tests.support.sample_site.sitemaps import INDEX_PATH, Sitemaps

# The product's robots.txt, and the WordPress and plain flavours' disallowed paths.
DEFAULT_ROBOTS = """User-agent: *
Disallow: /administrator/
Disallow: /cache/
Disallow: /media-center/private/
Disallow: /private/
Disallow: /tmp/
Disallow: /wp-admin/
"""
DEFAULT_API_SPAN = (date(2020, 1, 1), date(2020, 3, 31))

Pagination = Literal["page", "start"]


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # with query
    status: int  # 0 when the connection was dropped without a response
    time: float  # time.time() when the response was sent


def _int_param(query: dict[str, list[str]], name: str) -> int | None:
    values = query.get(name)
    if not values:
        return None
    try:
        return int(values[0])
    except ValueError:
        return None


class SampleSiteServer(sample_site.SampleSiteServer):
    """Serve a ``SampleSite`` on ``127.0.0.1`` at a free port; a context manager.

    Every flavour at once (see ``flavours``): the listing paths below are format strings of
    ``year``, ``month`` and ``day``. ``rest_api=False`` answers the REST API with
    ``rest_disabled_status`` (401 or 403, ``rest_disabled``), as a site that turned it off;
    ``api_span`` is the first and last day an API query without ``after``/``before`` sees.
    ``faults`` injects failures; ``latency_seconds`` delays every answer. The sitemaps
    (``sitemaps``: an index, a gzip child, a news sitemap) cover ``api_span`` too;
    ``sitemap_only=True`` serves a site without date archives: robots.txt (naming the index in
    a ``Sitemap:`` line), the sitemaps and the WordPress post pages, without the REST API's
    ``Link`` header; anything else answers 404. ``feed_day`` set, ``/feed/`` is the RSS feed of
    the newest posts up to that day (``feeds``). ``hidden_from_listing``: ids of posts the
    WordPress date archives leave out (a listing that hides some); every other source shows
    them.
    """

    wordpress_listing_path = WORDPRESS_LISTING_PATH
    plain_listing_path = PLAIN_LISTING_PATH
    api_path = API_POSTS_PATH
    categories_path = API_CATEGORIES_PATH
    handler = FaultHandler
    site: SampleSite

    def __init__(
        self,
        site: SampleSite,
        *,
        pagination: Pagination = "page",
        latency_seconds: float = 0.0,
        robots_txt: str | None = DEFAULT_ROBOTS,
        rest_api: bool = True,
        rest_disabled_status: int = 401,
        api_span: tuple[date, date] = DEFAULT_API_SPAN,
        sitemap_only: bool = False,
    ) -> None:
        if pagination not in ("page", "start"):
            raise ValueError(f"unknown pagination {pagination!r}")
        if rest_disabled_status not in (401, 403):
            raise ValueError("rest_disabled_status must be 401 or 403")
        super().__init__(site, robots_txt=robots_txt)
        self.pagination: Pagination = pagination
        self.latency_seconds = latency_seconds
        self.rest_api = rest_api
        self.rest_disabled_status = rest_disabled_status
        self.api_span = api_span
        self.sitemap_only = sitemap_only
        self.feed_day: date | None = None  # the feed's "today" (feeds.py); None: no feed
        self.hidden_from_listing: frozenset[int] = frozenset()
        if sitemap_only:
            self.rest_api = False
        self.faults = Faults()
        self._requests: list[RequestRecord] = []
        self._conditional = Conditional()

    def start(self) -> SampleSiteServer:
        super().start()
        return self

    def __enter__(self) -> SampleSiteServer:
        return self.start()

    def listing_url(self, day: date, flavour: Flavour = "k2") -> str:
        """The absolute URL of ``day``'s first listing page in ``flavour``; for the REST API,
        the day's posts: ``after`` the day before's last second, ``before`` the next midnight
        (both bounds are exclusive)."""
        if flavour == "wordpress-api":
            after = datetime.combine(day - timedelta(days=1), dt_time(23, 59, 59))
            before = datetime.combine(day + timedelta(days=1), dt_time())
            query = urlencode({"after": after.isoformat(), "before": before.isoformat()})
            return f"{self.base_url}{self.api_path}?{query}"
        template = {
            "k2": self.listing_path,
            "wordpress": self.wordpress_listing_path,
            "plain": self.plain_listing_path,
        }[flavour]
        return self.base_url + day_path(template, day)

    # -- instrumentation ---------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of every request answered so far, in order."""
        with self._lock:
            return list(self._requests)

    def count(self, path_prefix_or_predicate: str | Callable[[str], bool]) -> int:
        """How many requests had a path (with query) starting with the prefix / matching."""
        match = path_prefix_or_predicate
        predicate = match if callable(match) else (lambda path: path.startswith(match))
        return sum(1 for record in self.requests if predicate(record.path))

    def paths_requested(self) -> list[str]:
        return [record.path for record in self.requests]

    @property
    def not_modified_count(self) -> int:
        return sum(1 for record in self.requests if record.status == 304)

    def reset_counters(self) -> None:
        with self._lock:
            self._requests.clear()

    def record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._requests.append(RequestRecord(method, path, status, time.time()))

    # -- routing -----------------------------------------------------------------------------

    def respond(self, target: str, headers: dict[str, str]) -> Response:
        """The normal (fault-free) response to a GET of ``target`` (path with query)."""
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        sitemap = Sitemaps(self.site, self.base_url, self.api_span).respond(path)
        if sitemap is not None:
            return sitemap
        if path == FEED_PATH:
            feed = feed_response(self.site, self.base_url, self.feed_day)
            return feed if feed is not None else self.not_found()
        if self.sitemap_only:
            return self._sitemap_only(path, query, target, headers)
        listed = listing_page(path)
        if listed is not None:
            return self._listing(*listed, "/Page-" in path, query, target, headers)
        if path == API_ROOT.rstrip("/") or path.startswith(API_ROOT):
            api = RestApi(
                self.site, self.base_url, self.api_span, self.rest_api, self.rest_disabled_status
            )
            return api.respond(path, parse_qsl(parts.query, keep_blank_values=True))
        pages = FlavourPages(
            self.site, self.base_url, self._conditional, self.rest_api, self.hidden_from_listing
        )
        for route in (pages.wordpress, pages.plain):
            answer = route(path, query, target, headers)
            if answer is not None:
                return answer
        return super().respond(target, headers)

    def _sitemap_only(
        self, path: str, query: dict[str, list[str]], target: str, headers: dict[str, str]
    ) -> Response:
        """A site without date archives: robots.txt, its post pages, else 404."""
        if path == "/robots.txt" and self.robots_txt is not None:
            robots = f"{self.robots_txt}\nSitemap: {self.base_url}{INDEX_PATH}\n"
            return Response(200, robots.encode(), "text/plain; charset=utf-8")
        pages = FlavourPages(self.site, self.base_url, self._conditional, api=False)
        post = WORDPRESS_PATH.fullmatch(path)
        if post is not None and post.group(6) and path.endswith("/"):  # a post, not an archive
            answer = pages.wordpress(path, query, target, headers)
            if answer is not None:
                return answer
        return self.not_found()

    def _listing(
        self,
        day: date,
        page: int,
        page_path: bool,
        query: dict[str, list[str]],
        target: str,
        headers: dict[str, str],
    ) -> Response:
        """K2's listing as the product serves it, with ``?catid=N``, "start" pagination and
        conditional GETs; ``page_path``: the path names its page (``/Page-N.html``)."""
        if page_path and self.pagination != "page":
            return self.not_found()
        catid = _int_param(query, "catid")
        offset = (page - 1) * self.site.page_size
        if self.pagination == "start":
            offset = max(0, _int_param(query, "start") or 0)
        html_text = self.listing_html(
            day,
            self.site.articles_on(day, catid=catid),
            offset,
            lambda n: self._page_href(day, n, catid),
        )
        return self._conditional(target, html_text.encode(), headers)

    def _page_href(self, day: date, page: int, catid: int | None) -> str:
        stem = f"/date/{day.year}/{day.month}/{day.day}"
        params: dict[str, int] = {} if catid is None else {"catid": catid}
        if self.pagination == "start":
            if page > 1:
                params["start"] = (page - 1) * self.site.page_size
            path = f"{stem}.html"
        else:
            path = f"{stem}.html" if page <= 1 else f"{stem}/Page-{page}.html"
        return f"{path}?{urlencode(params)}" if params else path
