"""The storage gate: a run takes its next date only when the database can store it.

Every worker of a run passes ``StorageGate.admit`` before it starts a date, so no page is
fetched for a date that cannot be stored. What a transaction raised decides the gate:

- ``StorageFullError``: the gate closes for good (a disk does not empty itself). The dates in
  flight finish or fail; the run ends ``failed`` with the reason, and the next run tries again.
- ``DatabaseUnavailableError``: the gate shuts while one probe retries the database with
  jittered exponential backoff (tenacity). Workers wait at the gate; the date that met the
  outage is retried by the run once the database is back. When the database stays away longer
  than ``database.outage_timeout``, the gate closes for good and the run ends ``failed``.

``database_unavailable``, ``database_back`` and ``storage_full`` are each logged once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import timedelta

import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_delay,
    wait_random_exponential,
)

from ingest.errors import DatabaseUnavailableError, StorageError, StorageFullError
from ingest.settings import mask_url
from ingest.store.engine import Database

log = structlog.get_logger("ingest.gate")

# The probe's backoff while the database is away: from a fraction of a second up to this (or
# the run's own ``probe_max_wait``, a quarter of its heartbeat, when shorter).
PROBE_MAX_WAIT_SECONDS = 5.0


class StorageGate:
    """Whether a run may start its next date: open, shut while the database is away, or
    closed for good with the reason the run ends on."""

    def __init__(
        self,
        database: Database,
        *,
        outage_timeout: timedelta,
        on_back: Callable[[], None] | None = None,
        probe_max_wait: timedelta = timedelta(seconds=PROBE_MAX_WAIT_SECONDS),
    ) -> None:
        self._database = database
        self._on_back = on_back
        self._probe_max_wait = min(PROBE_MAX_WAIT_SECONDS, probe_max_wait.total_seconds())
        self._timeout = outage_timeout.total_seconds()
        self._open = asyncio.Event()
        self._open.set()
        self._probe: asyncio.Task[None] | None = None
        self.reason: str | None = None
        self.outage_gave_up = False

    @property
    def closed(self) -> bool:
        """True once the run must take no more dates."""
        return self.reason is not None

    @property
    def down(self) -> bool:
        """True while the database is away and the probe waits for it."""
        return not self._open.is_set()

    async def admit(self) -> bool:
        """Wait while the database is away; True to start the next date, False to stop."""
        while not self._open.is_set():
            await self._open.wait()
        return self.reason is None

    def failed(self, exc: StorageError) -> None:
        """Note what a transaction raised: a full store closes the gate, an unreachable
        database shuts it until the probe reaches it again."""
        if isinstance(exc, StorageFullError):
            self._storage_full(exc)
        elif isinstance(exc, DatabaseUnavailableError):
            self._outage(exc)

    def close(self) -> None:
        """The run is over: stop probing and release every waiting worker."""
        if self._probe is not None:
            self._probe.cancel()
        self._open.set()

    async def wait_closed(self) -> None:
        if self._probe is not None:
            await asyncio.gather(self._probe, return_exceptions=True)

    def _storage_full(self, exc: StorageFullError) -> None:
        if self.reason is not None:
            return
        self.reason = str(exc)
        log.error(
            "storage_full",
            database=mask_url(str(self._database.engine.url)),
            reason=str(exc),
            action="no new dates; the run ends failed, the next run tries again",
        )
        self.close()

    def _outage(self, exc: DatabaseUnavailableError) -> None:
        if self.reason is not None or self.down:
            return
        self._open.clear()
        log.warning(
            "database_unavailable",
            database=mask_url(str(self._database.engine.url)),
            reason=str(exc),
            waiting_up_to_seconds=self._timeout,
        )
        self._probe = asyncio.get_running_loop().create_task(self._wait_for_database(exc))

    async def _wait_for_database(self, first: DatabaseUnavailableError) -> None:
        started = time.monotonic()
        deadline = started + self._timeout
        backoff = wait_random_exponential(multiplier=0.25, max=self._probe_max_wait)

        def wait(state: RetryCallState) -> float:
            # Never sleep past the timeout: the last try is at the deadline, not after it.
            return max(0.0, min(backoff(state), deadline - time.monotonic()))

        retrying = AsyncRetrying(
            retry=retry_if_exception_type(DatabaseUnavailableError),
            wait=wait,
            stop=stop_after_delay(self._timeout),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    # In a thread: a connection attempt may block up to its connect timeout.
                    await asyncio.to_thread(self._database.ping)
        except DatabaseUnavailableError as exc:
            self.reason = (
                f"database unavailable for more than {_seconds(self._timeout)}: {exc or first}"
            )
            self.outage_gave_up = True
            log.error("database_gave_up", reason=self.reason)
        else:
            log.info("database_back", down_seconds=round(time.monotonic() - started, 3))
            if self._on_back is not None:
                # A heartbeat first: no other process may take a long outage for a dead run.
                with contextlib.suppress(StorageError):
                    self._on_back()
        self._open.set()


def _seconds(seconds: float) -> str:
    return f"{seconds:g}s"
