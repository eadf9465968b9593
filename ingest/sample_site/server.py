"""A threaded loopback HTTP server for a ``SampleSite``: its K2 pages, as the demo reads them.

Routes:

- ``/robots.txt``: ``robots_txt`` (404 when None);
- ``/date/Y/M/D.html`` and ``/date/Y/M/D/Page-N.html`` (N is 1-based): a day's listing;
- each article's ``url_path`` (private ones too: robots.txt asks, it does not enforce);
- anything else answers Joomla's 404 page.

The test suite's server extends this one with the other flavours (WordPress, its REST API, a
plain markup), conditional GETs, a request log and fault injection.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from ingest.sample_site.article import SampleArticle
from ingest.sample_site.content import SampleSite
from ingest.sample_site.render import (
    default_page_href,
    render_article,
    render_listing,
    render_not_found,
)

K2_LISTING_PATH = "/date/{year}/{month}/{day}.html"
DEFAULT_ROBOTS = """User-agent: *
Disallow: /administrator/
Disallow: /cache/
Disallow: /media-center/private/
Disallow: /tmp/
"""
HTML_TYPE = "text/html; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

# /date/Y/M/D.html or /date/Y/M/D/Page-N.html
_LISTING = re.compile(r"/date/(\d+)/(\d+)/(\d+)(?:\.html|/Page-(\d+)\.html)")


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = HTML_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def listing_page(path: str) -> tuple[date, int] | None:
    """The day and (1-based) page of a K2 listing path; None when ``path`` is not one."""
    match = _LISTING.fullmatch(path)
    if match is None:
        return None
    year, month, day, number = match.groups()
    page = 1 if number is None else int(number)
    try:
        return (date(int(year), int(month), int(day)), page) if page >= 1 else None
    except ValueError:
        return None


# -- sending ----------------------------------------------------------------------------------


class LoopbackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for a slow answer to finish
    owner: SampleSiteServer

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: a client hanging up mid-response is not the server's error."""


class SiteHandler(BaseHTTPRequestHandler):
    """Answers each request with ``owner.respond``, on kept-alive connections."""

    server: LoopbackHTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, as real clients pool connections
    server_version = "Apache"
    sys_version = ""
    timeout = 30  # idle keep-alive connections
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

    def setup(self) -> None:
        super().setup()
        self.server.owner.track(self.connection, open_=True)

    def finish(self) -> None:
        self.server.owner.track(self.connection, open_=False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: no request log on stderr."""

    def do_GET(self) -> None:
        self.serve(head=False)

    def do_HEAD(self) -> None:
        self.serve(head=True)

    def serve(self, *, head: bool) -> None:
        try:
            self.send(self.server.owner.respond(self.path, self.request_headers()), head=head)
        except OSError:
            self.close_connection = True  # the client went away

    def request_headers(self) -> dict[str, str]:
        """The request's headers, names in lower case."""
        return {name.lower(): value for name, value in self.headers.items()}

    def send_head(self, response: Response) -> None:
        """The status line and headers (Content-Length: the whole body's)."""
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()

    def send(self, response: Response, *, head: bool) -> None:
        self.send_head(response)
        if not head and response.status != 304:
            self.wfile.write(response.body)


# -- the server -------------------------------------------------------------------------------


class SampleSiteServer:
    """Serve a ``SampleSite`` on ``127.0.0.1`` at ``port`` (0: a free one); a context manager.

    ``listing_path`` is the listing's format string of ``year``, ``month`` and ``day``.
    """

    listing_path = K2_LISTING_PATH
    handler: type[SiteHandler] = SiteHandler  # what answers each request

    def __init__(
        self, site: SampleSite, *, robots_txt: str | None = DEFAULT_ROBOTS, port: int = 0
    ) -> None:
        self.site = site
        self.robots_txt = robots_txt
        self.port = port
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._httpd: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SampleSiteServer:
        if self._httpd is not None:
            return self
        httpd = LoopbackHTTPServer(("127.0.0.1", self.port), self.handler)
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

    def track(self, conn: socket.socket, *, open_: bool) -> None:
        """Keep the open connections, for ``stop`` to close."""
        with self._lock:
            if open_:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # -- routing -----------------------------------------------------------------------------

    def respond(self, target: str, headers: dict[str, str]) -> Response:
        """The response to a GET of ``target`` (path with query)."""
        path = urlsplit(target).path
        if path == "/robots.txt":
            if self.robots_txt is None:
                return self.not_found()
            return Response(200, self.robots_txt.encode(), TEXT_TYPE)
        listed = listing_page(path)
        if listed is not None:
            day, page = listed
            offset = (page - 1) * self.site.page_size
            html_text = self.listing_html(
                day, self.site.articles_on(day), offset, lambda n: default_page_href(day, n)
            )
            return Response(200, html_text.encode())
        article = self.site.article_at(path)
        if article is not None:
            return Response(200, self.article_html(article).encode())
        return self.not_found()

    def not_found(self) -> Response:
        return Response(404, render_not_found().encode())

    def listing_html(
        self,
        day: date,
        items: list[SampleArticle],
        offset: int,
        page_href: Callable[[int], str],
    ) -> str:
        """The listing page of ``day`` that starts at its item ``offset`` (0-based);
        ``page_href`` links page N (1-based)."""
        size = self.site.page_size
        page = offset // size + 1
        total_pages = max(1, -(-len(items) // size))
        on_page = items[offset : offset + size]
        if not on_page:
            page, total_pages = 1, 1  # past the end: K2's "No results found!"
        has_next = offset + size < len(items)
        return render_listing(
            on_page,
            day=day,
            page=page,
            total_pages=total_pages,
            next_href=page_href(page + 1) if has_next else None,
            base_url=self.base_url,
            page_href=page_href,
            sidebar=self.site.latest_before(day),
        )

    def article_html(self, article: SampleArticle) -> str:
        same_day = self.site.articles_on(article.day)
        index = next((i for i, a in enumerate(same_day) if a.id == article.id), 0)
        return render_article(
            article,
            base_url=self.base_url,
            related=self.site.latest_before(article.day)[:3],
            previous=same_day[index - 1] if index > 0 else None,
            following=same_day[index + 1] if index + 1 < len(same_day) else None,
            sidebar=self.site.latest_before(article.day),
        )
