"""Retry: which failures are worth another attempt, and when it comes.

A ``TransientFetchError`` (a timeout, a dropped connection, 408, 429, 5xx) is tried again,
``max_attempts`` in all, after an exponential backoff with full jitter, or after the answer's
``Retry-After`` when it gave one (capped at ``max_retry_after_seconds``). A
``PermanentFetchError`` is not. Usable on its own: ``Retry(http).call(attempt)`` runs
``attempt(1)``, ``attempt(2)``, ... until one returns.
"""

from __future__ import annotations

import email.utils
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from ingest.errors import FetchError, PermanentFetchError, TransientFetchError
from ingest.logs import get_logger
from ingest.settings import HttpSettings

log = get_logger("ingest.fetch")

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524})

T = TypeVar("T")


def status_error(status: int, url: str, headers: Mapping[str, str]) -> FetchError:
    """The error an answer with this (unwanted) status is: transient when worth a retry."""
    if status in RETRYABLE_STATUS:
        return TransientFetchError(
            f"HTTP {status}",
            url=url,
            status=status,
            retry_after=retry_after(headers.get("retry-after")),
        )
    return PermanentFetchError(f"HTTP {status}", url=url, status=status)


def retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class Retry:
    """The retry policy of ``http``, applied to one request's attempts."""

    def __init__(self, http: HttpSettings) -> None:
        self._http = http

    async def call(self, attempt: Callable[[int], Awaitable[T]]) -> T:
        """``attempt(n)`` for n = 1, 2, ... until one returns or fails permanently; the last
        failure is raised."""
        # The first attempt runs outside tenacity: setting its machinery up for every GET was
        # 2-3 % of a crawl's CPU, and most GETs succeed at once. A transient failure then
        # enters tenacity as its attempt 1 (the same exception, not a new request), so the
        # waits, the fetch_retry lines and the attempts that follow are exactly as before.
        try:
            return await attempt(1)
        except TransientFetchError as exc:
            first_failure = exc
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TransientFetchError),
            stop=stop_after_attempt(self._http.max_attempts),
            wait=self._wait,
            before_sleep=self._log_retry,
            reraise=True,
        )
        async for tried in retrying:
            with tried:
                number = tried.retry_state.attempt_number
                if number == 1:
                    raise first_failure
                return await attempt(number)
        raise AssertionError("unreachable: tenacity reraises the last error")

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_random_exponential(
            multiplier=self._http.backoff_initial_seconds, max=self._http.backoff_max_seconds
        )(state)
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, TransientFetchError) and exc.retry_after is not None:
            return min(exc.retry_after, self._http.max_retry_after_seconds)
        return backoff

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        log.info(
            "fetch_retry",
            url=getattr(exc, "url", None),
            attempt=state.attempt_number,
            status=getattr(exc, "status", None),
            reason=str(exc),
            wait_seconds=round(state.upcoming_sleep, 3),
        )
