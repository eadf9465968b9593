"""/metrics and /healthz on one loopback port, served by serve_metrics."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ingest.health import HealthReport
from ingest.metrics import MetricsCollector, serve_metrics

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
