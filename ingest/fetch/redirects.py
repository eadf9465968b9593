"""Redirects, confined to the site: what is on the site, and where an answer points next.

The fetcher follows up to ``max_redirects`` redirects itself (the transport follows none), and
only to URLs on the configured site: an off-site URL or redirect is refused before it is
requested, as a ``PermanentFetchError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urljoin, urlsplit

from ingest.errors import PermanentFetchError
from ingest.settings import SiteSettings

REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})


class SiteScope:
    """The URLs of one site: http or https, on its host (any port)."""

    def __init__(self, site: SiteSettings) -> None:
        self._host = site.host
        # URLs of the site start with one of these; ``contains`` parses only the others.
        names = {self._host, urlsplit(site.base_url).netloc}
        self._prefixes = (
            tuple(f"{scheme}://{name}/" for name in names for scheme in ("https", "http"))
            if self._host
            else ()
        )

    def contains(self, url: str) -> bool:
        if self._prefixes and url.startswith(self._prefixes):
            return True  # http(s), the site's host (and port): what urlsplit would find
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and (parts.hostname or "") == self._host

    def refuse_off_site(self, target: str, *, original: str) -> None:
        """Raise unless ``target`` (``original`` itself, or where it redirected) is on the
        site."""
        if not self.contains(target):
            what = "redirect to" if target != original else "URL"
            raise PermanentFetchError(f"off-site {what} {target} refused", url=original)


def redirect_target(current: str, status: int, headers: Mapping[str, str]) -> str | None:
    """The absolute URL a redirect answer points to; None for any other answer."""
    if status in REDIRECT_STATUS and "location" in headers:
        return urljoin(current, headers["location"])
    return None
