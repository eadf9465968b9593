"""robots.txt as RFC 9309 reads it: fetched once per origin for the runs under way, then asked
before every request.

The groups naming our product token (``etilaf-ingest`` from ``etilaf-ingest/0.1 (+https://…)``,
matched case-insensitively) apply, merged; if none does, the ``User-agent: *`` groups. The
longest matching rule wins (``Allow`` on a tie); a path may use ``*`` and a closing ``$``;
``/robots.txt`` itself is always allowed. Paths and rules are compared with their
percent-encoding normalised alike.

The rules of the group that applies are compiled into an index (``_Rules``), so a check costs
the same on a file of 300,000 rules as on one of ten: plain prefixes in a set looked up by
each length the path has (the longest first), ``$``-anchored paths in a set, and rules with a
``*`` bucketed by the text before it. Nothing is compiled for the groups of other agents.
Decisions are memoised per URL, bounded: the same listing and article URLs are asked again on
every retry, redirect and re-poll of a run.
"""

from __future__ import annotations

import functools
import math
import re
from urllib.parse import quote

MEMO_SIZE = 4096
UNREACHABLE_CONSEQUENCE = "RFC 9309 allows nothing until it can be read"

_PRODUCT_TOKEN = re.compile(r"[A-Za-z_-]+")
_DISALLOW = frozenset({"disallow", "dissallow", "dissalow", "disalow", "diasllow", "disallaw"})
_USER_AGENT = frozenset({"user-agent", "useragent", "user agent"})
_CRAWL_DELAY = frozenset({"crawl-delay", "crawl delay"})
# Lines outside any group: they neither end a group nor belong to one.
_SITE_WIDE = frozenset({"sitemap", "sitemaps", "site-map", "host"})

# What stays as it is in a path (and, with "*", in a rule); a text of only these and
# letters, digits and "_.~-" is already in its normal form.
_PATH_SAFE = "/%=?&"
_RULE_SAFE = _PATH_SAFE + "*"
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_.~/=?&-]*").fullmatch
_PLAIN_RULE = re.compile(r"[A-Za-z0-9_.~/=?&*-]*").fullmatch
_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")
# Escapes of these stay escaped: "/" and "%" in a path, "*" too in a rule (a literal star).
_KEPT_IN_PATH = frozenset(b"/%")
_KEPT_IN_RULE = frozenset(b"/%*")


def product_token(user_agent: str) -> str:
    """The name robots.txt groups are matched against: the User-Agent's first product token."""
    match = _PRODUCT_TOKEN.match(user_agent.strip())
    return match.group(0) if match else ""


def _normalised(text: str, kept: frozenset[int], safe: str) -> str:
    """``text`` with escapes decoded but those of ``kept``, and what needs one escaped, in
    upper case: two spellings of one path come out the same."""
    if (_PLAIN_RULE if "*" in safe else _PLAIN_PATH)(text):
        return text
    raw = text.encode("utf-8", "surrogateescape")

    def decoded(match: re.Match[bytes]) -> bytes:
        octet = int(match.group(1), 16)
        return match.group(0).upper() if octet in kept else bytes((octet,))

    return quote(_ESCAPE.sub(decoded, raw), safe=safe)


def _path_of(url: str) -> str:
    """What rules match against: the URL's path and query, normalised ("/" for none)."""
    rest = url.partition("#")[0]
    scheme_end = rest.find("://")
    if scheme_end != -1:
        start = rest.find("/", scheme_end + 3)
        query = rest.find("?", scheme_end + 3)
        if query != -1 and (start == -1 or query < start):
            start = query
        rest = rest[start:] if start != -1 else ""
    if not rest.startswith("/"):
        rest = "/" + rest
    return _normalised(rest, _KEPT_IN_PATH, _PATH_SAFE)


class _Rules:
    """One agent's rules, indexed: a check looks up the path's own prefixes, never every rule."""

    __slots__ = ("_anchored", "_prefix_lengths", "_prefixes", "_wild", "_wild_lengths", "count")

    def __init__(self) -> None:
        self._prefixes: dict[str, bool] = {}  # plain prefix -> allowed
        self._anchored: dict[str, bool] = {}  # whole path (a rule ending in "$") -> allowed
        # the text before a rule's first "*" -> (priority, allowed, pieces, anchored)
        self._wild: dict[str, list[tuple[int, bool, tuple[str, ...], bool]]] = {}
        self._prefix_lengths: tuple[int, ...] = ()
        self._wild_lengths: tuple[int, ...] = ()
        self.count = 0

    def add(self, pattern: str, allowed: bool) -> None:
        if not pattern:
            return  # "Disallow:" with no path allows everything: no rule
        # A closing "$" anchors the rule at the path's end; one anywhere else is a "$".
        anchored = pattern.endswith("$")
        body = _normalised(pattern[:-1] if anchored else pattern, _KEPT_IN_RULE, _RULE_SAFE)
        if not body.startswith(("/", "*")):
            body = "/" + body
        self.count += 1
        if "*" not in body:
            table = self._anchored if anchored else self._prefixes
            table[body] = table.get(body, False) or allowed  # Allow wins a tie
            return
        pieces = tuple(re.sub(r"\*+", "*", body).split("*"))
        priority = len(body) + anchored  # the rule's length, as written
        self._wild.setdefault(pieces[0], []).append((priority, allowed, pieces, anchored))

    def seal(self) -> _Rules:
        """Done adding: note the prefix lengths a check has to look up."""
        self._prefix_lengths = tuple(sorted({len(p) for p in self._prefixes}, reverse=True))
        self._wild_lengths = tuple(sorted({len(p) for p in self._wild}))
        for bucket in self._wild.values():
            bucket.sort(key=lambda rule: rule[0], reverse=True)  # the longest first
        return self

    def allows(self, path: str) -> bool:
        best, allowed = -1, True
        size = len(path)
        prefixes = self._prefixes
        for length in self._prefix_lengths:  # longest first: the first found wins
            if length <= size and (verdict := prefixes.get(path[:length])) is not None:
                best, allowed = length, verdict
                break
        verdict = self._anchored.get(path)
        if verdict is not None and (size + 1 > best or (size + 1 == best and verdict)):
            best, allowed = size + 1, verdict
        for length in self._wild_lengths:
            if length > size:
                break
            for priority, verdict, pieces, anchored in self._wild.get(path[:length], ()):
                if priority < best:
                    break  # the rest of the bucket is shorter still
                if (priority > best or (verdict and not allowed)) and _wild_match(
                    path, pieces, anchored
                ):
                    best, allowed = priority, verdict
        return allowed


