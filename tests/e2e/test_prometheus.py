"""A real Prometheus scrapes a real daemon: the series exist with the right values.

Debian's `prometheus` package provides the binary (`.ci/run` installs it when missing); where it
is absent the test is skipped, saying so. Prometheus runs on a free loopback port with its
storage in tmp, scrapes `ingest run` every second and loads the shipped alert rules.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support.cli import ROOT, free_port, start, wait_for, write_config
from tests.support.sample_site import SampleSite, SampleSiteServer

PROMETHEUS = shutil.which("prometheus")
RULES = ROOT / "deploy" / "prometheus" / "ingest-rules.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "ingest.json"
SITE = "cli"  # the site name write_config gives

pytestmark = pytest.mark.skipif(
    PROMETHEUS is None,
    reason="prometheus not found: apt-get install prometheus (Debian; .ci/run does it)",
)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


class Prometheus:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's result vector; raises on a PromQL error."""
        url = f"{self.base_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        answer = get_json(url)
        assert answer["status"] == "success", (expr, answer)
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result

    def value(self, expr: str) -> float | None:
        """The value of a query that selects at most one series."""
        result = self.query(expr)
        assert len(result) <= 1, (expr, result)
        return float(result[0]["value"][1]) if result else None


def healthz_ok(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def daemon_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`ingest run` against the loopback sample site, metrics on a free port, healthy."""
    tmp_path = tmp_path_factory.mktemp("daemon")
    site = SampleSite(seed=0)
    today = datetime.now(ZoneInfo("Asia/Damascus")).date()
    site.add_article(today, title_html="Scraped by Prometheus", intro_paragraphs=("Now.",))
    port = free_port()
    extra = f'[schedule]\ninterval = "10s"\nlookback_days = 1\n[metrics]\nport = {port}\n'
    with SampleSiteServer(site) as server:
        config = write_config(tmp_path, server, extra)
        daemon = start(["--config", str(config), "run"], tmp_path)
        try:
            wait_for(lambda: healthz_ok(port) or daemon.poll() is not None, 60)
            assert daemon.poll() is None, daemon.communicate(timeout=5)[1][-3000:]
            yield port
        finally:
            daemon.terminate()
            _, stderr = daemon.communicate(timeout=15)
            assert daemon.returncode == 0, stderr[-3000:]


@pytest.fixture(scope="module")
def prometheus(daemon_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    """Debian's prometheus scraping the daemon every second, with the shipped rules loaded."""
    assert PROMETHEUS is not None
    tmp_path = tmp_path_factory.mktemp("prometheus")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        json.dumps(  # JSON is YAML
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(RULES)],
                "scrape_configs": [
                    {
                        "job_name": "ingest",
                        "static_configs": [{"targets": [f"127.0.0.1:{daemon_port}"]}],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    port = free_port()
    log = (tmp_path / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert process.poll() is None, (tmp_path / "prometheus.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{base_url}/-/ready", timeout=2) as response:
                    return response.status == 200
            except (urllib.error.URLError, OSError):
                return False

        wait_for(ready, 60)
        yield Prometheus(base_url)
    finally:
        process.kill()
        process.wait(timeout=15)
        log.close()


def test_prometheus_scrapes_the_daemons_series_with_their_values(
    prometheus: Prometheus,
) -> None:
    """After a scrape: runs, pages, articles, latency and the health gauges, for the site."""
    site = f'site="{SITE}"'
    wait_for(lambda: prometheus.value('up{job="ingest"}') == 1, 60)
    wait_for(lambda: prometheus.value(f"ingest_health{{{site}}}") is not None, 30)
    succeeded = prometheus.value(f'ingest_runs_total{{{site},status="succeeded"}}')
    assert succeeded is not None and succeeded >= 1
    pages = prometheus.value(f"sum(ingest_pages_total{{{site}}})")
    assert pages is not None and pages > 0
    ok_pages = prometheus.value(f'ingest_pages_total{{{site},status="200"}}')
    assert ok_pages is not None and ok_pages > 0
    new = prometheus.value(f'ingest_articles_total{{{site},outcome="new"}}')
    assert new is not None and new >= 1, "today's article was stored"
    outcomes = prometheus.query(f"ingest_articles_total{{{site}}}")
    assert {r["metric"]["outcome"] for r in outcomes} == {"new", "updated", "unchanged"}
    fetched = prometheus.value(f"ingest_fetch_seconds_count{{{site}}}")
    assert fetched is not None and fetched >= ok_pages
    buckets = prometheus.query(f"ingest_fetch_seconds_bucket{{{site}}}")
    assert {r["metric"]["le"] for r in buckets} >= {"0.05", "1.0", "+Inf"}
    p90 = prometheus.value(
        f"histogram_quantile(0.9, sum by (le) (ingest_fetch_seconds_bucket{{{site}}}))"
    )
    assert p90 is not None and 0 < p90 <= 30
    runs = prometheus.value(f"ingest_run_duration_seconds_count{{{site}}}")
    assert runs is not None and runs >= 1
    assert prometheus.value(f"ingest_health{{{site}}}") == 1
    assert prometheus.value(f"ingest_failing_dates{{{site}}}") == 0
    assert prometheus.query(f"ingest_failing_since_timestamp_seconds{{{site}}}") == []
    assert prometheus.value(f"ingest_health_max_age_seconds{{{site}}}") == 30, "3 x 10s"
    age = prometheus.value(f"time() - ingest_last_success_timestamp_seconds{{{site}}}")
    assert age is not None and -5 < age < 120
    assert prometheus.value(f"ingest_recent_empty_days{{{site}}}") is not None
    labels = prometheus.query(f"ingest_health{{{site}}}")[0]["metric"]
    assert set(labels) == {"__name__", "site", "job", "instance"}, "no other labels"


def test_the_shipped_rules_load_and_evaluate_and_nothing_fires_for_a_healthy_daemon(
    prometheus: Prometheus,
) -> None:
    """Prometheus loads ingest-rules.yml, evaluates every rule without error, fires none."""
    wait_for(lambda: prometheus.value(f'ingest_health{{site="{SITE}"}}') == 1, 60)

    def evaluated() -> list[dict[str, Any]]:
        """The rules once each has been evaluated (before that, lastEvaluation is year 1)."""
        groups = get_json(f"{prometheus.base_url}/api/v1/rules")["data"]["groups"]
        found: list[dict[str, Any]] = [rule for group in groups for rule in group["rules"]]
        done = all(not rule["lastEvaluation"].startswith("0001") for rule in found)
        return found if done else []

    wait_for(lambda: len(evaluated()) == 5, 30)
    for rule in evaluated():
        assert rule["health"] == "ok", rule
        assert rule["state"] == "inactive", rule
    assert prometheus.query('ALERTS{alertname=~"Ingest.*"}') == []


def test_every_dashboard_query_runs_on_prometheus(prometheus: Prometheus) -> None:
    """Each expression of the Grafana dashboard, with $site filled in, is valid PromQL and the
    per-site stat panels show a value."""
    wait_for(lambda: prometheus.value(f'ingest_health{{site="{SITE}"}}') is not None, 60)
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    stats = 0
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"].replace("$site", SITE).replace("$__rate_interval", "1m")
            result = prometheus.query(expr)
            if panel["type"] == "stat":
                stats += 1
                assert result, (panel["title"], expr)
    assert stats >= 4
