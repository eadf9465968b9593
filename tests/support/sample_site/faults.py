"""Deterministic fault injection for the sample server.

Rules are checked in the order they were added; the first matching rule with uses left
fires and is consumed. Without a matching rule, ``random_transient`` may fire: each distinct
path (with its query) is, with probability ``rate`` decided by ``hash(seed, path)``, hit by a
few transient faults on its first requests and then served normally.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Status:
    """Answer with this status (and ``Retry-After`` when given) instead of the page."""

    code: int
    retry_after: float | None = None
    body: str = "<html><body><h1>Error</h1><p>Injected fault.</p></body></html>"


@dataclass(frozen=True)
class Drop:
    """Close the connection without sending any response."""


@dataclass(frozen=True)
class Delay:
    """Sleep, then serve normally: provokes client timeouts."""

    seconds: float


@dataclass(frozen=True)
class Truncate:
    """Send the headers with the full Content-Length, half the body, then close."""


@dataclass(frozen=True)
class Oversize:
    """Serve a 200 HTML body of ``n_bytes`` bytes instead of the page."""

    n_bytes: int


@dataclass(frozen=True)
class Bomb:
    """Serve a 200 HTML body compressed with ``encoding`` ("gzip", "deflate" zlib-wrapped, or
    "deflate-raw", sent as ``deflate`` without the zlib wrapper) that inflates to
    ``inflated_bytes`` of zeros: a small answer that is huge once decoded."""

    encoding: str = "gzip"
    inflated_bytes: int = 200 * 1024 * 1024


@dataclass(frozen=True)
class Stacked:
    """Serve the page gzip-compressed ``layers`` times over, saying so: ``Content-Encoding:
    gzip, gzip, …`` (a hostile site's; a client that undoes them recursively crashes)."""

    layers: int = 1000


FaultAction = Status | Drop | Delay | Truncate | Oversize | Bomb | Stacked
PathMatch = str | Callable[[str], bool]

# What a transient fault looks like: each recovers on a retry (Retry-After at most 1 s).
TRANSIENT_FAULTS: tuple[FaultAction, ...] = (
    Status(503, retry_after=1),
    Status(503, retry_after=0),
    Status(429, retry_after=0),
    Drop(),
    Status(500),
)
# robots.txt is exempt from random faults: a 5xx there means "disallow all" to a polite client.
_EXEMPT_PATHS = frozenset({"/robots.txt"})


@dataclass
class _Rule:
    match: PathMatch
    action: FaultAction
    remaining: int | None  # None: forever

    def matches(self, target: str) -> bool:
        if callable(self.match):
            return self.match(target)
        if "?" in self.match:
            return self.match == target
        return self.match == target.split("?", 1)[0]


@dataclass(frozen=True)
class _Transient:
    rate: float
    seed: int
    max_per_path: int


class Faults:
    """The server's fault rules; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._transient: _Transient | None = None
        self._pending: dict[str, list[FaultAction]] = {}  # per path, for random_transient

    def add(self, match: PathMatch, action: FaultAction, times: int | None = 1) -> None:
        """Fire ``action`` on the next ``times`` requests matching ``match`` (None: forever).

        A string matches the path without its query, unless the string itself has a ``?``;
        a callable receives the path with its query.
        """
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for forever")
        with self._lock:
            self._rules.append(_Rule(match, action, times))

    def random_transient(self, rate: float, seed: int, max_per_path: int = 2) -> None:
        """Hit a ``rate`` share of distinct paths with 1..``max_per_path`` transient faults."""
        if not 0.0 <= rate <= 1.0 or max_per_path < 1:
            raise ValueError("rate must be in [0, 1] and max_per_path at least 1")
        with self._lock:
            self._transient = _Transient(rate, seed, max_per_path)
            self._pending.clear()

    def clear(self) -> None:
        """Remove every rule and the random transient faults."""
        with self._lock:
            self._rules.clear()
            self._transient = None
            self._pending.clear()

    def next_action(self, target: str) -> FaultAction | None:
        """Consume and return the fault for this request (path with query), if any."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(target):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                        if rule.remaining == 0:
                            self._rules.remove(rule)
                    return rule.action
            return self._next_transient(target)

    def _next_transient(self, target: str) -> FaultAction | None:
        if self._transient is None or target.split("?", 1)[0] in _EXEMPT_PATHS:
            return None
        queue = self._pending.get(target)
        if queue is None:
            t = self._transient
            rng = random.Random(f"{t.seed}:{target}")
            queue = []
            if rng.random() < t.rate:
                count = rng.randint(1, t.max_per_path)
                queue = [rng.choice(TRANSIENT_FAULTS) for _ in range(count)]
            self._pending[target] = queue
        return queue.pop(0) if queue else None
