"""A scripted loopback HTTP/1.1 server: each path answers as the test says, and every request
is recorded with when it arrived and how many were being answered at that moment.

For the fetcher's edges a sample site does not reach (redirects, caps, codings, a chunked
body, per-host limits). Answers come from a real socket, so the fetcher's production
transport (aiohttp) reads them exactly as it reads a site's.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True)
class Reply:
    """One answer. ``chunk`` sends the body with chunked transfer coding, in pieces of that
    many bytes (no Content-Length); ``delay`` waits that long before answering."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    chunk: int | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class Seen:
    """A request as the server received it."""

    path: str  # with query
    headers: Mapping[str, str]  # names lower-cased
    arrived: float  # time.monotonic()
    in_flight: int  # requests being answered when it arrived, itself included


Route = Reply | Callable[[Seen], Reply]


class ScriptedServer:
    """Serve ``routes`` (path with query, or path alone, to a Reply or a function of the
    request) on ``host`` at a free port; anything else is ``fallback``'s, else 404. A context
    manager."""

    def __init__(
        self,
        routes: Mapping[str, Route] | None = None,
        host: str = "127.0.0.1",
        *,
        fallback: Callable[[Seen], Reply] | None = None,
    ) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.fallback = fallback
        self.host = host
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self._httpd.server_address[1]}"

    @property
    def paths(self) -> list[str]:
        with self._lock:
            return [seen.path for seen in self.requests]

    @property
    def most_in_flight(self) -> int:
        with self._lock:
            return max((seen.in_flight for seen in self.requests), default=0)

    def __enter__(self) -> ScriptedServer:
        httpd = _Server((self.host, 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _arrive(self, path: str, headers: Mapping[str, str]) -> Seen:
        with self._lock:
            self._in_flight += 1
            seen = Seen(path, headers, time.monotonic(), self._in_flight)
            self.requests.append(seen)
        return seen

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _reply(self, seen: Seen) -> Reply:
        route = self.routes.get(seen.path) or self.routes.get(seen.path.partition("?")[0])
        if route is None:
            return Reply(404, b"not found") if self.fallback is None else self.fallback(seen)
        return route(seen) if callable(route) else route


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: ScriptedServer

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: clients hanging up mid-answer are part of the tests."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 30
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: no request log on stderr."""

    def do_GET(self) -> None:
        owner = self.server.owner
        headers = {name.lower(): value for name, value in self.headers.items()}
        seen = owner._arrive(self.path, headers)
        left = False
        try:
            reply = owner._reply(seen)
            if reply.delay:
                time.sleep(reply.delay)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            framed = reply.chunk is None
            self.send_header(
                *("Content-Length", str(len(reply.body)))
                if framed
                else ("Transfer-Encoding", "chunked")
            )
            self.end_headers()
            # Counted out before the body's last bytes go: the client cannot have the whole
            # answer (and send its next request) before the count is down.
            owner._leave()
            left = True
            if framed:
                self.wfile.write(reply.body)
            else:
                for start in range(0, len(reply.body), reply.chunk or 1):
                    piece = reply.body[start : start + (reply.chunk or 1)]
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            with contextlib.suppress(OSError):
                self.wfile.flush()
        finally:
            if not left:
                owner._leave()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
