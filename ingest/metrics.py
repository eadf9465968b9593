"""Prometheus metrics for the daemon, fed by the log event stream and the health verdicts.

Two sources, one registry of our own (never prometheus_client's global one):

* ``MetricsCollector`` is a structlog processor: it watches ``page_fetched``,
  ``fetch_failed`` and ``run_finished`` as they pass and counts them by site, so no stage of
  the pipeline knows metrics exist.
* What the database knows (health, last success, failing dates, empty days) is read when
  ``/metrics`` is scraped: ``serve_metrics`` hands the health callback (one ``HealthReport``
  per site, as ``ingest health`` computes them) to a custom collector.

``serve_metrics`` answers ``/metrics`` (prometheus_client's WSGI app) and ``/healthz`` (200
when every site is healthy, else 503; the body is the health lines) on one port, to at most
``MAX_CONNECTIONS`` clients at once, each given ``REQUEST_HEAD_SECONDS`` to send its request.

Labels are the site and a small closed set (run status, HTTP status, article outcome): no
URLs, no dates.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from socketserver import ThreadingMixIn
from typing import Any, TextIO
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIEnvironment

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder, gzip_accepted
from prometheus_client.utils import floatToGoString
from structlog.typing import EventDict

from ingest.errors import DatabaseUnavailableError
from ingest.health import HealthReport
from ingest.heap import collection_paused
from ingest.secrets import redact
from ingest.terminal import printable

log = structlog.get_logger("ingest.metrics")

HealthCallback = Callable[[], Sequence[HealthReport]]

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
RUN_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0)
_OUTCOMES = ("new", "updated", "unchanged")
_NO_SITE = "unknown"


class MetricsCollector:
    """Counts what the pipeline logs, by site; thread-safe, cheap on the hot path."""

    def __init__(self) -> None:
        # The counters and histograms in a registry of their own, which ``registry`` (the
        # whole set, health last) reads through: ``/metrics`` renders the health gauges itself.
        self.events = CollectorRegistry()
        registry = self.events
        self.runs = Counter(
            "ingest_runs", "Runs finished, by status.", ["site", "status"], registry=registry
        )
        self.pages = Counter(
            "ingest_pages",
            "Page responses by HTTP status (every attempt); failed: a page given up on.",
            ["site", "status"],
            registry=registry,
        )
        self.articles = Counter(
            "ingest_articles",
            "Articles stored by runs, by outcome (new, updated, unchanged).",
            ["site", "outcome"],
            registry=registry,
        )
        self.fetch_seconds = Histogram(
            "ingest_fetch_seconds",
            "Time to fetch one page (one attempt).",
            ["site"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.run_seconds = Histogram(
            "ingest_run_duration_seconds",
            "Wall time of finished runs.",
            ["site"],
            buckets=RUN_BUCKETS,
            registry=registry,
        )
        self.health = HealthGauges()
        self.registry = CollectorRegistry()
        self.registry.register(_Through(self.events))
        self.registry.register(self.health)

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """``/metrics``' body in the format ``accept`` asks for, and its content type: the
        registry's, byte for byte, with the health gauges' lines written here (one f-string
        a series; prometheus_client's own rendering of 70,000 took over a second)."""
        encoder, content_type = choose_encoder(accept or "")
        events: bytes = encoder(self.events)
        with collection_paused():  # a line a site: strings only, freed by refcount
            health = self.health.text(encoder)
        if events.endswith(_EOF):  # OpenMetrics: the end marker after the last family
            return events[: -len(_EOF)] + health + _EOF, content_type
        return events + health, content_type

    def __call__(self, _logger: Any, _method: str, event: EventDict) -> EventDict:
        name = event.get("event")
        if name == "page_fetched":
            site = str(event.get("site") or _NO_SITE)
            self.pages.labels(site, str(event.get("status"))).inc()
            seconds = float(event.get("elapsed_ms") or 0) / 1000
            self.fetch_seconds.labels(site).observe(seconds)
        elif name == "fetch_failed":
            self.pages.labels(str(event.get("site") or _NO_SITE), "failed").inc()
        elif name == "run_finished":
            self._run(event)
        return event

    def _run(self, event: EventDict) -> None:
        site = str(event.get("site") or _NO_SITE)
        self.runs.labels(site, str(event.get("status"))).inc()
        for outcome in _OUTCOMES:
            self.articles.labels(site, outcome).inc(int(event.get(f"articles_{outcome}") or 0))
        self.run_seconds.labels(site).observe(float(event.get("duration_seconds") or 0))


class HealthGauges:
    """A custom collector: per-site gauges from the health reports, computed at scrape time.

    Without a callback (before ``watch``) it yields nothing. A series whose figure is
    unknown (no success yet, no failing date) is left out rather than set to 0.
    """

    def __init__(self) -> None:
        self._health: HealthCallback | None = None

    def watch(self, health: HealthCallback) -> None:
        self._health = health

    def describe(self) -> Iterable[Metric]:
        """The families by name (registering must not run the health check)."""
        return _families()

    def collect(self) -> Iterable[Metric]:
        if self._health is None:
            return []
        families = _families()
        for report in self._health():
            for family, value in zip(families, _figures(report), strict=True):
                if value is not None:
                    family.add_metric([report.site], value)
        return families

    def text(self, encoder: Callable[[Any], bytes]) -> bytes:
        """What ``encoder`` (a prometheus_client exposition) makes of ``collect()``, written
        directly: each family's head as ``encoder`` writes it, then a line a series."""
        if self._health is None:
            return b""
        families = _families()
        lines: list[list[str]] = [[] for _ in families]
        floats: dict[float, str] = {}  # 1.0, 0.0, small counts: each spelled once
        for report in self._health():
            site = _label_value(report.site)
            for own, value in zip(lines, _figures(report), strict=True):
                if value is not None:
                    spelled = floats.get(value)
                    if spelled is None:
                        spelled = floats[value] = _go_float(value)
                    own.append(f'{{site="{site}"}} {spelled}\n')
        out = []
        for family, own in zip(families, lines, strict=True):
            out.append(_head(encoder, family.name))
            prefix = family.name
            out.extend(prefix + line for line in own)
        return "".join(out).encode()


class _Through:
    """Collects a registry's metrics, as a collector of another registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def describe(self) -> Iterable[Metric]:
        return list(self._registry.collect())

    def collect(self) -> Iterable[Metric]:
        return self._registry.collect()


_EOF = b"# EOF\n"
# prometheus_client's float spelling (``1.0``, ``1.7e+09``), which it leaves untyped.
_go_float: Callable[[float], str] = floatToGoString


class _Family:
    """One health family without samples: what its head is rendered from."""

    def __init__(self, family: GaugeMetricFamily) -> None:
        self._family = family

    def collect(self) -> Iterable[Metric]:
        return [self._family]


_HEADS: dict[tuple[Callable[[Any], bytes], str], str] = {}


def _head(encoder: Callable[[Any], bytes], name: str) -> str:
    """The family's ``# HELP`` / ``# TYPE`` lines as ``encoder`` writes them."""
    key = (encoder, name)
    if key not in _HEADS:
        family = next(f for f in _families() if f.name == name)
        head = encoder(_Family(family))
        _HEADS[key] = head.removesuffix(_EOF).decode()
    return _HEADS[key]


def _label_value(value: str) -> str:
    """A label value escaped as both text formats escape it."""
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _families() -> list[GaugeMetricFamily]:
    def gauge(name: str, documentation: str) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, documentation, labels=["site"])

    return [
        gauge("ingest_health", "1 when `ingest health` says the site is healthy, else 0."),
        gauge(
            "ingest_last_success_timestamp_seconds",
            "When the site's last successful run finished (from the run history).",
        ),
        gauge("ingest_failing_dates", "Dates whose last crawl failed."),
        gauge(
            "ingest_failing_since_timestamp_seconds",
            "Since when the longest-failing date has failed (absent when none fails).",
        ),
        gauge(
            "ingest_recent_empty_days",
            "Crawled days in a row, newest first, that had no articles (the drift signal).",
        ),
        gauge(
            "ingest_recent_items",
            "Articles listed over the recent crawled days (health.empty_days of them).",
        ),
        gauge(
            "ingest_health_max_age_seconds",
            "How old the last success may be before the site is unhealthy (3 intervals).",
        ),
        gauge(
            "ingest_listing_incomplete_days",
            "Complete days whose listing lacked articles the cross-check found elsewhere.",
        ),
        gauge(
            "ingest_found_elsewhere_articles",
            "Articles of those days found by the sitemaps, feed or REST API, not the listing.",
        ),
    ]


