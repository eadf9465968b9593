"""Who is taken for dead: the witness's rule, on a clock the test moves."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from ingest.store.liveness import Verdict, Witness, verdict

HEARTBEAT = timedelta(seconds=2)  # stale limit 3 s; a judge's silence over 2 s is a break
ELSEWHERE = "another-host:1234:abcd"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def polling(witness: Witness, clock: Clock, seconds: float, look: tuple[str, object]) -> Verdict:
    """The judge polls every half second for ``seconds``, reaching the database each time and
    looking at one heartbeat; the last verdict."""
    found = Verdict.WATCHING
    for _ in range(int(seconds / 0.5)):
        clock.now += 0.5
        witness.reached()
        found = verdict(ELSEWHERE, look[0], look[1], witness)
    return found


def test_a_heartbeat_watched_still_for_the_stale_limit_is_gone() -> None:
    """Watched unchanged for 3 s while the judge reached the database: gone; before: watching."""
    clock = Clock()
    witness = Witness(HEARTBEAT, clock=clock)
    assert polling(witness, clock, 3.0, ("run-1", "t0")) is Verdict.WATCHING
    assert polling(witness, clock, 1.0, ("run-1", "t0")) is Verdict.GONE


def test_a_heartbeat_that_moves_is_alive() -> None:
    clock = Clock()
    witness = Witness(HEARTBEAT, clock=clock)
    polling(witness, clock, 2.5, ("run-1", "t0"))
    assert polling(witness, clock, 0.5, ("run-1", "t1")) is Verdict.ALIVE


def test_a_heartbeat_missed_during_an_outage_does_not_count() -> None:
    """The judge watched 2.5 s, then could not reach the database for 20 s: the heartbeat has
    not moved for 22.5 s, yet it is not gone until watched for a whole stale limit after."""
    clock = Clock()
    witness = Witness(HEARTBEAT, clock=clock)
    polling(witness, clock, 2.5, ("run-1", "t0"))
    for _ in range(40):
        clock.now += 0.5
        witness.lost()
    assert polling(witness, clock, 3.0, ("run-1", "t0")) is Verdict.WATCHING
    assert polling(witness, clock, 1.0, ("run-1", "t0")) is Verdict.GONE


def test_a_silence_of_the_judge_itself_is_a_break() -> None:
    """A judge paused for 30 s (no contact, no failure seen) starts watching afresh."""
    clock = Clock()
    witness = Witness(HEARTBEAT, clock=clock)
    polling(witness, clock, 2.5, ("run-1", "t0"))
    clock.now += 30
    witness.reached()
    assert verdict(ELSEWHERE, "run-1", "t0", witness) is Verdict.WATCHING
    assert witness.unbroken_seconds() == 0.0
    assert polling(witness, clock, 3.0, ("run-1", "t0")) is Verdict.WATCHING


def test_processes_of_this_host_are_looked_up() -> None:
    """A dead process of this host is gone at once; a live one is never gone, however silent."""
    clock = Clock()
    witness = Witness(HEARTBEAT, clock=clock)
    host = socket.gethostname()
    assert verdict(f"{host}:999999999:dead", "run-1", "t0", witness) is Verdict.GONE
    alive = f"{host}:{os.getpid()}:live"
    polling(witness, clock, 10.0, ("run-2", "t0"))
    assert verdict(alive, "run-2", "t0", witness) is Verdict.ALIVE
