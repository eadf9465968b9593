"""Ingestion health: one verdict per site, shared by ``ingest health``, ``/metrics`` and
``/healthz``, and the webhook alerts.

``verdict`` judges, purely, from the run history and the quiet signals; ``reads`` gathers them
from the database for every configured site at once (``check_sites``).
"""

from ingest.health.reads import check_sites
from ingest.health.verdict import (
    FAILING_DATE_AFTER,
    PARTIAL_RUNS,
    FailingDate,
    HealthReport,
    ListingGaps,
    QuietSignals,
    RunLike,
    assess,
    quiet_failures,
)

__all__ = [
    "FAILING_DATE_AFTER",
    "PARTIAL_RUNS",
    "FailingDate",
    "HealthReport",
    "ListingGaps",
    "QuietSignals",
    "RunLike",
    "assess",
    "check_sites",
    "quiet_failures",
]
