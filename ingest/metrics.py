"""Prometheus metrics for the daemon, fed by the log event stream, served on loopback.

``MetricsCollector`` is a structlog processor: it watches ``page_fetched`` and
``run_finished`` events as they pass and counts them, so no stage of the pipeline knows
metrics exist. ``serve_metrics`` answers ``/metrics`` (Prometheus text format) and
``/healthz`` (200 when ``ingest health`` would exit 0, else 503) on ``[metrics] port``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from structlog.typing import EventDict

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_OUTCOMES = ("new", "updated", "unchanged")


class MetricsCollector:
    """Counts what the pipeline logs; thread-safe, cheap on the hot path."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.runs: dict[str, int] = {}
        self.pages: dict[str, int] = {}
        self.articles: dict[str, int] = dict.fromkeys(_OUTCOMES, 0)
        self.last_success: float | None = None
        self.latency_counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.latency_sum = 0.0

    def __call__(self, _logger: Any, _method: str, event: EventDict) -> EventDict:
        name = event.get("event")
        if name == "page_fetched":
            self._page(str(event.get("status")), float(event.get("elapsed_ms") or 0) / 1000)
        elif name == "fetch_failed":
            with self._lock:
                self.pages["failed"] = self.pages.get("failed", 0) + 1
        elif name == "run_finished":
            self._run(event)
        return event

    def _page(self, status: str, seconds: float) -> None:
        with self._lock:
            self.pages[status] = self.pages.get(status, 0) + 1
            self.latency_sum += seconds
            for index, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    self.latency_counts[index] += 1
                    break
            else:
                self.latency_counts[-1] += 1

    def _run(self, event: EventDict) -> None:
        status = str(event.get("status"))
        with self._lock:
            self.runs[status] = self.runs.get(status, 0) + 1
            for outcome in _OUTCOMES:
                self.articles[outcome] += int(event.get(f"articles_{outcome}") or 0)
            if status == "succeeded":
                self.last_success = time.time()

    def render(self) -> str:
        with self._lock:
            lines = [
                "# HELP ingest_runs_total Runs finished, by status.",
                "# TYPE ingest_runs_total counter",
                *(f'ingest_runs_total{{status="{k}"}} {v}' for k, v in sorted(self.runs.items())),
                "# HELP ingest_pages_total Page responses, by HTTP status (failed: given up).",
                "# TYPE ingest_pages_total counter",
                *(f'ingest_pages_total{{status="{k}"}} {v}' for k, v in sorted(self.pages.items())),
                "# HELP ingest_articles_total Articles stored, by outcome.",
                "# TYPE ingest_articles_total counter",
                *(f'ingest_articles_total{{outcome="{k}"}} {v}' for k, v in self.articles.items()),
                "# HELP ingest_last_success_timestamp_seconds When a run last succeeded.",
                "# TYPE ingest_last_success_timestamp_seconds gauge",
                f"ingest_last_success_timestamp_seconds {self.last_success or 0}",
                "# HELP ingest_fetch_seconds Time to fetch one page.",
                "# TYPE ingest_fetch_seconds histogram",
            ]
            cumulative = 0
            for bound, count in zip(LATENCY_BUCKETS, self.latency_counts, strict=False):
                cumulative += count
                lines.append(f'ingest_fetch_seconds_bucket{{le="{bound}"}} {cumulative}')
            total = sum(self.latency_counts)
            lines += [
                f'ingest_fetch_seconds_bucket{{le="+Inf"}} {total}',
                f"ingest_fetch_seconds_sum {self.latency_sum:.6f}",
                f"ingest_fetch_seconds_count {total}",
            ]
        return "\n".join(lines) + "\n"


def serve_metrics(
    collector: MetricsCollector, host: str, port: int, healthy: Callable[[], tuple[bool, str]]
) -> ThreadingHTTPServer:
    """Start the metrics server in a daemon thread; the caller shuts it down."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                code, body = 200, collector.render()
                kind = "text/plain; version=0.0.4; charset=utf-8"
            elif self.path == "/healthz":
                ok, reason = healthy()
                code, body, kind = (200 if ok else 503), reason + "\n", "text/plain; charset=utf-8"
            else:
                code, body, kind = 404, "not found\n", "text/plain; charset=utf-8"
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
