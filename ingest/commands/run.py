"""``ingest run``: the daemon, with ``/metrics`` and ``/healthz`` when ``metrics.port`` is set."""

from __future__ import annotations

import argparse
import threading

from ingest.commands._common import EXIT_OK, check_start, open_database, start_logging
from ingest.heap import freeze_startup_objects
from ingest.settings import Settings

NAME = "run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: the daemon's every setting is in the config file."""


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """The daemon: it waits for its database rather than exiting (``daemon_start``)."""
    check_start(settings, metrics=True)  # before the log folder or the database is made
    collector = None
    if settings.metrics.port is not None:
        from ingest.metrics import MetricsCollector

        collector = MetricsCollector()
    # The daemon narrates on stderr; the metrics collector counts every event as it passes.
    start_logging(settings, NAME, stream_level=None, observers=[collector] if collector else [])
    from ingest import health
    from ingest.daemon import run_daemon
    from ingest.daemon_start import install_stop_signals, serve

    freeze_startup_objects()  # the crawl's modules are start-up's too
    stop = threading.Event()
    install_stop_signals(stop)
    serve(
        settings,
        collector,
        stop=stop,
        open_database=lambda: open_database(settings, access="crawl"),
        health=lambda database: health.check_sites(settings, database),
        run=lambda config, database, stop: run_daemon(config, database, stop=stop),
    )
    return EXIT_OK
