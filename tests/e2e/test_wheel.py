"""A non-editable install (what pipx does) carries the command, the config and the migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_installs_and_migrates_outside_the_source_tree(tmp_path: Path) -> None:
    """Build the wheel, install it elsewhere, run `ingest db upgrade` from there."""
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(wheels), str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    wheel = next(wheels.glob("ingest-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    assert (target / "ingest" / "_migrations" / "env.py").is_file()
    assert (target / "ingest" / "_config" / "ingest.toml").is_file()
    assert (target / "ingest" / "py.typed").is_file()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    env["PYTHONPATH"] = str(target)
    env["INGEST_DATABASE_URL"] = f"sqlite:///{tmp_path / 'w.db'}"
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
