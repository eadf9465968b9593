"""The shipped alert rules and Grafana dashboard: they load, and name only metrics we export.

promtool (Debian's `prometheus` package; `.ci/run` installs it) checks and unit-tests the
rules; without it those tests are skipped with the reason.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ingest.health import HealthReport
from ingest.metrics import MetricsCollector

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS / "ingest-rules.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "ingest.json"
ALERTS = {
    "IngestSiteUnhealthy",
    "IngestNoRecentSuccess",
    "IngestDatesFailing",
    "IngestEmptyDaysRun",
    "IngestTargetDown",
}
# Series Prometheus adds to every target itself.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}

needs_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None,
    reason="promtool not found: apt-get install prometheus (Debian) provides it",
)


def exported_series() -> set[str]:
    """Every series name our registry exposes once each metric has a sample."""
    collector = MetricsCollector()
    for event in (
        {"event": "page_fetched", "site": "a", "status": 200, "elapsed_ms": 10},
        {"event": "fetch_failed", "site": "a", "status": 500},
        {"event": "run_finished", "site": "a", "status": "succeeded", "duration_seconds": 1},
    ):
        collector(None, "info", event)
    figures = {
        "last_success": {"finished_at": "2020-02-01T00:00:00+00:00"},
        "failing_dates": [{"date": "2020-01-31", "since": "2020-02-01T00:00:00+00:00"}],
        "recent_day_items": [0, 3],
        "max_age_seconds": 5400.0,
    }
    collector.health.watch(lambda: [HealthReport("a", True, "healthy: ok", figures)])
    text = generate_latest(collector.registry).decode()
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}
_KEYWORDS |= {"and", "or", "unless", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, labels and keywords left out).

    Drops strings, label matchers ``{…}``, ranges ``[…]``, Grafana variables and the label
    lists of ``by``/``on``/…, then keeps the identifiers that are not called as functions.
    """
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([A-Za-z_:][\w:]*)(\s*\()?", text):
        if match.group(2) is None and match.group(1).lower() not in _KEYWORDS:
            names.add(match.group(1))
    return names


def test_metric_names_reads_promql() -> None:
    """The name parser on the shapes the rules and dashboard use."""
    expr = (
        'histogram_quantile(0.9, sum by (le) (rate(ingest_fetch_seconds_bucket{site="$site"}'
        "[$__rate_interval]))) / on(site) group_left ingest_health offset 1d > bool 1e3"
    )
    assert metric_names(expr) == {"ingest_fetch_seconds_bucket", "ingest_health"}
    assert metric_names("time() - ingest_x > 2 * ingest_y and up == 0") == {
        "ingest_x",
        "ingest_y",
        "up",
    }


# --- alert rules --------------------------------------------------------------------------


def rules() -> list[dict[str, Any]]:
    yaml = pytest.importorskip("yaml", reason="PyYAML is a dev dependency (pyyaml)")
    loaded = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def test_every_alert_names_only_exported_metrics_and_says_what_to_run() -> None:
    """Each rule selects our metrics (or up), and its annotations name an ingest command."""
    exported = exported_series() | PROMETHEUS_SERIES
    found = rules()
    assert {rule["alert"] for rule in found} == ALERTS
    for rule in found:
        names = metric_names(rule["expr"])
        assert names, rule["alert"]
        assert names <= exported, (rule["alert"], names - exported)
        assert rule["annotations"]["summary"]
        assert "`ingest " in rule["annotations"]["description"], rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *args],
        cwd=PROMETHEUS,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@needs_promtool
def test_promtool_check_rules() -> None:
    """promtool loads the rules file as shipped."""
    done = promtool("check", "rules", RULES.name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in done.stdout


@needs_promtool
def test_promtool_rule_unit_tests_cover_every_alert_firing_and_not() -> None:
    """promtool test rules passes, and its cases show each alert firing and silent."""
    yaml = pytest.importorskip("yaml", reason="PyYAML is a dev dependency (pyyaml)")
    tests = yaml.safe_load((PROMETHEUS / "ingest-rules.test.yml").read_text(encoding="utf-8"))
    cases = [case for test in tests["tests"] for case in test["alert_rule_test"]]
    assert {c["alertname"] for c in cases if c["exp_alerts"]} == ALERTS, "each one firing"
    assert {c["alertname"] for c in cases if not c["exp_alerts"]} == ALERTS, "each one silent"
    done = promtool("test", "rules", "ingest-rules.test.yml")
    assert done.returncode == 0, done.stdout + done.stderr


@needs_promtool
def test_promtool_check_config_of_the_example_prometheus_yml() -> None:
    """The example prometheus.yml (the ingest job and the rule file) is valid."""
    done = promtool("check", "config", "prometheus.yml")
    assert done.returncode == 0, done.stdout + done.stderr


# --- dashboard ----------------------------------------------------------------------------


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))


def dashboard_exprs() -> list[tuple[str, str]]:
    """(panel title, expression) for every query of the dashboard."""
    return [
        (panel["title"], target["expr"])
        for panel in panels(dashboard()["panels"])
        for target in panel.get("targets", [])
    ]


def test_dashboard_queries_name_only_exported_metrics() -> None:
    """Every PromQL expression in the dashboard selects metrics our registry exposes."""
    exported = exported_series() | PROMETHEUS_SERIES
    exprs = dashboard_exprs()
    assert len(exprs) >= 8
    for title, expr in exprs:
        names = metric_names(expr)
        assert names, (title, expr)
        assert names <= exported, (title, names - exported)
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}
    # Grafana's label_values(METRIC, LABEL), not PromQL.
    query = re.fullmatch(r"label_values\((\w+), site\)", variables["site"]["definition"])
    assert query is not None
    assert query.group(1) in exported


def test_dashboard_has_a_site_variable_and_the_panels_per_site() -> None:
    """A site variable repeats one row of panels; each query is filtered by it."""
    board = dashboard()
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["site"]["type"] == "query"
    assert variables["site"]["multi"] is True
    assert variables["datasource"]["query"] == "prometheus"
    rows = [p for p in board["panels"] if p["type"] == "row"]
    assert [row["repeat"] for row in rows] == ["site"]
    titles = {panel["title"] for panel in panels(board["panels"])}
    assert {
        "Health",
        "Last success",
        "Failing dates",
        "Runs by status",
        "Pages per hour",
        "Articles per hour",
        "Fetch latency",
    } <= titles
    for title, expr in dashboard_exprs():
        assert 'site="$site"' in expr, title
    latency = " ".join(expr for title, expr in dashboard_exprs() if title == "Fetch latency")
    assert latency.count("histogram_quantile(") == 3
