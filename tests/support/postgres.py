"""The PostgreSQL server the suite runs on when ``INGEST_TEST_POSTGRES_URL`` names one, and
private servers a test can stop and start (outages)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.cli import free_port

# Every database test runs on SQLite and, when this names a server, on PostgreSQL too.
POSTGRES_URL = os.environ.get("INGEST_TEST_POSTGRES_URL") or None


def fresh_postgres(url: str) -> str:
    """Empty the session's PostgreSQL database so each test starts from nothing."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


class PrivatePostgres:
    """A PostgreSQL server of a test's own (``initdb`` and ``pg_ctl`` as the ``postgres`` user, in
    a temporary directory, on a free port), started and stopped at will."""

    def __init__(self) -> None:
        if not BINS or not (BINS[-1] / "initdb").is_file():
            pytest.skip("initdb is not installed (/usr/lib/postgresql/*/bin)")
        self.bin = BINS[-1]
        self.root = Path(tempfile.mkdtemp(prefix="ingest-pg-"))
        self.data, self.port = self.root / "data", free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                          "--auth=trust", "-E", "UTF8", "--no-sync")  # fmt: skip

    def _as_postgres(self, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-k {self.root} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                          str(self.root / "server.log"), "-o", options, "-w", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop``: ``fast`` (a clean shutdown) or ``immediate`` (as a crash does)."""
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                          "stop")  # fmt: skip

    def new_database(self, name: str) -> str:
        admin = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
