"""Secrets: the one place that knows how a credential is shown, and that keeps it out of every
line the process writes.

Three settings can carry a credential: ``database.url`` and ``http.proxy`` (a password in the
URL, or in a query such as ``?password=``), and ``alerts.url`` (a webhook URL is a secret as a
whole). Anything that shows one of them shows ``mask_url(url)`` (``mask_url(url, whole=True)``
for a webhook): the user name, host, port and path stay, the password becomes ``***``.

Beside that, ``remember`` (called once, where the settings are loaded) keeps the secrets
themselves in every spelling a message may hold them (as written, percent-decoded and
percent-encoded), and ``redact`` replaces each of them, and the password of any
``scheme://user:password@`` in the text, wherever it occurs: the log pipeline (both sinks), the
error line at the command boundary, ``/healthz``, and the error texts a run stores (``runs``,
``health``, alerts). A secret shorter than ``MIN_REDACTED`` characters is masked in URLs but not
hunted in free text, where it would blank ordinary words.

Importing this module costs nothing but ``re`` and ``urllib.parse``: every command loads the
settings, which use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, quote_plus, unquote, urlsplit

MASK = "***"
MIN_REDACTED = 4

# SQLAlchemy's own grammar of a database URL (sqlalchemy.engine.url._parse_url), so that a
# password is found exactly where SQLAlchemy will take it from: after the user name's ``:``, up
# to the first ``@``, and a raw ``/`` or ``:`` in it is part of it.
_DATABASE_URL = re.compile(
    r"""
    (?P<name>[\w+]+)://
    (?:(?P<username>[^:/]*)(?::(?P<password>[^@]*))?@)?
    (?:(?:\[(?P<ipv6host>[^/?]+)\]|(?P<ipv4host>[^/:?]+))?(?::(?P<port>[^/?]*))?)?
    (?:/(?P<database>[^?]*))?
    (?:\?(?P<query>.*))?
    """,
    re.X | re.S,
)
# Query keys whose values are credentials (libpq takes ``password`` in a URL's query).
_SECRET_KEY = re.compile(r"pass|pwd|secret|token", re.I)
# A ``user:password@`` in any URL of a free text (a driver's or a library's message).
_USERINFO_IN_TEXT = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*):[^\s@]*@")


@dataclass(frozen=True, slots=True)
class DatabaseUrlParts:
    """A database URL split as SQLAlchemy splits it; values as written (not decoded)."""

    scheme: str
    username: str | None
    password: str | None
    host: str | None
    port: str | None
    database: str | None
    query: str | None


def split_database_url(url: str) -> DatabaseUrlParts | None:
    """``url`` split by SQLAlchemy's grammar, without importing SQLAlchemy (a tenth of a second
    that a command without a database, ``logs`` or ``inspect``, need not pay); None when it
    is no URL at all."""
    found = _DATABASE_URL.match(url)
    if found is None:
        return None
    parts = found.groupdict()
    return DatabaseUrlParts(
        scheme=parts["name"],
        username=parts["username"],
        password=parts["password"],
        host=parts["ipv4host"] or parts["ipv6host"],
        port=parts["port"],
        database=parts["database"],
        query=parts["query"],
    )


def mask_url(url: str, *, whole: bool = False) -> str:
    """``url`` as it may be shown: ``postgresql://ingest:***@db:5432/ingest``.

    The password is everything between the user name's ``:`` and the *last* ``@`` of the URL,
    whichever parser later reads it (SQLAlchemy stops at the first ``@``, urllib at the last):
    a password with a raw ``@``, ``/`` or ``:`` is masked whole. Query values whose keys name a
    credential (``password=``, ``token=``) are masked too. ``whole``: a URL that is a secret as
    a whole (a webhook), shown as its scheme only.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        return MASK if whole else url
    if whole:
        return f"{scheme}://{MASK}"
    at = rest.rfind("@")
    if at > 0 and not rest.startswith("/"):
        userinfo, rest = rest[:at], rest[at + 1 :]
        user, colon, _password = userinfo.partition(":")
        if colon or "@" in userinfo:
            userinfo = f"{user.partition('@')[0]}:{MASK}"
        url = f"{scheme}://{userinfo}@{rest}"
    else:
        url = f"{scheme}://{rest}"
    return _mask_query(url)


def _mask_query(url: str) -> str:
    head, question, query = url.partition("?")
    if not question:
        return url
    pairs = []
    for pair in query.split("&"):
        key, equals, value = pair.partition("=")
        pairs.append(f"{key}={MASK}" if equals and value and _SECRET_KEY.search(key) else pair)
    return f"{head}?{'&'.join(pairs)}"


def url_secrets(url: str, *, whole: bool = False) -> set[str]:
    """The secrets ``url`` carries, each as written: its password (SQLAlchemy's reading and
    the widest one, up to the last ``@``), credential query values; ``whole``: the URL itself
    and everything after its host (a webhook's token)."""
    found: set[str] = set()
    if whole:
        found.add(url)
        parts = urlsplit(url)
        tail = url.split(parts.netloc, 1)[1] if parts.netloc else ""
        if tail.strip("/"):
            found.add(tail)
        return found
    database = split_database_url(url)
    if database is not None and database.password:
        found.add(database.password)
    _scheme, _, rest = url.partition("://")
    at = rest.rfind("@")
    if at > 0 and not rest.startswith("/"):
        _user, colon, password = rest[:at].partition(":")
        if colon and password:
            found.add(password)
    _head, _, query = url.partition("?")
    for pair in query.split("&") if query else ():
        key, equals, value = pair.partition("=")
        if equals and value and _SECRET_KEY.search(key):
            found.add(value)
    return found


def spellings(secret: str) -> set[str]:
    """``secret`` as a message may hold it: as written, percent-decoded, percent-encoded (as
    urllib and SQLAlchemy write it back), form-encoded."""
    plain = unquote(secret)
    return {secret, plain, quote(plain, safe=""), quote_plus(plain), quote(plain)}


class _Remembered:
    """The secrets of this process's settings, longest spelling first."""

    spellings: tuple[str, ...] = ()


_REMEMBERED = _Remembered()


def remember(*, urls: Iterable[str] = (), whole_urls: Iterable[str] = ()) -> None:
    """Keep the secrets of these URLs for ``redact``: ``urls`` carry a password (database,
    proxies), ``whole_urls`` are secrets as a whole (webhooks). Replaces what was kept: a
    process loads its settings once."""
    secrets: set[str] = set()
    for url in urls:
        secrets |= url_secrets(url)
    for url in whole_urls:
        secrets |= url_secrets(url, whole=True)
    every = {spelling for secret in secrets for spelling in spellings(secret)}
    kept = (s for s in every if len(s) >= MIN_REDACTED)
    _REMEMBERED.spellings = tuple(sorted(kept, key=len, reverse=True))


def redact(text: str) -> str:
    """``text`` without any remembered secret, and without the password of any URL in it."""
    for secret in _REMEMBERED.spellings:
        if secret in text:
            text = text.replace(secret, MASK)
    if "://" in text and "@" in text:
        text = _USERINFO_IN_TEXT.sub(rf"\1:{MASK}@", text)
    return text


def redact_value(value: object) -> object:
    """``redact`` through strings, and the strings inside lists, tuples and dicts (a log
    event's values); anything else as it is."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    return value
