"""What the test server adds to how the sample site answers: conditional GETs, the REST API's
JSON, and a handler that applies the fault actions (a dropped connection, a truncated body, an
oversized one, a compression bomb) and logs every request.

Routes (``SampleSiteServer.respond``) return a ``Response``; listings go through
``Conditional`` for ETag/Last-Modified and 304; the REST API's bodies through ``wp_json``.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import socket
import threading
import time
import zlib
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from typing import TYPE_CHECKING, cast

from ingest.sample_site.server import HTML_TYPE, Response, SiteHandler
from tests.support.sample_site.faults import (
    Bomb,
    Delay,
    Drop,
    FaultAction,
    Oversize,
    Stacked,
    Status,
    Truncate,
)

if TYPE_CHECKING:
    from tests.support.sample_site.server import SampleSiteServer

JSON_TYPE = "application/json; charset=UTF-8"  # WordPress spells it so
_CHUNK = 64 * 1024


def html_response(status: int, page: str, headers: dict[str, str] | None = None) -> Response:
    return Response(status, page.encode(), HTML_TYPE, headers or {})


def wp_json(payload: object) -> bytes:
    """JSON as ``wp_json_encode`` writes it: compact, ASCII only, slashes escaped."""
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode()


def json_response(status: int, payload: object, headers: dict[str, str] | None = None) -> Response:
    return Response(status, wp_json(payload), JSON_TYPE, headers or {})


@dataclass(frozen=True)
class _Validators:
    etag: str
    last_modified: int  # epoch seconds


class Conditional:
    """ETag and Last-Modified per target, and 304 for a request that already has the body.

    Last-Modified is when this server first served the current body of the target, strictly
    later than the previous body's, so If-Modified-Since never hides a change. Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._validators: dict[str, _Validators] = {}

    def __call__(self, target: str, body: bytes, headers: dict[str, str]) -> Response:
        """A 200 with ``body`` and validators, or a 304 when ``headers`` validate."""
        etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
        with self._lock:
            previous = self._validators.get(target)
            if previous is not None and previous.etag == etag:
                validators = previous
            else:
                now = int(time.time())
                floor = previous.last_modified + 1 if previous is not None else 0
                validators = _Validators(etag, max(now, floor))
                self._validators[target] = validators
        out_headers = {
            "ETag": etag,
            "Last-Modified": formatdate(validators.last_modified, usegmt=True),
        }
        if _not_modified(headers, validators):
            return Response(304, b"", headers=out_headers)
        return Response(200, body, headers=out_headers)


def _not_modified(headers: dict[str, str], validators: _Validators) -> bool:
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or validators.etag in tags
    if_modified_since = headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since).timestamp()
    except (TypeError, ValueError):
        return False
    return since >= validators.last_modified


# -- sending ----------------------------------------------------------------------------------


class FaultHandler(SiteHandler):
    """The product's handler, after the test server's latency and fault actions, with every
    request logged."""

    def serve(self, *, head: bool) -> None:
        owner = cast("SampleSiteServer", self.server.owner)
        target = self.path
        if owner.latency_seconds > 0:
            time.sleep(owner.latency_seconds)
        action = owner.faults.next_action(target)
        try:
            self._serve_action(owner, target, action, head=head)
        except OSError:
            self.close_connection = True  # the client went away

    def _serve_action(
        self, owner: SampleSiteServer, target: str, action: FaultAction | None, *, head: bool
    ) -> None:
        # Each branch records before answering: a client that has its answer must find
        # its request in the log.
        if isinstance(action, Drop):
            owner.record(self.command, target, 0)
            self._hang_up()
            return
        if isinstance(action, Status):
            extra = {} if action.retry_after is None else {"Retry-After": f"{action.retry_after:g}"}
            owner.record(self.command, target, action.code)
            self.send(Response(action.code, action.body.encode(), headers=extra), head=head)
            return
        if isinstance(action, Oversize):
            owner.record(self.command, target, 200)
            self._send_oversize(action.n_bytes, head=head)
            return
        if isinstance(action, Bomb):
            owner.record(self.command, target, 200)
            self._send_bomb(action, head=head)
            return
        if isinstance(action, Stacked):
            response = owner.respond(target, self.request_headers())
            owner.record(self.command, target, response.status)
            body = response.body
            for _ in range(action.layers):
                body = gzip.compress(body, compresslevel=1, mtime=0)
            self.send_response(response.status)
            self.send_header("Content-Type", HTML_TYPE)
            self.send_header("Content-Encoding", ", ".join(["gzip"] * action.layers))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
            return
        if isinstance(action, Delay):
            time.sleep(action.seconds)
        response = owner.respond(target, self.request_headers())
        owner.record(self.command, target, response.status)
        if isinstance(action, Truncate):
            self.send_head(response)  # the whole body's Content-Length, then half the body
            if response.status != 304:
                self.wfile.write(response.body[: len(response.body) // 2])
            self._hang_up()
        else:
            self.send(response, head=head)

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

    def _send_bomb(self, bomb: Bomb, *, head: bool) -> None:
        body = compressed_zeros(bomb.encoding, bomb.inflated_bytes)
        self.send_response(200)
        self.send_header("Content-Type", HTML_TYPE)
        encoding = "deflate" if bomb.encoding == "deflate-raw" else bomb.encoding
        self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _hang_up(self) -> None:
        """Close the connection now, whatever was (not) sent."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


@functools.cache
def compressed_zeros(encoding: str, size: int) -> bytes:
    """``size`` zero bytes compressed as ``encoding`` (gzip, deflate, deflate-raw); cached, as
    compressing 200 MB takes a second."""
    wbits = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS, "deflate-raw": -zlib.MAX_WBITS}
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits[encoding])
    block = bytes(1024 * 1024)
    parts = []
    for start in range(0, size, len(block)):
        parts.append(compressor.compress(block[: min(len(block), size - start)]))
    parts.append(compressor.flush())
    return b"".join(parts)
