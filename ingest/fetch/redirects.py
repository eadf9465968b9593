"""Redirects, confined to the site: what is on the site, and where an answer points next.

"The site" is its origin: the scheme, host and port of ``base_url`` (RFC 6454). The one
exception is the upgrade sites make every day: on the same host, ``http`` at port 80 and
``https`` at 443 are one site. An ``https`` site's ``http://`` link is requested over https
(never in clear text); an ``http`` site's ``https://`` link as it is. Another port, another
scheme, another host, or any user info (``user:pass@``) in the URL is off the site: refused
before it is requested, never sent with credentials, as a ``PermanentFetchError``.

The fetcher follows up to ``max_redirects`` redirects itself (the transport follows none), and
only to URLs on the site. robots.txt is the exception RFC 9309 makes: its redirects are
followed, up to five, to any http(s) origin (``refuse_unfit``: no user info either way).
URLs are read with yarl, as aiohttp itself reads the URL it then requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urljoin

from yarl import URL

from ingest.errors import PermanentFetchError
from ingest.settings import SiteSettings

REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORT = {"http": 80, "https": 443}


def _parsed(url: str) -> URL | None:
    """The URL as aiohttp will read it: None unless it is http(s) with a host."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return None
    if parsed.scheme not in _DEFAULT_PORT or not parsed.raw_host:
        return None
    return parsed


class SiteScope:
    """The URLs of one site: its origin, and the other default-port scheme on its host."""

    def __init__(self, site: SiteSettings) -> None:
        base = URL(site.base_url)
        self._scheme = base.scheme
        self._host = (base.raw_host or "").lower()
        self._port = base.port
        # http at 80 and https at 443 on the host are one site: the upgrade.
        self._both_schemes = self._port == _DEFAULT_PORT.get(self._scheme)
        # URLs of the site start with one of these; every other is parsed.
        origins = {(self._scheme, self._port)}
        if self._both_schemes:
            origins |= {("http", 80), ("https", 443)}
        self._prefixes = tuple(
            f"{scheme}://{self._host}{spelled}/"
            for scheme, port in origins
            for spelled in (f":{port}", "" if port == _DEFAULT_PORT[scheme] else f":{port}")
        )
        # An https site's http:// links go over https.
        self._upgraded = self._scheme == "https"

    def _on_site(self, parsed: URL) -> bool:
        if parsed.user is not None or parsed.password is not None:
            return False  # credentials are never sent
        if (parsed.raw_host or "").lower() != self._host:
            return False
        if (parsed.scheme, parsed.port) == (self._scheme, self._port):
            return True
        return self._both_schemes and parsed.port == _DEFAULT_PORT[parsed.scheme]

    def contains(self, url: str) -> bool:
        if url.startswith(self._prefixes):
            return True  # the site's origin, as urljoin on its pages writes it: nothing to parse
        parsed = _parsed(url)
        return parsed is not None and self._on_site(parsed)

    def admit(self, target: str, *, original: str) -> str:
        """The URL to request for ``target`` (``original`` itself, or where it redirected):
        itself, or an https site's http link upgraded; raise unless it is on the site."""
        if target.startswith(self._prefixes) and not (
            self._upgraded and target.startswith("http:")
        ):
            return target
        parsed = _parsed(target)
        if parsed is None or not self._on_site(parsed):
            what = "redirect to" if target != original else "URL"
            if parsed is not None and (parsed.user is not None or parsed.password is not None):
                message = f"{what} {target} refused: user info is never sent"
            else:
                message = f"off-site {what} {target} refused"
            raise PermanentFetchError(message, url=original)
        if parsed.scheme == "http" and self._scheme == "https":
            return str(parsed.with_scheme("https").with_port(None))
        return target

    def refuse_off_site(self, target: str, *, original: str) -> None:
        """Raise unless ``target`` (``original`` itself, or where it redirected) is on the
        site."""
        self.admit(target, original=original)


def refuse_unfit(target: str, *, original: str) -> str:
    """``target`` if it is an http(s) URL without user info (robots.txt's redirects may
    leave the site, RFC 9309 2.3.1.2); raise otherwise."""
    parsed = _parsed(target)
    if parsed is None or parsed.user is not None or parsed.password is not None:
        raise PermanentFetchError(f"robots.txt redirect to {target} refused", url=original)
    return target


def redirect_target(current: str, status: int, headers: Mapping[str, str]) -> str | None:
    """The absolute URL a redirect answer points to; None for any other answer."""
    if status in REDIRECT_STATUS and "location" in headers:
        return urljoin(current, headers["location"])
    return None
