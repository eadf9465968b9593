"""/metrics and /healthz on one loopback port, served by serve_metrics: what it answers, and
how it holds against idle and slow clients (real sockets)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ingest.health import HealthReport
from ingest.metrics import MetricsCollector, _Server, serve_metrics

REPORTS: list[HealthReport] = []


def health() -> list[HealthReport]:
    if not REPORTS:
        raise RuntimeError("database is locked")
    return REPORTS


@pytest.fixture
def base_url() -> Iterator[str]:
    collector = MetricsCollector()
    collector(None, "info", {"event": "page_fetched", "site": "a", "status": 200, "elapsed_ms": 5})
    server = serve_metrics(collector, "127.0.0.1", 0, health)
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        REPORTS.clear()


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_metrics_are_the_prometheus_text_format_with_events_and_health(base_url: str) -> None:
    """/metrics parses as Prometheus text and carries event counters and health gauges."""
    REPORTS[:] = [HealthReport("a", True, "healthy: ok", {"recent_day_items": [0, 1]})]
    status, kind, body = get(f"{base_url}/metrics")
    assert status == 200
    assert kind.startswith("text/plain; version=0.0.4")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }
    assert samples[("ingest_pages_total", (("site", "a"), ("status", "200")))] == 1
    assert samples[("ingest_health", (("site", "a"),))] == 1
    assert samples[("ingest_recent_empty_days", (("site", "a"),))] == 1


def test_healthz_is_200_when_every_site_is_healthy_else_503_with_the_lines(
    base_url: str,
) -> None:
    """The body is one health line per site; one unhealthy site makes it 503."""
    REPORTS[:] = [HealthReport("a", True, "healthy: last success 1m ago (run 3)")]
    assert get(f"{base_url}/healthz") == (
        200,
        "text/plain; charset=utf-8",
        "a: healthy: last success 1m ago (run 3)\n",
    )
    REPORTS.append(HealthReport("b", False, "unhealthy: the last run (4) failed"))
    status, _, body = get(f"{base_url}/healthz")
    assert status == 503
    assert body.splitlines() == [
        "a: healthy: last success 1m ago (run 3)",
        "b: unhealthy: the last run (4) failed",
    ]


def test_a_failing_health_check_is_a_one_line_error_not_a_traceback(base_url: str) -> None:
    """When the database cannot answer, /healthz is 503 and /metrics 500, each saying why."""
    assert get(f"{base_url}/healthz")[::2] == (503, "health failed: database is locked\n")
    assert get(f"{base_url}/metrics")[::2] == (500, "database is locked\n")
    assert get(f"{base_url}/other")[0] == 404


@contextlib.contextmanager
def limited_server(**limits: float) -> Iterator[_Server]:
    REPORTS[:] = [HealthReport("a", True, "healthy: ok")]
    server = serve_metrics(MetricsCollector(), "127.0.0.1", 0, health, **limits)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        REPORTS.clear()


def connect(server: _Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.server_port), timeout=10)


def closed_by_server(sock: socket.socket, within: float) -> float:
    """Seconds until the server closed ``sock`` (end of file or a reset), at most ``within``."""
    started = time.monotonic()
    sock.settimeout(within)
    try:
        while sock.recv(1024):
            pass
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def test_idle_connections_hold_at_most_the_cap_and_a_scrape_still_gets_in() -> None:
    """200 idle connections: the server keeps 8 (its cap), so at most 8 threads serve them,
    and a scrape arriving then is answered at once (the oldest idle one makes room)."""
    with limited_server(max_connections=8, head_seconds=60) as server:
        before = threading.active_count()
        idle = [connect(server) for _ in range(200)]
        try:
            wait_until(lambda: server.connections() <= 8)
            assert threading.active_count() - before <= 8
            started = time.monotonic()
            assert get(f"http://127.0.0.1:{server.server_port}/healthz")[0] == 200
            assert time.monotonic() - started < 2
        finally:
            for sock in idle:
                sock.close()


def test_an_idle_connection_is_closed_at_the_head_deadline() -> None:
    """A client that connects and sends nothing is cut after head_seconds (1 s here)."""
    with limited_server(head_seconds=1) as server, connect(server) as sock:
        assert 0.5 < closed_by_server(sock, within=10) < 3


def test_a_trickling_request_is_cut_at_its_deadline_whatever_its_pace() -> None:
    """A request head sent a byte every 0.2 s (each well inside any per-read timeout) is cut
    once head_seconds (1 s) have passed since the connection opened."""
    with limited_server(head_seconds=1) as server, connect(server) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /metrics HTTP/1.0\r\n")
        with contextlib.suppress(OSError):
            while time.monotonic() - started < 10:
                sock.sendall(b"X")
                time.sleep(0.2)
        assert time.monotonic() - started < 3


def wait_until(predicate: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.05)
