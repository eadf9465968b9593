"""Settings for a loopback site: what integration tests crawl with."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ingest.settings import Settings, replace_site, settings_from_mapping

# HTTP for a loopback site: no rate limit, quick timeouts and retries (Retry-After held to 1 s).
FAST_HTTP: dict[str, object] = {
    "requests_per_second": 0.0,
    "concurrency": 4,
    "timeout_seconds": 2.0,
    "backoff_initial_seconds": 0.01,
    "backoff_max_seconds": 0.05,
    "max_retry_after_seconds": 1.0,
}


def fast_settings(
    base_url: str,
    listing_path: str,
    tmp_path: Path,
    *,
    database_url: str | None = None,
    **http: object,
) -> Settings:
    """Settings for a loopback site: quick retries, no rate limit, a temporary database."""
    return settings_from_mapping(
        {
            "site": {
                "name": "test",
                "base_url": base_url,
                "listing_path": listing_path,
                "layout": "k2",
            },
            "http": {**FAST_HTTP, **http},
            "database": {"url": database_url or f"sqlite:///{tmp_path / 'ingest.db'}"},
            "logging": {"file": str(tmp_path / "ingest.jsonl")},
            "archive": {"dir": str(tmp_path / "warc")},
        }
    )


def loopback_settings(
    tmp_path: Path,
    database_url: str,
    *sites: Mapping[str, object],
    http: Mapping[str, object] | None = None,
) -> Settings:
    """Settings for ``sites`` (``[[sites]]`` tables) served over loopback: ``FAST_HTTP`` with
    ``http`` on top, the database at ``database_url``, the log and the WARC archive in
    ``tmp_path`` (never the working directory's ``data/``)."""
    return settings_from_mapping(
        {
            "http": {**FAST_HTTP, **(http or {})},
            "sites": list(sites),
            "database": {"url": database_url},
            "logging": {"file": str(tmp_path / "ingest.jsonl")},
            "archive": {"dir": str(tmp_path / "warc")},
        }
    )


def with_site(settings: Settings, **changes: object) -> Settings:
    return replace_site(settings, settings.site.name, **changes)
