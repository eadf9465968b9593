"""The metrics collector: log events and health reports in, Prometheus series out."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder

from ingest.health import HealthReport
from ingest.metrics import MetricsCollector


def feed(collector: MetricsCollector, **event: Any) -> None:
    collector(None, "info", event)


def value(collector: MetricsCollector, name: str, **labels: str) -> float | None:
    return collector.registry.get_sample_value(name, labels)


def report(site: str, healthy: bool = True, **figures: Any) -> HealthReport:
    return HealthReport(site, healthy, "healthy: fine" if healthy else "unhealthy: x", figures)


def test_page_events_count_by_site_and_status_and_time_the_fetch() -> None:
    """page_fetched counts its HTTP status and observes elapsed_ms; fetch_failed counts failed."""
    collector = MetricsCollector()
    feed(collector, event="page_fetched", site="a", status=200, elapsed_ms=120.0, url="u")
    feed(collector, event="page_fetched", site="a", status=304, elapsed_ms=40.0)
    feed(collector, event="page_fetched", site="b", status=200, elapsed_ms=3000.0)
    feed(collector, event="fetch_failed", site="a", status=503, url="u")
    assert value(collector, "ingest_pages_total", site="a", status="200") == 1
    assert value(collector, "ingest_pages_total", site="a", status="304") == 1
    assert value(collector, "ingest_pages_total", site="a", status="failed") == 1
    assert value(collector, "ingest_pages_total", site="b", status="200") == 1
    assert value(collector, "ingest_fetch_seconds_count", site="a") == 2
    assert value(collector, "ingest_fetch_seconds_sum", site="a") == 0.16
    assert value(collector, "ingest_fetch_seconds_bucket", site="a", le="0.05") == 1
    assert value(collector, "ingest_fetch_seconds_bucket", site="b", le="2.5") == 0
    assert value(collector, "ingest_fetch_seconds_bucket", site="b", le="5.0") == 1


def test_run_finished_counts_the_run_its_articles_and_its_duration() -> None:
    """One run_finished: runs by status, articles by outcome, one duration observation."""
    collector = MetricsCollector()
    counts = {"articles_new": 3, "articles_updated": 1, "articles_unchanged": 7}
    feed(collector, event="run_finished", site="a", status="succeeded", duration_seconds=42.0,
         **counts)  # fmt: skip
    feed(collector, event="run_finished", site="a", status="partial", duration_seconds=2.0)
    assert value(collector, "ingest_runs_total", site="a", status="succeeded") == 1
    assert value(collector, "ingest_runs_total", site="a", status="partial") == 1
    assert value(collector, "ingest_articles_total", site="a", outcome="new") == 3
    assert value(collector, "ingest_articles_total", site="a", outcome="updated") == 1
    assert value(collector, "ingest_articles_total", site="a", outcome="unchanged") == 7
    assert value(collector, "ingest_run_duration_seconds_count", site="a") == 2
    assert value(collector, "ingest_run_duration_seconds_sum", site="a") == 44.0


def test_other_events_pass_through_untouched_and_nothing_touches_the_global_registry() -> None:
    """The processor returns the event as it came; our registry is our own."""
    collector = MetricsCollector()
    event = {"event": "date_done", "site": "a", "date": "2020-02-01"}
    assert collector(None, "info", dict(event)) == event
    assert REGISTRY.get_sample_value("ingest_runs_total", {"site": "a", "status": "x"}) is None
    assert collector.registry is not REGISTRY


def test_health_gauges_come_from_the_reports_at_scrape_time() -> None:
    """Health, last success, failing dates and the empty-days streak, per site, per scrape."""
    collector = MetricsCollector()
    reports = [
        report(
            "a",
            last_success={"finished_at": "2020-02-01T00:00:10+00:00"},
            failing_dates=[
                {"date": "2020-01-30", "since": "2020-01-31T00:00:00+00:00"},
                {"date": "2020-01-29", "since": "2020-01-30T00:00:00+00:00"},
            ],
            recent_day_items=[0, 0, 0, 4, 0, 2],
            max_age_seconds=5400.0,
        ),
        report("b", healthy=False, last_success=None, failing_dates=[], recent_day_items=[]),
    ]
    calls: list[int] = []

    def health() -> list[HealthReport]:
        calls.append(1)
        return reports

    assert value(collector, "ingest_health", site="a") is None, "nothing before watch()"
    collector.health.watch(health)
    assert value(collector, "ingest_health", site="a") == 1
    assert value(collector, "ingest_health", site="b") == 0
    assert value(collector, "ingest_last_success_timestamp_seconds", site="a") == 1580515210
    assert value(collector, "ingest_last_success_timestamp_seconds", site="b") is None
    assert value(collector, "ingest_failing_dates", site="a") == 2
    assert value(collector, "ingest_failing_dates", site="b") == 0
    assert value(collector, "ingest_failing_since_timestamp_seconds", site="a") == 1580342400
    assert value(collector, "ingest_failing_since_timestamp_seconds", site="b") is None
    assert value(collector, "ingest_recent_empty_days", site="a") == 3
    assert value(collector, "ingest_recent_items", site="a") == 6
    assert value(collector, "ingest_recent_empty_days", site="b") == 0
    assert value(collector, "ingest_health_max_age_seconds", site="a") == 5400
    reports[1] = report("b", healthy=True)
    assert value(collector, "ingest_health", site="b") == 1, "refreshed on each scrape"
    assert len(calls) > 2


def test_registering_the_health_gauges_does_not_run_the_health_check() -> None:
    """describe() names the families, so building the registry never queries the database."""
    collector = MetricsCollector()

    def health() -> list[HealthReport]:
        raise AssertionError("the health check ran")

    collector.health.watch(health)
    names = {family.name for family in collector.health.describe()}
    assert {"ingest_health", "ingest_failing_dates", "ingest_recent_empty_days"} <= names


@pytest.mark.parametrize("accept", [None, "application/openmetrics-text; version=1.0.0"])
def test_the_scrape_writes_what_prometheus_client_writes_byte_for_byte(accept: str | None) -> None:
    """The health gauges' lines are written by hand for speed: the same bytes as
    prometheus_client renders from the registry, in the text format and in OpenMetrics, with
    sites whose names need escaping, timestamps, fractions and absent series."""
    collector = MetricsCollector()
    feed(collector, event="page_fetched", site='a"b', status=200, elapsed_ms=120.0)
    feed(collector, event="run_finished", site="a", status="succeeded", duration_seconds=4.5)
    reports = [
        report(
            'we\\ird "site"\nname',
            last_success={"finished_at": "2026-02-01T00:00:10.250000+00:00"},
            failing_dates=[{"date": "2026-01-30", "since": "2026-01-31T00:00:00+00:00"}],
            recent_day_items=[0, 0, 7],
            max_age_seconds=10800.0,
        ),
        report("plain", healthy=False, last_success=None, failing_dates=[]),
        report("ünïcode", max_age_seconds=0.5, recent_day_items=[123456789]),
    ]
    collector.health.watch(lambda: reports)
    body, content_type = collector.exposition(accept)
    encoder, expected_type = choose_encoder(accept or "")
    assert body == encoder(collector.registry)
    assert content_type == expected_type
    assert body.count(b"\ningest_health{") == 3
