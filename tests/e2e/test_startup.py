"""Commands that do not crawl start without the crawl's machinery: the HTTP client, the
pipeline, APScheduler (and Alembic, once reading commands stop migrating). ``health`` is what
a liveness probe runs, every few seconds, in a small container."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
CRAWL_MODULES = (
    "httpx2",
    "httpcore2",
    "aiohttp",
    "tenacity",
    "apscheduler",
    "ingest.fetch",
    "ingest.pipeline",
    "ingest.run",
    "ingest.crawl",
    "ingest.daemon",
)
# argv: the result file, the modules to look for (comma-separated), then the command line.
PROBE = """
import json, sys
from ingest import cli
code = cli.main(sys.argv[3:])
watched = set(sys.argv[2].split(","))
loaded = sorted(m for m in sys.modules if m in watched or m.split(".")[0] == "alembic")
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "loaded": loaded}, out)
"""


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("startup")
    path = tmp / "ingest.toml"
    path.write_text(
        f'[site]\nname = "probe"\nbase_url = "https://news.example"\nlayout = "k2"\n'
        # A cron schedule: what the daemon reads, and what the other commands must not load.
        f'[schedule]\ncron = "*/5 * * * *"\n'
        f'[database]\nurl = "sqlite:///{tmp / "db.sqlite"}"\n'
        f'[logging]\nfile = "{tmp / "ingest.jsonl"}"\n',
        encoding="utf-8",
    )
    subprocess.run(
        [sys.executable, "-m", "ingest", "--config", str(path), "db", "upgrade"],
        check=True,
        capture_output=True,
        cwd=tmp,
    )
    return path


# What each command answers on the fixture's database: health's 1 is "never crawled yet".
EXIT_CODES = {"health": 1, "runs": 0, "export": 0, "logs": 0}


def loaded_by(config: Path, *argv: str, watched: tuple[str, ...] = CRAWL_MODULES) -> list[str]:
    result = config.parent / "loaded.json"
    subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            str(result),
            ",".join(watched),
            "--config",
            str(config),
            *argv,
        ],
        check=True,
        capture_output=True,
        cwd=config.parent,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    found = json.loads(result.read_text(encoding="utf-8"))
    assert found["code"] == EXIT_CODES[argv[0]], f"ingest {' '.join(argv)}"
    loaded: list[str] = found["loaded"]
    return loaded


@pytest.mark.parametrize(
    "argv", [("health",), ("runs",), ("export",), ("logs",)], ids=lambda a: a[0]
)
def test_commands_that_do_not_crawl_import_no_crawl_machinery(
    config: Path, argv: tuple[str, ...]
) -> None:
    loaded = loaded_by(config, *argv)
    assert [m for m in loaded if not m.startswith("alembic")] == []


def test_logs_imports_no_alembic(config: Path) -> None:
    loaded_by(config, "health")  # the log file exists
    assert loaded_by(config, "logs") == []


def test_health_imports_no_alembic(config: Path) -> None:
    assert loaded_by(config, "health") == []


# What a probe never needs either: SQLAlchemy's ORM (the store runs Core statements on a
# connection) and the layouts of sites not configured (the configured site's, k2, is built to
# validate it).
READ_ONLY_FREE = (
    "sqlalchemy.orm",
    "ingest.sites.wordpress",
    "ingest.sites.wordpress_api",
    "ingest.sites.selectors",
)


@pytest.mark.parametrize("argv", [("health",), ("runs",)], ids=lambda a: a[0])
def test_reading_commands_import_no_orm_nor_other_layouts(
    config: Path, argv: tuple[str, ...]
) -> None:
    loaded = loaded_by(config, *argv, watched=READ_ONLY_FREE)
    assert loaded == []


# A probe loads its own command alone: each command's module, and what it imports at its top
# (the calendar's drawing, say), only when it is the one chosen.
OTHER_COMMANDS = (
    *(f"ingest.commands.{name}" for name, _ in COMMANDS if name != "health"),
    "ingest.coverage",
)


def test_health_imports_no_other_command(config: Path) -> None:
    assert loaded_by(config, "health", watched=OTHER_COMMANDS) == []
