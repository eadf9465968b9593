"""Shared fixtures: a real loopback sample site, settings pointing at it, a real SQLite file."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.sample_site import SampleSite, SampleSiteServer
from ingest.settings import Settings, settings_from_mapping
from ingest.store.engine import Database
from ingest.store.migrate import upgrade_to_head


@pytest.fixture
def site() -> SampleSite:
    return SampleSite(seed=0)


@pytest.fixture
def server(site: SampleSite) -> Iterator[SampleSiteServer]:
    with SampleSiteServer(site) as running:
        yield running


def fast_settings(base_url: str, listing_path: str, tmp_path: Path, **http: object) -> Settings:
    """Settings for a loopback site: quick retries, no rate limit, a temporary database."""
    http_values: dict[str, object] = {
        "requests_per_second": 0.0,
        "concurrency": 4,
        "timeout_seconds": 2.0,
        "backoff_initial_seconds": 0.01,
        "backoff_max_seconds": 0.05,
        "max_retry_after_seconds": 1.0,
    }
    http_values.update(http)
    return settings_from_mapping(
        {
            "site": {"name": "test", "base_url": base_url, "listing_path": listing_path},
            "http": http_values,
            "database": {"url": f"sqlite:///{tmp_path / 'ingest.db'}"},
            "logging": {"file": str(tmp_path / "ingest.jsonl")},
        }
    )


@pytest.fixture
def settings(server: SampleSiteServer, tmp_path: Path) -> Settings:
    return fast_settings(server.base_url, server.listing_path, tmp_path)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database.from_url(settings.database.url)
    upgrade_to_head(db.engine)
    yield db
    db.dispose()


def with_site(settings: Settings, **changes: object) -> Settings:
    return dataclasses.replace(settings, site=dataclasses.replace(settings.site, **changes))
