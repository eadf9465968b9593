"""Webhook alerts against a real local receiver: a site goes down and comes back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import event, select

from ingest import alerts
from ingest.crawl import backfill
from ingest.domain import RunKind, RunStatus
from ingest.settings import Settings, settings_from_mapping
from ingest.store import runs, tables
from ingest.store.engine import Database
from tests.support.sample_site import SampleSiteServer, Status
from tests.support.webhook import Receiver

DAY = date(2020, 2, 3)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


def alert_settings(
    server: SampleSiteServer, tmp_path: Path, database_url: str, **alert: object
) -> Settings:
    return settings_from_mapping(
        {
            "site": {"name": "news", "base_url": server.base_url,
                     "listing_path": server.listing_path, "layout": "k2"},
            "http": {"requests_per_second": 0.0, "timeout_seconds": 2.0, "max_attempts": 1},
            "database": {"url": database_url},
            "logging": {"file": str(tmp_path / "ingest.jsonl")},
            "archive": {"dir": str(tmp_path / "warc")},
            "alerts": {"max_attempts": 2, "backoff_seconds": 0.01, "timeout_seconds": 2.0,
                       **alert},
        }
    )  # fmt: skip


def crawl(settings: Settings, database: Database) -> str:
    (outcome,) = backfill(settings, database, DAY, DAY, force=True)
    return getattr(outcome, "status").value  # noqa: B009


def check(settings: Settings, database: Database, **kw: Any) -> list[alerts.Delivery]:
    return alerts.check_and_notify(settings, database, now=kw.pop("now", datetime.now(UTC)), **kw)


def test_down_and_back_one_alert_each_way(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database,
    receiver: Receiver,
) -> None:  # fmt: skip
    """Healthy start: silence. Two failed runs: one alert with the reason and the last run's
    counts; more failures: nothing. Back up: one resolved alert."""
    settings = alert_settings(server, tmp_path, database_url, url=receiver.url)
    assert crawl(settings, database) == "succeeded"
    assert check(settings, database) == [] and receiver.take() == []

    server.faults.add(lambda path: path.startswith("/date/"), Status(503), times=None)
    assert crawl(settings, database) == "failed"
    assert check(settings, database) == [], "one failed run is below after_failures"
    assert crawl(settings, database) == "failed"
    with structlog.testing.capture_logs() as events:
        (delivery,) = check(settings, database)
    assert delivery.sent and delivery.state == "firing" and delivery.attempts == 1
    assert [e["event"] for e in events if e["event"].startswith("alert_")] == ["alert_sent"]
    (body,) = receiver.take()
    with database.transaction() as tx:
        last_id = tx.connection.scalar(select(tables.runs.c.id).order_by(tables.runs.c.id.desc()))
    assert body["site"] == "news" and body["alert"] == "health" and body["state"] == "firing"
    assert body["reason"].startswith("the last 2 runs did not succeed (failed, failed)")
    assert "HTTP 503" in body["reason"]
    assert body["run"]["id"] == last_id and body["run"]["dates_failed"] == 1
    assert body["text"].startswith("news is unhealthy: ")

    for _ in range(2):
        assert crawl(settings, database) == "failed"
        assert check(settings, database) == []
    assert receiver.take() == [], "the failure repeats: nothing further is sent"

    server.faults.clear()
    assert crawl(settings, database) == "succeeded"
    (resolved,) = check(settings, database)
    (body,) = receiver.take()
    assert resolved.state == body["state"] == "resolved"
    assert body["reason"].startswith("healthy: last success")
    assert check(settings, database) == [] and receiver.take() == []


def test_receiver_down_retried_at_next_check_and_runs_unaffected(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database,
    receiver: Receiver,
) -> None:  # fmt: skip
    """A 500 on every attempt: alert_failed, the run's record untouched; the next check
    sends it once the receiver answers."""
    settings = alert_settings(server, tmp_path, database_url, url=receiver.url, after_failures=1)
    server.faults.add(lambda path: path.startswith("/date/"), Status(503), times=None)
    assert crawl(settings, database) == "failed"
    receiver.statuses = [500, 500]
    with structlog.testing.capture_logs() as events:
        (failed,) = check(settings, database)
    assert not failed.sent and failed.attempts == 2 and "HTTP 500" in (failed.error or "")
    names = [e["event"] for e in events if e["event"].startswith("alert_")]
    assert names == ["alert_retry", "alert_failed"]
    assert not any("secret-token" in json.dumps(e, default=str) for e in events)
    assert len(receiver.take()) == 2
    with database.transaction() as tx:
        state = tx.connection.execute(
            select(tables.alert_state).where(
                tables.alert_state.c.site == "news", tables.alert_state.c.kind == "health"
            )
        ).one()
        assert state is not None and state.delivered_state is None
        assert state.last_error == "the webhook answered HTTP 500"
        statuses = [r.status for r in tx.connection.execute(select(tables.runs))]
    assert statuses == ["failed"], "the run is recorded as it ended, whatever the alert did"

    (retried,) = check(settings, database)
    assert retried.sent and retried.state == "firing"
    assert [b["state"] for b in receiver.take()] == ["firing"]
    assert check(settings, database) == []


def test_slack_shape(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database,
    receiver: Receiver,
) -> None:  # fmt: skip
    settings = alert_settings(
        server, tmp_path, database_url, url=receiver.url, format="slack", after_failures=1
    )
    server.faults.add(lambda path: path.startswith("/date/"), Status(503), times=None)
    crawl(settings, database)
    check(settings, database)
    (body,) = receiver.take()
    assert set(body) == {"text", "blocks"}
    assert body["text"].startswith(":red_circle: news is unhealthy: the last 1 runs")
    section, context = body["blocks"]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert "*news is unhealthy*" in section["text"]["text"]
    assert context["type"] == "context" and "--errors" in context["elements"][0]["text"]


def test_nothing_new_alert(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database,
    receiver: Receiver,
) -> None:  # fmt: skip
    """No new article for quiet_after: one "quiet" alert; new articles: resolved. A site's
    own quiet_after wins over the default."""
    settings = alert_settings(server, tmp_path, database_url, url=receiver.url,
                              quiet_after="1h", sites={"news": {"quiet_after": "2d"}})  # fmt: skip
    crawl(settings, database)
    now = datetime.now(UTC)
    assert check(settings, database, now=now + timedelta(days=1)) == []
    (quiet,) = check(settings, database, now=now + timedelta(days=3))
    assert quiet.alert == "quiet" and quiet.state == "firing"
    assert quiet.reason.startswith("nothing new for 3d (quiet_after 2d)")
    assert check(settings, database, now=now + timedelta(days=4)) == []
    (back,) = check(settings, database, now=now)
    assert back.alert == "quiet" and back.state == "resolved"
    assert [b["alert"] for b in receiver.take()] == ["quiet", "quiet"]


def test_alerts_off_or_url_missing(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database
) -> None:
    """No [alerts] url: nothing is judged. A url_env not set: the transition is kept and each
    check reports why it cannot be sent."""
    off = alert_settings(server, tmp_path, database_url)
    server.faults.add(lambda path: path.startswith("/date/"), Status(503), times=None)
    crawl(off, database)
    crawl(off, database)
    assert check(off, database) == []
    unset = alert_settings(server, tmp_path, database_url, url_env="INGEST_TEST_HOOK")
    for _ in range(2):
        (delivery,) = check(unset, database)
        assert not delivery.sent and "$INGEST_TEST_HOOK, which is not set" in (delivery.error or "")


def test_a_run_checks_its_own_site_and_the_timer_every_site(
    server: SampleSiteServer, tmp_path: Path, database_url: str, database: Database,
    receiver: Receiver,
) -> None:  # fmt: skip
    """The check after a run judges that run's site only (at 10,000 sites, judging every site
    after every run was O(sites) a run): another site's transition waits for the timer's
    check of every site."""
    one = alert_settings(server, tmp_path, database_url, url=receiver.url)
    other = {"name": "other", "base_url": server.base_url, "layout": "k2"}
    settings = settings_from_mapping({
        "sites": [{"name": "news", "base_url": server.base_url,
                   "listing_path": server.listing_path, "layout": "k2"}, other],
        "database": {"url": database_url},
        "archive": {"dir": str(tmp_path / "warc")},
        "alerts": {"url": receiver.url, "max_attempts": 1, "timeout_seconds": 2.0},
    })  # fmt: skip
    with database.transaction() as tx:  # "other" failed twice: its alert is due
        for hours in (3, 2):
            started = datetime.now(UTC) - timedelta(hours=hours)
            run_id = runs.start_run(tx.connection, site="other", kind=RunKind.SCHEDULED,
                                    date_from=None, date_to=None, now=started)  # fmt: skip
            runs.finish_run(tx.connection, run_id, status=RunStatus.FAILED, now=started,
                            counts=runs.RunCounts(), error_summary="HTTP 503")  # fmt: skip
        tx.commit()
    assert crawl(one, database) == "succeeded"
    (news,) = settings.sites[:1]

    assert check(settings, database, sites=[news]) == []
    assert receiver.take() == []
    with database.transaction() as tx:
        judged = set(tx.connection.scalars(select(tables.alert_state.c.site)))
    assert judged == {"news"}, "only the run's site was judged"

    (fired,) = check(settings, database)
    assert (fired.site, fired.alert, fired.state) == ("other", "health", "firing")
    assert [body["site"] for body in receiver.take()] == ["other"]


def many_sites_settings(tmp_path: Path, database_url: str, url: str, prefix: str, count: int
                        ) -> Settings:  # fmt: skip
    sites = [{"name": f"{prefix}{n}", "base_url": "http://127.0.0.1:9", "layout": "k2"}
             for n in range(count)]  # fmt: skip
    return settings_from_mapping({
        "sites": sites,
        "database": {"url": database_url},
        "archive": {"dir": str(tmp_path / "warc")},
        "alerts": {"url": url, "max_attempts": 1, "timeout_seconds": 2.0, "quiet_after": "2d"},
    })  # fmt: skip


def statements(database: Database, work: Any) -> tuple[int, Any]:
    """The statements ``work()`` sends to the database, counted on the engine itself."""
    sent = 0

    def count(*_: Any) -> None:
        nonlocal sent
        sent += 1

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        result = work()
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    return sent, result


@pytest.mark.parametrize("by_name", [True, False], ids=["sites-named", "every-site"])
def test_the_timer_check_costs_the_same_statements_for_5_sites_as_for_50(
    tmp_path: Path, database_url: str, database: Database, receiver: Receiver, by_name: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """At 10,000 sites the timer's check ran nine statements a site every minute: it now reads
    every site's runs, articles and alert states at once, and writes only what changed. Two
    sites of each config are down, one of them quiet too (no run for 3 days); the rest are
    healthy: same transitions, same statements."""
    if not by_name:  # the reads of every site's rows, as a config past _BY_NAME sites takes
        monkeypatch.setattr(alerts, "_BY_NAME", 0)
    now = datetime.now(UTC)
    counted = {}
    for prefix, count in (("few", 5), ("many", 50)):
        settings = many_sites_settings(tmp_path, database_url, receiver.url, prefix, count)
        with database.transaction() as tx:
            for n, site in enumerate(settings.sites):
                statuses = [RunStatus.FAILED] * 2 if n < 2 else [RunStatus.SUCCEEDED]
                for hours, status in enumerate(statuses, start=1):
                    started = now - timedelta(hours=hours, days=3 if n == 1 else 0)
                    run_id = runs.start_run(tx.connection, site=site.name, kind=RunKind.SCHEDULED,
                                            date_from=None, date_to=None, now=started)  # fmt: skip
                    runs.finish_run(tx.connection, run_id, status=status, now=started,
                                    counts=runs.RunCounts(), error_summary="HTTP 503")  # fmt: skip
            tx.commit()
        first, sent = statements(database, partial(check, settings, database, now=now))
        fired = sorted((d.site, d.alert) for d in sent if d.state == "firing" and d.sent)
        assert fired == [(f"{prefix}0", "health"), (f"{prefix}1", "health"),
                         (f"{prefix}1", "quiet")]  # fmt: skip
        assert sorted(b["site"] for b in receiver.take()) == [f"{prefix}0", *[f"{prefix}1"] * 2]
        steady, sent = statements(database, partial(check, settings, database, now=now))
        assert sent == [] and receiver.take() == []
        counted[count] = (first, steady)
    assert counted[50] == counted[5], counted
