"""Shared fixtures: a real loopback sample site, settings pointing at it, a real SQLite file."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ingest.settings import Settings
from ingest.store.engine import Database
from ingest.store.migrate import upgrade_to_head
from tests.support.postgres import POSTGRES_URL, fresh_postgres
from tests.support.sample_site import SampleSite, SampleSiteServer
from tests.support.settings import fast_settings

# Where ingest's defaults put its files (the database, the WARC archive) relative to the working
# directory, which for pytest is the checkout: a test writing there leaves files the next run
# finds (run ids restart with each fresh database, so WARC names repeat).
CHECKOUT_DATA = Path(__file__).resolve().parents[1] / "data"


def _files_under(folder: Path) -> dict[str, int]:
    """Each file under ``folder`` and its modification time (ns); nothing when it is absent."""
    if not folder.is_dir():
        return {}
    found: dict[str, int] = {}
    for entry in os.scandir(folder):
        if entry.is_dir():
            found |= _files_under(Path(entry.path))
        else:
            found[entry.path] = entry.stat().st_mtime_ns
    return found


@pytest.fixture(autouse=True)
def _leaves_the_checkout_alone() -> Iterator[None]:
    """Fail the test that wrote under the checkout's ``data/``: tests keep files in tmp_path."""
    before = _files_under(CHECKOUT_DATA)
    yield
    written = sorted(p for p, m in _files_under(CHECKOUT_DATA).items() if before.get(p) != m)
    if written:
        pytest.fail(f"wrote into the checkout: {written[:3]} (give it a tmp_path)")


@pytest.fixture
def site() -> SampleSite:
    return SampleSite(seed=0)


@pytest.fixture
def server(site: SampleSite) -> Iterator[SampleSiteServer]:
    with SampleSiteServer(site) as running:
        yield running


# Every database test runs on SQLite and, when INGEST_TEST_POSTGRES_URL names a server, on
# PostgreSQL too.
ENGINES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test session's own on the PostgreSQL server, dropped at the end."""
    if POSTGRES_URL is None:
        pytest.skip("INGEST_TEST_POSTGRES_URL is not set")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"ingest_test_{os.getpid()}_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ingest.db'}"
    return fresh_postgres(request.getfixturevalue("postgres_url"))


@pytest.fixture
def settings(server: SampleSiteServer, tmp_path: Path, database_url: str) -> Settings:
    return fast_settings(server.base_url, server.listing_path, tmp_path, database_url=database_url)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database.from_url(database_url)
    upgrade_to_head(db.engine)
    yield db
    db.dispose()
