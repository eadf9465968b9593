"""SQLAlchemy is pinned to the minors the store's driver (which reads its compiler) is tested on."""

from __future__ import annotations

import tomllib
from pathlib import Path

import sqlalchemy
from packaging.requirements import Requirement

from ingest.store import driver

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_pyproject_allows_exactly_the_tested_minors() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    (pin,) = (r for r in map(Requirement, dependencies) if r.name.lower() == "sqlalchemy")
    minors = (f"{major}.{minor}" for major in (1, 2, 3) for minor in range(10))
    allowed = {
        m for m in minors if pin.specifier.contains(f"{m}.0") or pin.specifier.contains(f"{m}.99")
    }
    assert allowed == set(driver.TESTED_MINORS)


def test_the_installed_sqlalchemy_is_a_tested_minor() -> None:
    installed = ".".join(sqlalchemy.__version__.split(".")[:2])
    assert installed in driver.TESTED_MINORS
