"""Webhook alerts (``[alerts]``): one HTTP POST per health transition of a site, both ways.

For a single host without Alertmanager. ``check_and_notify`` is the whole interface: the daemon
calls it for the site of each run that ends, and for every configured site on a timer. Each
call, for each site it checks:

1. judges the ``health`` alert: firing after ``after_failures`` consecutive failed, partial or
   abandoned runs (interrupted ones are skipped), or when ``ingest health`` finds the site
   unhealthy for another reason (a stuck run, no success within the max age, a date failing
   for a day, empty days, a field gone missing);
2. judges the ``quiet`` alert when ``quiet_after`` is set for the site: firing when no new
   article has been stored for that long;
3. records each state in ``alert_state`` and posts the transitions not delivered yet: one
   alert per transition, never one per run. A post is retried (tenacity) within the call; a
   post that still fails is logged (``alert_failed``) and tried again at the next call.

Nothing here raises: an alert that cannot be judged or sent never fails a run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx2
import structlog
from sqlalchemy import Row
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from ingest import __version__
from ingest.errors import IngestError
from ingest.health import PARTIAL_RUNS, HealthReport, check_sites
from ingest.settings import AlertSettings, Settings, SiteSettings
from ingest.store import alerts as store
from ingest.store.engine import Database

log = structlog.get_logger("ingest.alerts")

FIRING, OK = "firing", "ok"
HEALTH, QUIET = "health", "quiet"
_BAD_RUNS = frozenset({"failed", "partial", "abandoned"})
_NOT_COUNTED = frozenset({"running", "interrupted"})
_RUNNING = frozenset({"running"})
# Health reasons about the run statuses themselves: ``after_failures`` decides those instead.
_RUN_REASONS = ("the last run (", f"the last {PARTIAL_RUNS} runs were partial",
                "no run has succeeded yet")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Verdict:
    firing: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """One post of one transition: sent, or failed (and pending for the next check)."""

    site: str
    alert: str  # "health" or "quiet"
    state: str  # "firing" or "resolved"
    reason: str
    sent: bool
    attempts: int
    error: str | None = None


def failure_streak(statuses: Iterable[str]) -> int:
    """Consecutive failed, partial or abandoned runs, newest first; interrupted ones skipped."""
    streak = 0
    for status in statuses:
        if status in _NOT_COUNTED:
            continue
        if status not in _BAD_RUNS:
            break
        streak += 1
    return streak


def health_verdict(
    report: HealthReport, runs: Sequence[Row[Any]], after_failures: int
) -> Verdict | None:
    """The health alert's state from the site's report and runs (newest first); None before
    any run finished (nothing to say about a site not crawled yet)."""
    finished = [r for r in runs if r.status not in _NOT_COUNTED]
    if not finished:
        return None
    streak = failure_streak(r.status for r in runs)
    if streak >= after_failures:
        statuses = ", ".join(r.status for r in finished[:streak])
        reason = f"the last {streak} runs did not succeed ({statuses})"
        if finished[0].error_summary:
            reason += f"; run {finished[0].id}: {finished[0].error_summary.split('; ')[0]}"
        return Verdict(True, reason)
    reasons: list[str] = report.figures.get("reasons", [])
    other = [r for r in reasons if not r.startswith(_RUN_REASONS)]
    if other:
        return Verdict(True, other[0])
    return Verdict(False, report.reason if report.healthy else "healthy enough: " + report.reason)


def quiet_verdict(
    latest: datetime | None, first_run: datetime | None, now: datetime, quiet_after: timedelta
) -> Verdict | None:
    """The "nothing new" alert: the newest article's age (or the first run's) against the limit."""
    since = latest or first_run
    if since is None:
        return None
    what = "the latest article was stored" if latest else "no article since the first run"
    if now - since > quiet_after:
        return Verdict(
            True,
            f"nothing new for {_span(now - since)} (quiet_after {_span(quiet_after)}): "
            f"{what} {since:%Y-%m-%d %H:%M} UTC",
        )
    return Verdict(False, f"new articles again: {what} {since:%Y-%m-%d %H:%M} UTC")


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def check_and_notify(
    settings: Settings,
    database: Database,
    *,
    now: datetime,
    transport: httpx2.BaseTransport | None = None,
    sites: Sequence[SiteSettings] | None = None,
) -> list[Delivery]:
    """Judge the alerts of ``sites`` (default: every configured site), record them, post
    their transitions not delivered yet; the deliveries tried. Never raises (an alert must not
    fail a run). A run changes only its own site's alerts: the daemon checks that site after
    it, and every site on its timer (what time alone changes: a success grown too old,
    nothing new, a delivery to retry)."""
    alerts = settings.alerts
    if not alerts.enabled:
        return []
    try:
        pending, last_runs = _observe(settings, database, now, sites or settings.sites)
    except IngestError as exc:
        log.error("alert_check_failed", error=str(exc))
        return []
    deliveries: list[Delivery] = []
    for transition in pending:
        last_run = last_runs.get(transition.site)
        try:
            figures = _run_figures(last_run) if last_run is not None else None
            delivery = _deliver(transition, figures, alerts, database, now=now,
                                transport=transport)  # fmt: skip
        except IngestError as exc:
            log.error("alert_check_failed", site=transition.site, error=str(exc))
            continue
        if delivery is not None:
            deliveries.append(delivery)
    return deliveries


# At most this many sites checked (the run's own, after each run): the reads name them; more
# (the timer's check of every site), each read takes every site's rows in one pass.
_BY_NAME = 1000


def _observe(
    settings: Settings, database: Database, now: datetime, sites: Sequence[SiteSettings]
) -> tuple[list[store.Pending], dict[str, Row[Any]]]:
    """Judge and record ``sites``' alerts in a few set-based statements, however many sites:
    each read covers them all (docs/performance.md, "The alert timer")."""
    alerts = settings.alerts
    reports = {report.site: report for report in check_sites(settings, database, sites=sites)}
    names = {site.name for site in sites} if len(sites) <= _BY_NAME else None
    quiet_after = {site.name: alerts.quiet_after_for(site.name) for site in sites}
    observed: list[store.Observation] = []
    with database.transaction() as tx:
        connection = tx.connection
        recent = store.recent_runs_by_site(connection, names, alerts.after_failures + 10)
        # The health reason quotes a failing site's newest counted run: only those are read
        # whole (and, below, the last run of a site with a transition to post).
        failing = [site.name for site in sites
                   if failure_streak(run.status for run in recent.get(site.name, ()))
                   >= alerts.after_failures]  # fmt: skip
        for name, record in store.newest_records(connection, recent, failing, _NOT_COUNTED).items():
            recent[name] = [record if run.id == record.id else run for run in recent[name]]
        latest: dict[str, datetime] = {}
        first_run: dict[str, datetime] = {}
        if any(limit is not None for limit in quiet_after.values()):
            latest = store.latest_article_by_site(connection, names)
            first_run = store.first_run_by_site(connection, names)
        for site in sites:
            runs = recent.get(site.name, [])
            verdicts = {HEALTH: health_verdict(reports[site.name], runs, alerts.after_failures)}
            limit = quiet_after[site.name]
            if limit is not None:
                verdicts[QUIET] = quiet_verdict(
                    latest.get(site.name), first_run.get(site.name), now, limit
                )
            observed.extend(
                store.Observation(site.name, alert, FIRING if verdict.firing else OK,
                                  verdict.reason)
                for alert, verdict in verdicts.items()
                if verdict is not None
            )  # fmt: skip
        pending = store.observe(connection, observed, ok=OK, now=now, sites=names)
        posting = {transition.site for transition in pending}
        last_runs = store.newest_records(connection, recent, posting, _RUNNING)
        tx.commit()
    return pending, last_runs


def _run_figures(run: Row[Any]) -> dict[str, Any]:
    return {
        "id": run.id,
        "kind": run.kind,
        "status": run.status,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "dates_done": run.dates_done,
        "dates_failed": run.dates_failed,
        "pages_fetched": run.pages_fetched,
        "pages_failed": run.pages_failed,
        "articles_new": run.articles_new,
        "articles_updated": run.articles_updated,
        "error_summary": run.error_summary,
    }


def headline(site: str, alert: str, firing: bool) -> str:
    if alert == HEALTH:
        return f"{site} is unhealthy" if firing else f"{site} is healthy again"
    return f"{site}: nothing new" if firing else f"{site}: new articles again"


def payload(transition: store.Pending, run: dict[str, Any] | None, fmt: str) -> dict[str, Any]:
    """The JSON document posted: ours, or Slack's incoming-webhook shape."""
    firing = transition.state == FIRING
    reason = transition.reason or ""
    text = f"{headline(transition.site, transition.alert, firing)}: {reason}"
    if fmt == "slack":
        return _slack(text, transition, run, firing)
    return {
        "site": transition.site,
        "alert": transition.alert,
        "state": FIRING if firing else "resolved",
        "reason": reason,
        "since": transition.since.isoformat(),
        "text": text,
        "run": run,
        "source": f"ingest {__version__}",
    }


