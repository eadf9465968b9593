"""A non-editable install (what pipx does) carries the command, the migrations and the demo's
sample site, and no test code."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What `ingest demo` needs of the sample site: its K2 pages. The other flavours, the ground
# truth and the fault injectors are test code (tests/support/sample_site).
DEMO_SITE_MODULES = {
    "__init__.py",
    "article.py",
    "content.py",
    "generate.py",
    "htmlparts.py",
    "markup.py",
    "render.py",
    "seed_article_texts.py",
    "seed_texts.py",
    "seeds.py",
    "server.py",
}
# The development install is editable: its .pth file puts the source tree on sys.path, where
# tests/ is importable. Commands of the wheel run without it, as on a machine with the wheel
# alone.
WITHOUT_SOURCE_TREE = (
    "import os, runpy, sys; "
    f"sys.path[:] = [p for p in sys.path if os.path.realpath(p or '.') != {str(ROOT)!r}]; "
    "{code}"
)
RUN_INGEST = "sys.argv[0] = 'ingest'; runpy.run_module('ingest', run_name='__main__')"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wheels = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(wheels), str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    return next(wheels.glob("ingest-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    return target


def wheel_environment(target: Path, database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    env["PYTHONPATH"] = str(target)
    env["INGEST_DATABASE_URL"] = f"sqlite:///{database}"
    return env


def test_wheel_installs_and_migrates_outside_the_source_tree(
    installed: Path, tmp_path: Path
) -> None:
    """Install the wheel elsewhere, run `ingest db upgrade` from there."""
    target = installed
    assert (target / "ingest" / "_migrations" / "env.py").is_file()
    assert (target / "ingest" / "py.typed").is_file()
    env = wheel_environment(target, tmp_path / "w.db")
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    script = target / "bin" / "ingest"
    for command in ([str(script), "db", "upgrade"], [sys.executable, "-m", "ingest", "runs"]):
        done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    probe = subprocess.run(
        [sys.executable, "-c", "import ingest.store.migrate as m; print(m.migrations_dir())"],
        cwd=workdir, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert probe.stdout.strip().startswith(str(target))


def test_wheel_holds_no_test_code(wheel: Path) -> None:
    """The sample site ships only what the demo serves; nothing of tests/ ships."""
    names = zipfile.ZipFile(wheel).namelist()
    assert not [name for name in names if name.startswith("tests/")]
    sample_site = {
        name.removeprefix("ingest/sample_site/")
        for name in names
        if name.startswith("ingest/sample_site/")
    }
    assert sample_site == DEMO_SITE_MODULES


def test_demo_runs_from_the_wheel_without_the_source_tree(installed: Path, tmp_path: Path) -> None:
    """`ingest demo` from the installed wheel, with the source tree (and tests/) off sys.path:
    the sample site is the wheel's, and the demo stores the days it was given."""
    env = wheel_environment(installed, tmp_path / "demo.db")
    probe_code = (
        "import importlib.util, ingest.sample_site as s; print(s.__file__); "
        "print(importlib.util.find_spec('tests') is None "
        "or importlib.util.find_spec('tests.support') is None)"
    )
    probe = subprocess.run(
        [sys.executable, "-c", WITHOUT_SOURCE_TREE.format(code=probe_code)],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    where, no_test_support = probe.stdout.split()
    assert where.startswith(str(installed)) and no_test_support == "True"
    demo = subprocess.run(
        [sys.executable, "-c", WITHOUT_SOURCE_TREE.format(code=RUN_INGEST),
         "demo", "--from", "2020-02-01", "--to", "2020-02-02"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    assert "serving the bundled sample site" in demo.stderr
    assert "etilaf-sample: run 1 succeeded: 2 dates done, 0 failed" in demo.stdout
    assert "articles in all, stored as their own site 'etilaf-sample'" in demo.stdout
