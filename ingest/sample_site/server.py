"""A threaded loopback HTTP server for a ``SampleSite``, with request log and fault injection.

It serves every flavour of the corpus at once (see ``flavours``). K2 routes (``pagination``
picks how further pages of a day are addressed):

- ``/robots.txt``: ``robots_txt`` (404 when None);
- ``/date/Y/M/D.html`` (``?catid=N`` filters; with "start" pagination ``?start=N`` offsets);
- ``/date/Y/M/D/Page-N.html`` with "page" pagination (N is 1-based);
- each article's ``url_path`` (private ones too: robots.txt asks, it does not enforce).

WordPress and plain HTML routes are in ``routes``, the REST API (``/wp-json/``) in ``rest``;
anything else answers 404. Listings of every HTML flavour carry ``ETag`` and
``Last-Modified`` and answer conditional requests with 304.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from types import TracebackType
from typing import Literal
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from ingest.sample_site.article import SampleArticle
from ingest.sample_site.content import SampleSite
from ingest.sample_site.faults import Faults
from ingest.sample_site.flavours import (
    API_CATEGORIES_PATH,
    API_POSTS_PATH,
    API_ROOT,
    K2_LISTING_PATH,
    PLAIN_LISTING_PATH,
    WORDPRESS_LISTING_PATH,
    Flavour,
    day_path,
)
from ingest.sample_site.render import render_article, render_listing, render_not_found
from ingest.sample_site.responses import (
    TEXT_TYPE,
    Conditional,
    Handler,
    LoopbackHTTPServer,
    Response,
)
from ingest.sample_site.rest import RestApi
from ingest.sample_site.routes import FlavourPages

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


def _parse_day(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _int_param(query: dict[str, list[str]], name: str) -> int | None:
    values = query.get(name)
    if not values:
        return None
    try:
        return int(values[0])
    except ValueError:
        return None


class SampleSiteServer:
    """Serve a ``SampleSite`` on ``127.0.0.1`` at a free port; a context manager.

    Every flavour at once (see ``flavours``): the listing paths below are format strings of
    ``year``, ``month`` and ``day``. ``rest_api=False`` answers the REST API with
    ``rest_disabled_status`` (401 or 403, ``rest_disabled``), as a site that turned it off;
    ``api_span`` is the first and last day an API query without ``after``/``before`` sees.
    """

    listing_path = K2_LISTING_PATH
    wordpress_listing_path = WORDPRESS_LISTING_PATH
    plain_listing_path = PLAIN_LISTING_PATH
    api_path = API_POSTS_PATH
    categories_path = API_CATEGORIES_PATH

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
    ) -> None:
        if pagination not in ("page", "start"):
            raise ValueError(f"unknown pagination {pagination!r}")
        if rest_disabled_status not in (401, 403):
            raise ValueError("rest_disabled_status must be 401 or 403")
        self.site = site
        self.pagination: Pagination = pagination
        self.latency_seconds = latency_seconds
        self.robots_txt = robots_txt
        self.rest_api = rest_api
        self.rest_disabled_status = rest_disabled_status
        self.api_span = api_span
        self.faults = Faults()
        self._lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._conditional = Conditional()
        self._connections: set[socket.socket] = set()
        self._httpd: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SampleSiteServer:
        if self._httpd is not None:
            return self
        httpd = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        # Kept-alive connections would otherwise still be served after stop().
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SampleSiteServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

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

    def _record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._requests.append(RequestRecord(method, path, status, time.time()))

    def _track(self, conn: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # -- routing -----------------------------------------------------------------------------

    def respond(self, target: str, headers: dict[str, str]) -> Response:
        """The normal (fault-free) response to a GET of ``target`` (path with query)."""
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/robots.txt":
            if self.robots_txt is None:
                return self._not_found()
            return Response(200, self.robots_txt.encode(), TEXT_TYPE)
        segments = path.split("/")
        # /date/Y/M/D.html  or  /date/Y/M/D/Page-N.html
        if len(segments) in (5, 6) and segments[1] == "date":
            return self._listing(segments, query, target, headers)
        if path == API_ROOT.rstrip("/") or path.startswith(API_ROOT):
            api = RestApi(
                self.site, self.base_url, self.api_span, self.rest_api, self.rest_disabled_status
            )
            return api.respond(path, parse_qsl(parts.query, keep_blank_values=True))
        pages = FlavourPages(self.site, self.base_url, self._conditional, self.rest_api)
        for route in (pages.wordpress, pages.plain):
            answer = route(path, query, target, headers)
            if answer is not None:
                return answer
        article = self.site.article_at(path)
        if article is not None:
            return self._article(article)
        return self._not_found()

    def _not_found(self) -> Response:
        return Response(404, render_not_found().encode())

    def _listing(
        self,
        segments: list[str],
        query: dict[str, list[str]],
        target: str,
        headers: dict[str, str],
    ) -> Response:
        page = 1
        if len(segments) == 5:
            if not segments[4].endswith(".html"):
                return self._not_found()
            year, month, day_s = segments[2], segments[3], segments[4].removesuffix(".html")
        else:
            name = segments[5]
            if self.pagination != "page" or not (
                name.startswith("Page-") and name.endswith(".html")
            ):
                return self._not_found()
            number = name.removeprefix("Page-").removesuffix(".html")
            if not number.isdigit() or int(number) < 1:
                return self._not_found()
            year, month, day_s, page = segments[2], segments[3], segments[4], int(number)
        day = _parse_day(year, month, day_s)
        if day is None:
            return self._not_found()
        catid = _int_param(query, "catid")
        size = self.site.page_size
        items = self.site.articles_on(day, catid=catid)
        offset = (page - 1) * size
        if self.pagination == "start" and len(segments) == 5:
            offset = max(0, _int_param(query, "start") or 0)
            page = offset // size + 1
        total_pages = max(1, -(-len(items) // size))
        on_page = items[offset : offset + size]
        if not on_page:
            page, total_pages = 1, 1  # past the end: K2's "No results found!"

        def href(n: int) -> str:
            return self._page_href(day, n, catid)

        has_next = offset + size < len(items)
        html_text = render_listing(
            on_page,
            day=day,
            page=page,
            total_pages=total_pages,
            next_href=href(page + 1) if has_next else None,
            base_url=self.base_url,
            page_href=href,
            sidebar=self.site.latest_before(day),
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

    def _article(self, article: SampleArticle) -> Response:
        same_day = self.site.articles_on(article.day)
        index = next((i for i, a in enumerate(same_day) if a.id == article.id), 0)
        html_text = render_article(
            article,
            base_url=self.base_url,
            related=self.site.latest_before(article.day)[:3],
            previous=same_day[index - 1] if index > 0 else None,
            following=same_day[index + 1] if index + 1 < len(same_day) else None,
            sidebar=self.site.latest_before(article.day),
        )
        return Response(200, html_text.encode())
