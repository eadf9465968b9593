"""robots.txt as RFC 9309 reads it: fetched once per host for the runs under way, then asked
before every request.

Protego parses the file: the longest matching rule wins (``Allow`` on a tie), paths may use
``*`` and a closing ``$``, and the group is picked by our product token (``etilaf-ingest``
from ``etilaf-ingest/0.1 (+https://…)``), a group naming it overriding ``User-agent: *``.
Decisions are memoised per URL, bounded: the same listing and article URLs are asked again
on every retry, redirect and re-poll of a run.
"""

from __future__ import annotations

import functools
import re

from protego import Protego

MEMO_SIZE = 4096
UNREACHABLE_CONSEQUENCE = "RFC 9309 allows nothing until it can be read"

_PRODUCT_TOKEN = re.compile(r"[A-Za-z_-]+")


def product_token(user_agent: str) -> str:
    """The name robots.txt groups are matched against: the User-Agent's first product token."""
    match = _PRODUCT_TOKEN.match(user_agent.strip())
    return match.group(0) if match else ""


class RobotsFile:
    """What one read of a host's robots.txt found, whichever agent asks: its rules, none (a
    missing file, or not read), or that it could not be fetched."""

    def __init__(self, rules: Protego | None = None, *, unreachable: str | None = None) -> None:
        self.rules = rules
        self.unreachable = unreachable

    @classmethod
    def parse(cls, text: str) -> RobotsFile:
        return cls(Protego.parse(text))

    def policy(self, user_agent: str) -> RobotsPolicy:
        """The file as the agent sending ``user_agent`` must obey it."""
        return RobotsPolicy(self.rules, user_agent, unreachable=self.unreachable)


class RobotsPolicy:
    """What the site's robots.txt allows for our user agent; build with a classmethod."""

    def __init__(
        self, rules: Protego | None, user_agent: str = "", *, unreachable: str | None = None
    ) -> None:
        self._rules = rules
        self._token = product_token(user_agent)
        self._unreachable = unreachable
        self._decide = functools.lru_cache(maxsize=MEMO_SIZE)(self._decide_uncached)

    @classmethod
    def allow_all(cls) -> RobotsPolicy:
        """No robots.txt to obey: not read (yet), turned off, or missing (4xx)."""
        return cls(None)

    @classmethod
    def parse(cls, user_agent: str, text: str) -> RobotsPolicy:
        """The rules of a fetched robots.txt, for the agent sending ``user_agent``."""
        return cls(Protego.parse(text), user_agent)

    @classmethod
    def unreachable(cls, reason: str) -> RobotsPolicy:
        """robots.txt could not be fetched (5xx, network): nothing is allowed."""
        return cls(None, unreachable=reason)

    @property
    def crawl_delay(self) -> float | None:
        """Seconds between requests that our group's ``Crawl-delay`` asks for, if any."""
        if self._rules is None:
            return None
        delay = self._rules.crawl_delay(self._token)
        return delay if delay else None

    @property
    def unreachable_reason(self) -> str | None:
        """Why robots.txt could not be fetched, in a sentence; None when it was."""
        if self._unreachable is None:
            return None
        return f"robots.txt could not be fetched ({self._unreachable}): {UNREACHABLE_CONSEQUENCE}"

    def allows(self, url: str) -> bool:
        return self._decide(url)

    def refusal(self, url: str) -> str:
        """Why ``url`` is refused, for the error the fetcher raises."""
        return self.unreachable_reason or f"{url} is disallowed by robots.txt"

    def _decide_uncached(self, url: str) -> bool:
        if self._unreachable is not None:
            return False
        if self._rules is None:
            return True
        return self._rules.can_fetch(url, self._token)
