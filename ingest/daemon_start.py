"""How ``ingest run`` starts: the metrics server first, then the database, waited for.

A daemon started while its database is down (a host booting, a fail-over, a compose file
starting both at once) does not exit: it tries again with jittered exponential backoff, one
``database_waiting`` event per failed attempt (the reason names engine, host and port, never the
password), and ``/healthz`` answers 503 saying it is waiting. SIGTERM stops the wait at once
(exit 0). Any other error (bad configuration, a schema it may not migrate) still ends it with
its one line. The one-shot commands never wait: they exit 1 as before.

Also the daemon's guards: one daemon per SQLite file, and SIGTERM/SIGINT turned into a stop.
"""

from __future__ import annotations

import fcntl
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import structlog

from ingest.errors import ConfigError, DatabaseInUseError, DatabaseUnavailableError
from ingest.owner_only import create_file

if TYPE_CHECKING:
    from ingest.health import HealthReport
    from ingest.metrics import MetricsCollector
    from ingest.settings import Settings
    from ingest.store.engine import Database

log = structlog.get_logger("ingest.daemon")

# Backoff between attempts to reach the database at start: full jitter, doubling from the
# first, never more than the last (a daemon that waits longer comes up later than needed).
FIRST_WAIT_SECONDS = 0.5
MAX_WAIT_SECONDS = 10.0


class Startup:
    """Where the daemon is in its start: waiting for the database, or running on it. What
    ``/healthz`` reports before the health check can run."""

    def __init__(self) -> None:
        self.database: Database | None = None
        self.attempts = 0
        self.since = datetime.now(UTC)
        self.reason = ""

    def waiting_line(self) -> str:
        return (
            f"waiting for the database since {self.since.isoformat(timespec='seconds')} "
            f"({self.attempts} attempts): {self.reason}"
        )


def wait_for_database(
    open_database: Callable[[], Database],
    stop: threading.Event,
    startup: Startup,
    *,
    first_wait: float = FIRST_WAIT_SECONDS,
    max_wait: float = MAX_WAIT_SECONDS,
) -> Database | None:
    """``open_database()`` once it can reach the database; None when ``stop`` is set first."""
    started = time.monotonic()
    while True:
        try:
            database = open_database()
        except DatabaseUnavailableError as exc:
            startup.attempts += 1
            startup.reason = str(exc)
            wait = random.uniform(0, min(max_wait, first_wait * 2 ** (startup.attempts - 1)))
            log.warning(
                "database_waiting",
                attempt=startup.attempts,
                reason=str(exc),
                next_attempt_in_seconds=round(wait, 3),
            )
            if stop.wait(wait):
                return None
            continue
        if startup.attempts:
            waited = round(time.monotonic() - started, 3)
            log.info("database_reached", attempts=startup.attempts + 1, waited_seconds=waited)
        startup.database = database
        return database


def serve(
    settings: Settings,
    collector: MetricsCollector | None,
    *,
    stop: threading.Event,
    open_database: Callable[[], Database],
    health: Callable[[Database], Sequence[HealthReport]],
    run: Callable[[Settings, Database, threading.Event], None],
) -> None:
    """The metrics server (when ``metrics.port`` is set), the database once reachable, then
    ``run`` (the daemon, ``daemon.run_daemon``) until ``stop``."""
    from ingest.metrics import serve_metrics

    startup = Startup()

    def current_health() -> Sequence[HealthReport]:
        database = startup.database
        if database is None:
            raise DatabaseUnavailableError(startup.waiting_line())
        return health(database)

    server = None
    if collector is not None and settings.metrics.port is not None:
        host, port = settings.metrics.host, settings.metrics.port
        try:
            server = serve_metrics(collector, host, port, current_health)
        except OSError as exc:  # taken since the check at start (``check_start``)
            raise ConfigError(
                f"metrics.port = {port}: cannot listen on {host}:{port}: {exc.strerror or exc}"
            ) from None
        log.info("metrics_serving", host=settings.metrics.host, port=server.server_port)
    try:
        database = wait_for_database(open_database, stop, startup)
        if database is None:
            log.info("daemon_stopped", clean=True, reason="stopped while waiting for the database")
            return
        try:
            run(settings, database, stop)
        finally:
            database.dispose()
    finally:
        if server is not None:
            server.shutdown()


@contextmanager
def one_daemon_per_sqlite_file(database: Database) -> Iterator[None]:
    """SQLite holds one daemon: a second on the same file is refused, with who holds it."""
    from ingest.store import liveness  # not at import: the metrics server starts first

    url = database.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    path = Path(f"{url.database}.daemon-lock")
    create_file(path)  # 0600, as every file beside the database
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise DatabaseInUseError(
                f"another daemon ({holder}) already runs on the SQLite database {url.database}: "
                "SQLite holds one daemon; use PostgreSQL to run several replicas"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(liveness.this_owner().rsplit(":", 1)[0])
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def install_stop_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set ``stop`` instead of killing the process mid-write."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("signal_received", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