def _figures(report: HealthReport) -> list[float | None]:
    """The values for ``_families``, in its order, from one report's figures."""
    figures = report.figures
    last_success = figures.get("last_success") or {}
    success_at = last_success.get("finished_at") or last_success.get("started_at")
    since = [_timestamp(f["since"]) for f in figures.get("failing_dates") or []]
    recent: list[int] = list(figures.get("recent_day_items") or [])
    empty_run = next((i for i, items in enumerate(recent) if items), len(recent))
    max_age = figures.get("max_age_seconds")
    gaps = figures.get("listing_incomplete") or {}
    return [
        1.0 if report.healthy else 0.0,
        _timestamp(success_at) if success_at else None,
        float(len(since)),
        min(since) if since else None,
        float(empty_run),
        float(sum(recent)),
        float(max_age) if max_age is not None else None,
        float(gaps.get("days") or 0),
        float(gaps.get("found_elsewhere") or 0),
    ]


def _timestamp(iso: str) -> float:
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


# --- the HTTP server ------------------------------------------------------------------------


# At most this many connections at once, each a thread. A connection still sending its request
# head when a new one arrives with every place taken is closed to make room (the oldest such):
# idle or trickling connections never lock a scraper out, and never pile up threads.
MAX_CONNECTIONS = 16
# The request line and headers must arrive within this (whatever their pace), the response
# must be done within the second: a slow client is cut, not waited for.
REQUEST_HEAD_SECONDS = 5.0
RESPONSE_SECONDS = 30.0


