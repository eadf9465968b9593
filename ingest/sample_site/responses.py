"""What the sample server's routes answer: a response value, conditional GETs, JSON bodies."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime

HTML_TYPE = "text/html; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
JSON_TYPE = "application/json; charset=UTF-8"  # WordPress spells it so


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = HTML_TYPE
    headers: dict[str, str] = field(default_factory=dict)


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
