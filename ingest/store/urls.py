"""The reads of stored articles by URL, whatever their date: the sitemap layout finds its
articles by URL (their date known only once their page is read), and the cross-check asks
whether an article another source places on a date is stored on another."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection, bindparam, select

from ingest.store.articles import KnownArticle
from ingest.store.tables import articles as _articles

# Within every engine's bound parameter limit.
_CHUNK = 500

_BY_URL = select(_articles.c.url, _articles.c.listing_hash, _articles.c.body_source).where(
    _articles.c.site == bindparam("site"), _articles.c.url.in_(bindparam("urls", expanding=True))
)
_DATE_BY_URL = select(_articles.c.url, _articles.c.date).where(
    _articles.c.site == bindparam("site"), _articles.c.url.in_(bindparam("urls", expanding=True))
)


def stored_by_url(conn: Connection, site: str, urls: Sequence[str]) -> dict[str, KnownArticle]:
    """The site's stored articles at these URLs, whatever their date."""
    found: dict[str, KnownArticle] = {}
    for start in range(0, len(urls), _CHUNK):
        chunk = list(urls[start : start + _CHUNK])
        for url, listing_hash, source in conn.execute(_BY_URL, {"site": site, "urls": chunk}):
            found[url] = KnownArticle(listing_hash, source)
    return found


def dates_by_url(conn: Connection, site: str, urls: Sequence[str]) -> dict[str, date]:
    """The date each of these URLs is stored on for the site."""
    found: dict[str, date] = {}
    for start in range(0, len(urls), _CHUNK):
        chunk = list(urls[start : start + _CHUNK])
        for url, day in conn.execute(_DATE_BY_URL, {"site": site, "urls": chunk}):
            found[url] = day
    return found
