"""Commands that read never write; every command says in one line that the database is away."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from ingest.store.engine import Database
from ingest.store.migrate import downgrade_to, head_revision, schema_version, upgrade_to_head
from tests.support.cli import ingest, write_config
from tests.support.sample_site import SampleSiteServer


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("command", ["health", "runs"])
def test_reading_an_older_schema_fails_with_the_upgrade_hint_and_changes_nothing(
    server: SampleSiteServer, tmp_path: Path, database_url: str, command: str
) -> None:
    """health and runs on a schema one version behind: exit 1, one line with the version
    found, the version needed and `ingest db upgrade`; the schema and the runs stay as they
    were (a dead process's run is not marked abandoned by a reader)."""
    config = str(write_config(tmp_path, server))
    database = Database.from_url(database_url)
    upgrade_to_head(database.engine)
    downgrade_to(database.engine, "0001")
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO runs (site, kind, status, started_at, dates_total, dates_done, "
                "dates_failed, dates_skipped, pages_fetched, pages_failed, articles_new, "
                "articles_updated, articles_unchanged, duplicates) VALUES ('cli', 'backfill', "
                "'running', :now, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)"
            ),
            {"now": datetime(2020, 1, 1, tzinfo=UTC)},
        )
    try:
        done = ingest(
            "--config", config, command, cwd=tmp_path, env={"INGEST_DATABASE_URL": database_url}
        )
        assert done.returncode == 1
        (line,) = done.stderr.strip().splitlines()
        assert f"at version 0001, this ingest needs {head_revision()}" in line
        assert "ingest db upgrade" in line
        assert schema_version(database.engine) == "0001"
        with database.engine.connect() as connection:
            assert connection.execute(text("SELECT status FROM runs")).scalars().all() == [
                "running"
            ]
    finally:
        database.dispose()


def test_a_half_migrated_schema_is_named_as_such(tmp_path: Path) -> None:
    """The recorded version says 0001 but a 0002 column is there: `db upgrade` says the two
    disagree, instead of SQLite's "duplicate column name"."""
    url = f"sqlite:///{tmp_path / 'half.db'}"
    database = Database.from_url(url)
    upgrade_to_head(database.engine)
    downgrade_to(database.engine, "0001")
    with database.engine.begin() as connection:
        connection.execute(text("ALTER TABLE runs ADD COLUMN owner VARCHAR(200)"))
    database.dispose()
    done = ingest("db", "upgrade", cwd=tmp_path, env={"INGEST_DATABASE_URL": url})
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert "recorded schema version (0001) does not match the tables" in line
    assert line.startswith("ingest: error: ") and "migration failed" not in line


def test_a_reader_never_creates_a_database(tmp_path: Path) -> None:
    """runs on a SQLite file that does not exist: the hint, and still no file."""
    path = tmp_path / "none" / "ingest.db"
    done = ingest("runs", cwd=tmp_path, env={"INGEST_DATABASE_URL": f"sqlite:///{path}"})
    assert done.returncode == 1 and "ingest db upgrade" in done.stderr
    assert not path.exists()


@pytest.mark.parametrize(
    "args",
    [
        ("health",),
        ("runs",),
        ("export",),
        ("backfill", "--from", "2020-02-01", "--to", "2020-02-02"),
    ],
)
def test_unreachable_postgresql_is_one_line_without_the_password(
    server: SampleSiteServer, tmp_path: Path, args: tuple[str, ...]
) -> None:
    """A closed port: exit 1, the last line names engine, host, port and the driver's reason;
    no "migration failed", and the password is nowhere: not on stdout, stderr or the log."""
    port = closed_port()
    url = f"postgresql+psycopg://ingest:s3cretpw@127.0.0.1:{port}/archive"
    config = str(write_config(tmp_path, server))
    done = ingest("--config", config, *args, cwd=tmp_path, env={"INGEST_DATABASE_URL": url})
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"ingest: error: cannot reach the database (postgresql 127.0.0.1:{port}")
    assert "Connection refused" in last
    assert [line for line in done.stderr.splitlines() if line.startswith("ingest:")] == [last]
    assert "migration failed" not in done.stderr
    log = (tmp_path / "ingest.jsonl").read_text()
    assert "s3cretpw" not in done.stdout + done.stderr + log


def test_db_backup_on_postgresql_points_at_pg_dump(tmp_path: Path) -> None:
    """PostgreSQL has its own backup tool: the command says so and exits 2."""
    url = f"postgresql+psycopg://ingest:s3cretpw@127.0.0.1:{closed_port()}/archive"
    done = ingest("db", "backup", "x.dump", cwd=tmp_path, env={"INGEST_DATABASE_URL": url})
    assert done.returncode == 2
    assert "pg_dump" in done.stderr and "s3cretpw" not in done.stderr
    assert not (tmp_path / "x.dump").exists()
