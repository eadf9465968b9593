"""The sample server's HTTP plumbing: keep-alive, fault actions, and sending responses.

The routes (``SampleSiteServer.respond``) say what a request gets; this module says how it goes
out, or how it fails to: a dropped connection, a truncated body, an oversized one.
"""

from __future__ import annotations

import contextlib
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from ingest.sample_site.faults import Delay, Drop, Oversize, Status, Truncate
from ingest.sample_site.responses import HTML_TYPE, Response

if TYPE_CHECKING:
    from ingest.sample_site.server import SampleSiteServer

_CHUNK = 64 * 1024


class LoopbackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for a Delay() to finish
    owner: SampleSiteServer

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: clients hanging up mid-response are part of the tests."""


class Handler(BaseHTTPRequestHandler):
    server: LoopbackHTTPServer
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
