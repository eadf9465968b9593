"""A threaded loopback HTTP server for a ``SampleSite``, with request log and fault injection.

Routes (``pagination`` picks how further pages of a day are addressed):

- ``/robots.txt``: ``robots_txt`` (404 when None);
- ``/date/Y/M/D.html`` (``?catid=N`` filters; with "start" pagination ``?start=N`` offsets);
- ``/date/Y/M/D/Page-N.html`` with "page" pagination (N is 1-based);
- each article's ``url_path`` (private ones too: robots.txt asks, it does not enforce);
- anything else: 404.

Listings carry ``ETag`` and ``Last-Modified`` and answer conditional requests with 304.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal
from urllib.parse import parse_qs, urlencode, urlsplit

from ingest.sample_site.article import SampleArticle
from ingest.sample_site.content import SampleSite
from ingest.sample_site.faults import Delay, Drop, Faults, Oversize, Status, Truncate
from ingest.sample_site.render import render_article, render_listing, render_not_found
from ingest.sample_site.responses import HTML_TYPE, TEXT_TYPE, Conditional, Response

DEFAULT_ROBOTS = """User-agent: *
Disallow: /administrator/
Disallow: /cache/
Disallow: /media-center/private/
Disallow: /tmp/
"""
_CHUNK = 64 * 1024

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
    """Serve a ``SampleSite`` on ``127.0.0.1`` at a free port; a context manager."""

    listing_path = "/date/{year}/{month}/{day}.html"

    def __init__(
        self,
        site: SampleSite,
        *,
        pagination: Pagination = "page",
        latency_seconds: float = 0.0,
        robots_txt: str | None = DEFAULT_ROBOTS,
    ) -> None:
        if pagination not in ("page", "start"):
            raise ValueError(f"unknown pagination {pagination!r}")
        self.site = site
        self.pagination: Pagination = pagination
        self.latency_seconds = latency_seconds
        self.robots_txt = robots_txt
        self.faults = Faults()
        self._lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._conditional = Conditional()
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SampleSiteServer:
        if self._httpd is not None:
            return self
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
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

    def listing_url(self, day: date) -> str:
        """The absolute URL of ``day``'s first listing page."""
        path = self.listing_path.format(year=day.year, month=day.month, day=day.day)
        return self.base_url + path

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


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for a Delay() to finish
    owner: SampleSiteServer

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: clients hanging up mid-response are part of the tests."""


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, as real clients pool connections
    server_version = "Apache"
    sys_version = ""
    timeout = 30  # idle keep-alive connections
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, open_=True)

    def finish(self) -> None:
        self.server.owner._track(self.connection, open_=False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: no request log on stderr."""

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        owner = self.server.owner
        target = self.path
        if owner.latency_seconds > 0:
            time.sleep(owner.latency_seconds)
        action = owner.faults.next_action(target)
        try:
            self._serve_action(owner, target, action, head=head)
        except OSError:
            self.close_connection = True  # the client went away

    def _serve_action(
        self,
        owner: SampleSiteServer,
        target: str,
        action: Status | Drop | Delay | Truncate | Oversize | None,
        *,
        head: bool,
    ) -> None:
        # Each branch records before answering: a client that has its answer must find
        # its request in the log.
        if isinstance(action, Drop):
            owner._record(self.command, target, 0)
            self._hang_up()
            return
        if isinstance(action, Status):
            extra = {} if action.retry_after is None else {"Retry-After": f"{action.retry_after:g}"}
            owner._record(self.command, target, action.code)
            self._send(Response(action.code, action.body.encode(), headers=extra), head=head)
            return
        if isinstance(action, Oversize):
            owner._record(self.command, target, 200)
            self._send_oversize(action.n_bytes, head=head)
            return
        if isinstance(action, Delay):
            time.sleep(action.seconds)
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = owner.respond(target, headers)
        owner._record(self.command, target, response.status)
        if isinstance(action, Truncate):
            self._send(response, head=False, truncate=True)
            self._hang_up()
        else:
            self._send(response, head=head)

    def _send(self, response: Response, *, head: bool, truncate: bool = False) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if head or response.status == 304:
            return
        body = response.body[: len(response.body) // 2] if truncate else response.body
        self.wfile.write(body)

    def _send_oversize(self, n_bytes: int, *, head: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", HTML_TYPE)
        self.send_header("Content-Length", str(n_bytes))
        self.end_headers()
        if head:
            return
        filler = b"<p>oversize</p>\n" * (_CHUNK // 16)
        remaining = n_bytes
        while remaining > 0:
            chunk = filler[: min(remaining, len(filler))]
            self.wfile.write(chunk)
            remaining -= len(chunk)

    def _hang_up(self) -> None:
        """Close the connection now, whatever was (not) sent."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