class _Connection:
    """One accepted connection: until when it may take, and whether its head is still coming."""

    __slots__ = ("deadline", "ended", "opened", "reading", "sock")

    def __init__(self, sock: socket.socket, opened: float, deadline: float) -> None:
        self.sock, self.opened, self.deadline = sock, opened, deadline
        self.reading, self.ended = True, False

    def end(self) -> None:
        """Cut it: the thread serving it sees end of file or an error, and returns."""
        self.ended = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)


class _Server(ThreadingMixIn, WSGIServer):
    """wsgiref's server, a thread per connection, with a cap on connections and deadlines
    kept by one reaper thread."""

    daemon_threads = True
    block_on_close = False
    # The kernel's queue of connections not yet accepted (socketserver's 5 drops a burst's
    # SYNs: a scraper arriving in a flood would wait a second per retry before being seen).
    request_queue_size = 128
    max_connections = MAX_CONNECTIONS
    head_seconds = REQUEST_HEAD_SECONDS
    response_seconds = RESPONSE_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._lock = threading.Lock()
        self._open: dict[socket.socket, _Connection] = {}
        self._closing = threading.Event()
        super().__init__(*args, **kwargs)
        threading.Thread(target=self._reap, name="metrics-reaper", daemon=True).start()

    def process_request(self, request: Any, client_address: Any) -> None:
        now = time.monotonic()
        with self._lock:
            admitted = len(self._open) < self.max_connections
            if not admitted and len(self._open) < 2 * self.max_connections:
                # Room for one more once the oldest connection still sending its head is cut
                # (its thread ends at once; twice the cap bounds those on their way out).
                coming = [c for c in self._open.values() if c.reading and not c.ended]
                if coming:
                    min(coming, key=lambda c: c.opened).end()
                    admitted = True
            if admitted:
                self._open[request] = _Connection(request, now, now + self.head_seconds)
        if not admitted:
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._open.pop(request, None)

    def head_read(self, request: Any) -> None:
        """The request's head is in: from now on it has the response's deadline."""
        with self._lock:
            connection = self._open.get(request)
            if connection is not None:
                connection.reading = False
                connection.deadline = time.monotonic() + self.response_seconds

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection cut or reset: nothing to report (the default prints a traceback)."""

    def server_close(self) -> None:
        self._closing.set()
        super().server_close()

    def connections(self) -> int:
        with self._lock:
            return len(self._open)

    def _reap(self) -> None:
        while not self._closing.wait(0.2):
            now = time.monotonic()
            with self._lock:
                overdue = [c for c in self._open.values() if c.deadline <= now and not c.ended]
            for connection in overdue:
                connection.end()


class _QuietHandler(WSGIRequestHandler):
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Each read or write on the socket waits at most this; the reaper keeps the totals.
        self.connection.settimeout(self.server.head_seconds)

    def parse_request(self) -> bool:
        parsed = super().parse_request()
        if parsed:
            self.server.head_read(self.request)
        return parsed

    def get_stderr(self) -> TextIO:
        # wsgiref writes a traceback there when a client goes away mid-response.
        return io.StringIO()

    def log_message(self, format: str, *args: Any) -> None:
        return


def _text(start_response: StartResponse, status: str, body: str) -> list[bytes]:
    """A plain-text answer, read by people (curl in a terminal): /healthz quotes errors, so no
    secret of the settings in it, and each line made printable (a site's text can be anything)."""
    data = "\n".join(map(printable, redact(body).split("\n"))).encode()
    start_response(
        status,
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))],
    )
    return [data]