def _wild_match(path: str, pieces: tuple[str, ...], anchored: bool) -> bool:
    """Whether ``path`` matches a rule split at its stars (its first piece already matched)."""
    at = len(pieces[0])
    for piece in pieces[1:-1]:
        found = path.find(piece, at)
        if found == -1:
            return False
        at = found + len(piece)
    last = pieces[-1]
    if anchored:
        return len(path) - len(last) >= at and path.endswith(last)
    return path.find(last, at) != -1


class _Group:
    """What the groups that apply to one agent say: their rules and Crawl-delay."""

    __slots__ = ("crawl_delay", "rules", "seen")

    def __init__(self) -> None:
        self.rules = _Rules()
        self.crawl_delay: float | None = None
        self.seen = False  # a group named the agent, even one without rules


def _directive(line: str) -> tuple[str, str] | None:
    hash_at = line.find("#")
    if hash_at != -1:
        line = line[:hash_at]
    field, colon, value = line.partition(":")
    if not colon:
        return None
    return field.strip().lower(), value.strip()


def _read_groups(text: str, token: str) -> _Group:
    """One pass over the file: the rules of the groups naming ``token``, else of ``*``."""
    ours, anyone = _Group(), _Group()
    targets: list[_Group] = []
    in_agents = False  # the last directive was a User-agent line: the group's names go on
    for line in text.splitlines():
        parsed = _directive(line)
        if parsed is None:
            continue
        field, value = parsed
        if field in _USER_AGENT:
            if not in_agents:
                targets = []
                in_agents = True
            name = value.lower()
            named = product_token(name.replace("*", "")).lower() if name != "*" else "*"
            group = ours if named and named == token else anyone if named == "*" else None
            if group is not None and group not in targets:
                group.seen = True
                targets.append(group)
            continue
        if field in _SITE_WIDE:
            continue
        in_agents = False
        for group in targets:
            if field == "allow" or field in _DISALLOW:
                group.rules.add(value, field == "allow")
            elif field in _CRAWL_DELAY and group.crawl_delay is None:
                group.crawl_delay = _seconds(value)
    chosen = ours if ours.seen else anyone
    chosen.rules.seal()
    return chosen


def _seconds(value: str) -> float | None:
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


class RobotsFile:
    """What one read of an origin's robots.txt found, whichever agent asks: its text, none (a
    missing file, or not read), or that it could not be fetched."""

    def __init__(self, text: str | None = None, *, unreachable: str | None = None) -> None:
        self.text = text
        self.unreachable = unreachable
        self._groups: dict[str, _Group] = {}  # by product token: read once each

    @classmethod
    def parse(cls, text: str) -> RobotsFile:
        return cls(text.removeprefix("\ufeff"))

    def policy(self, user_agent: str) -> RobotsPolicy:
        """The file as the agent sending ``user_agent`` must obey it (its rules compiled on
        the first call for the agent's product token; safe from any thread)."""
        if self.text is None:
            return RobotsPolicy(None, unreachable=self.unreachable)
        token = product_token(user_agent).lower()
        group = self._groups.get(token)
        if group is None:
            group = self._groups[token] = _read_groups(self.text, token)
        return RobotsPolicy(group)


class RobotsPolicy:
    """What the site's robots.txt allows for our user agent; build with a classmethod."""

    def __init__(self, group: _Group | None, *, unreachable: str | None = None) -> None:
        self._group = group
        self._unreachable = unreachable
        self._decide = functools.lru_cache(maxsize=MEMO_SIZE)(self._decide_uncached)

    @classmethod
    def allow_all(cls) -> RobotsPolicy:
        """No robots.txt to obey: not read (yet), turned off, or missing (4xx)."""
        return cls(None)

    @classmethod
    def parse(cls, user_agent: str, text: str) -> RobotsPolicy:
        """The rules of a fetched robots.txt, for the agent sending ``user_agent``."""
        return RobotsFile.parse(text).policy(user_agent)

    @classmethod
    def unreachable(cls, reason: str) -> RobotsPolicy:
        """robots.txt could not be fetched (5xx, network): nothing is allowed."""
        return cls(None, unreachable=reason)

    @property
    def crawl_delay(self) -> float | None:
        """Seconds between requests that our group's ``Crawl-delay`` asks for, if any."""
        return self._group.crawl_delay if self._group is not None else None

    @property
    def rule_count(self) -> int:
        """The rules that apply to us."""
        return self._group.rules.count if self._group is not None else 0

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
        if self._group is None:
            return True
        path = _path_of(url)
        return path == "/robots.txt" or self._group.rules.allows(path)
