"""The daemon's metrics port under a flood of idle connections, as a real process."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from pathlib import Path

from ingest.metrics import MAX_CONNECTIONS
from tests.support.cli import free_port, wait_for, write_config
from tests.support.replicas import start_replica, stop_replicas
from tests.support.sample_site import SampleSiteServer


def healthz(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def threads(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Threads:")).split()[1])


def test_300_idle_connections_cost_no_more_than_the_cap_in_threads(
    server: SampleSiteServer, tmp_path: Path
) -> None:
    """`ingest run` with metrics.port, 300 idle connections open to it: its threads grow by at
    most MAX_CONNECTIONS (the issue counted 324 threads for 315), /healthz still answers, and
    SIGTERM still ends it 0."""
    port = free_port()
    extra = f'[metrics]\nport = {port}\n[schedule]\ninterval = "1h"\n'
    config = write_config(tmp_path, server, extra)
    daemon = start_replica(config, tmp_path / "daemon.log")
    idle: list[socket.socket] = []
    try:
        wait_for(lambda: healthz(port) in (200, 503), timeout=60)
        before = threads(daemon.pid)
        for _ in range(300):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        wait_for(lambda: threads(daemon.pid) <= before + MAX_CONNECTIONS, timeout=10)
        assert healthz(port) in (200, 503)
        assert threads(daemon.pid) <= before + MAX_CONNECTIONS
    finally:
        for sock in idle:
            sock.close()
        stop_replicas([daemon])
    assert daemon.returncode == 0