def metrics_app(
    collector: MetricsCollector, health: HealthCallback
) -> Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]:
    """The WSGI app: ``/metrics`` from the collector's registry, ``/healthz`` from ``health``."""
    collector.health.watch(health)
    exposition = make_wsgi_app(collector.registry)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == "/metrics":
            try:
                query = parse_qs(environ.get("QUERY_STRING", ""))
                if environ.get("REQUEST_METHOD") != "GET" or "name[]" in query:
                    # Other methods, a choice of series: prometheus_client's own answers.
                    body: list[bytes] = exposition(environ, start_response)
                    return body
                data, content_type = collector.exposition(environ.get("HTTP_ACCEPT"))
            except Exception as exc:  # a failed health check: say why, not a traceback
                log.warning("metrics_scrape_failed", error=f"{type(exc).__name__}: {exc}")
                return _text(start_response, "500 Internal Server Error", f"{exc}\n")
            headers = [("Content-Type", content_type)]
            if gzip_accepted(environ.get("HTTP_ACCEPT_ENCODING") or ""):
                data = gzip.compress(data)
                headers.append(("Content-Encoding", "gzip"))
            start_response("200 OK", headers)
            return [data]
        if path == "/healthz":
            try:
                reports = health()
            except DatabaseUnavailableError as exc:  # "cannot reach", "waiting for": as is
                return _text(start_response, "503 Service Unavailable", f"{exc}\n")
            except Exception as exc:
                return _text(start_response, "503 Service Unavailable", f"health failed: {exc}\n")
            ok = all(report.healthy for report in reports)
            lines = "".join(f"{report.line}\n" for report in reports)
            return _text(start_response, "200 OK" if ok else "503 Service Unavailable", lines)
        return _text(start_response, "404 Not Found", "not found\n")

    return app


def serve_metrics(
    collector: MetricsCollector,
    host: str,
    port: int,
    health: HealthCallback,
    *,
    max_connections: int = MAX_CONNECTIONS,
    head_seconds: float = REQUEST_HEAD_SECONDS,
    response_seconds: float = RESPONSE_SECONDS,
) -> _Server:
    """Serve ``/metrics`` and ``/healthz`` in a daemon thread; the caller shuts it down."""
    server = make_server(
        host, port, metrics_app(collector, health), _Server, handler_class=_QuietHandler
    )
    assert isinstance(server, _Server)
    server.max_connections = max_connections
    server.head_seconds, server.response_seconds = head_seconds, response_seconds
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