def _slack(
    text: str, transition: store.Pending, run: dict[str, Any] | None, firing: bool
) -> dict[str, Any]:
    mark = ":red_circle:" if firing else ":large_green_circle:"
    head = slack_escape(headline(transition.site, transition.alert, firing))
    reason = slack_escape(transition.reason or "")
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{mark} *{head}*\n{reason}"}},
    ]
    if run is not None:
        figures = (
            f"last run {run['id']} ({run['kind']}) {run['status']}: {run['dates_done']} dates "
            f"done, {run['dates_failed']} failed; {run['pages_fetched']} pages, "
            f"{run['pages_failed']} failed; {run['articles_new']} new articles. "
            f"`ingest logs {run['id']} --errors`"
        )
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": figures}]})
    return {"text": f"{mark} {slack_escape(text)}", "blocks": blocks}


def slack_escape(text: str) -> str:
    """Text from a site or the database shown as it is in Slack: ``&``, ``<`` and ``>`` escaped
    as Slack's formatting docs ask (api.slack.com/reference/surfaces/formatting#escaping), so
    ``<!channel>`` notifies nobody and ``<url|text>`` links nowhere."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Retry(Exception):
    """A post worth trying again: no answer, 408, 429 or 5xx."""


class _Refused(Exception):
    """A post the receiver refused (another 4xx): not retried until the next check."""


def _deliver(
    transition: store.Pending,
    run: dict[str, Any] | None,
    alerts: AlertSettings,
    database: Database,
    *,
    now: datetime,
    transport: httpx2.BaseTransport | None,
) -> Delivery | None:
    with database.transaction() as tx:
        claimed = store.claim(tx.connection, transition, now)
        tx.commit()
    if not claimed:
        return None  # another check delivered it, or the state moved on meanwhile
    state = FIRING if transition.state == FIRING else "resolved"
    fields = {"site": transition.site, "alert": transition.alert, "state": state}
    reason = transition.reason or ""
    error: str | None
    if alerts.url is None:
        attempts, error = 0, f"alerts.url_env names ${alerts.url_env}, which is not set"
    else:
        try:
            body = payload(transition, run, alerts.format)
            attempts, error = _post(alerts, alerts.url, body, transport, fields)
        except Exception as exc:  # the claim must be given back whatever happened
            log.exception("alert_internal_error", **fields)
            attempts, error = 0, f"internal error: {type(exc).__name__}"
    with database.transaction() as tx:
        if error is None:
            store.delivered(tx.connection, transition)
        else:
            store.release(tx.connection, transition, error)
        tx.commit()
    if error is not None:
        log.warning("alert_failed", **fields, error=error, reason=reason)
        return Delivery(transition.site, transition.alert, state, reason, False, attempts, error)
    log.info("alert_sent", **fields, reason=reason, attempts=attempts)
    return Delivery(transition.site, transition.alert, state, reason, True, attempts)


def _post(
    alerts: AlertSettings,
    url: str,
    body: dict[str, Any],
    transport: httpx2.BaseTransport | None,
    fields: dict[str, str],
) -> tuple[int, str | None]:
    """POST ``body``, retried on transient failures (exponential backoff, full jitter): the
    attempts made, and the error if the last one failed."""

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.info("alert_retry", **fields, attempt=state.attempt_number, error=str(error),
                 wait_seconds=round(wait, 3))  # fmt: skip

    backoff = alerts.backoff_seconds
    retrying = Retrying(
        stop=stop_after_attempt(alerts.max_attempts),
        wait=wait_random_exponential(multiplier=backoff, max=backoff * 16),
        retry=retry_if_exception_type(_Retry),
        before_sleep=before_sleep,
        reraise=True,
    )
    attempts = 0
    headers = {"User-Agent": f"ingest/{__version__} alerts"}
    with httpx2.Client(timeout=alerts.timeout_seconds, transport=transport, trust_env=False,
                      headers=headers) as client:  # fmt: skip

        def attempt() -> None:
            nonlocal attempts
            attempts += 1
            _post_once(client, url, body)

        try:
            retrying(attempt)
        except (_Retry, _Refused) as exc:
            return attempts, str(exc)
    return attempts, None


def _post_once(client: httpx2.Client, url: str, body: dict[str, Any]) -> None:
    try:
        response = client.post(url, json=body)
    except httpx2.HTTPError as exc:
        # The URL is a secret: only the kind of failure is told.
        raise _Retry(f"{type(exc).__name__}: no answer from the webhook") from None
    if response.status_code in (408, 429) or response.status_code >= 500:
        raise _Retry(f"the webhook answered HTTP {response.status_code}")
    if response.status_code >= 400:
        raise _Refused(f"the webhook refused the alert: HTTP {response.status_code}")
