"""robots.txt: read once per run, then asked before every request."""

from __future__ import annotations

from urllib.robotparser import RobotFileParser


class RobotsPolicy:
    """What the site's robots.txt allows for our user agent."""

    def __init__(self, user_agent: str, text: str | None, *, disallow_all: bool = False) -> None:
        self._user_agent = user_agent
        self._parser: RobotFileParser | None = None
        self._disallow_all = disallow_all
        if text is not None and not disallow_all:
            parser = RobotFileParser()
            parser.parse(text.splitlines())
            self._parser = parser

    @classmethod
    def allow_all(cls, user_agent: str = "*") -> RobotsPolicy:
        return cls(user_agent, None)

    def allows(self, url: str) -> bool:
        if self._disallow_all:
            return False
        if self._parser is None:
            return True
        return self._parser.can_fetch(self._user_agent, url)
