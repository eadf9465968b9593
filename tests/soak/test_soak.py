"""The seeded chaos soak, 60 seconds of it (``make soak`` runs it for longer; see
``tests/support/chaos.py``). Select it with ``-m soak``, leave it out with ``-m "not soak"``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.chaos import Soak

pytestmark = pytest.mark.soak


def test_a_60s_seeded_soak_keeps_every_archive_exact(tmp_path: Path) -> None:
    """Seed 1: two replicas on PostgreSQL, six faulty sites publishing as they go; in 60 s five
    kill -9 (of each replica, one while the database is down) and two database stops (a crash,
    a clean one). Then every site's export is its ground truth, no run is left running, no
    replica exited on its own, no live replica's claim was taken, no log holds a traceback."""
    report = Soak(60, 1, tmp_path, gaps=(8, 16), say=lambda line: None).run()
    assert report.ok(), "\n".join(report.lines())
    assert report.kills == 5 and report.database_restarts == 2
