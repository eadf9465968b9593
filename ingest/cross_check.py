"""The cross-check's decisions, pure: which articles other sources place on a day that its
listing lacks, and whether an article found that way belongs to the day.

The requests are ``other_sources``' (the sitemaps, the feed, the REST API, the found pages);
this module only compares URLs and dates. A URL is compared by what names the page on the
site (``url_key``): the scheme and host in lower case, a default port, a trailing slash and a
fragment make no difference, a query does.

A source places a URL on a day by a date it gives: a news sitemap's ``publication_date``, a
feed item's date or the REST API's post date say when the article was published; a plain
sitemap's ``lastmod`` says when the page last changed, which an edit moves later. So the day
a found article is stored on is its own page's date; where the page gives none, the source's
date only when it is a publication date, and otherwise the article is passed over rather
than filed under a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit, urlunsplit

from ingest.domain import FoundBy

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Placed:
    """A URL a source places on a day."""

    url: str
    source: FoundBy
    # The source's date is the article's publication (a news sitemap, a feed, the REST API),
    # not only its last change (a sitemap's ``lastmod``).
    published: bool
    title: str | None = None


def url_key(url: str) -> str:
    """What names the page: ``HTTP://Example.org:80/a/b/#x`` and ``http://example.org/a/b``
    are one page. A key is its own key."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/") or ""
    return urlunsplit((scheme, host, path, parts.query, ""))


def missing_from_listing(listed: Iterable[str], placed: Iterable[Placed]) -> list[Placed]:
    """The placed URLs the listing lacks, each page once, in the order first named: found by
    the first source (``placed`` comes in the sources' order) that dates its publication,
    else by the first to name it."""
    seen = {url_key(url) for url in listed}
    missing: dict[str, Placed] = {}
    for found in placed:
        key = url_key(found.url)
        if key in seen:
            continue
        first = missing.get(key)
        if first is None or (found.published and not first.published):
            missing[key] = found
    return list(missing.values())


def belongs_to(day: date, page_day: date | None, found: Placed) -> bool:
    """Whether an article found for ``day`` is that day's: its page's own date decides; a page
    without a date is the day's only when the source dated its publication."""
    if page_day is not None:
        return page_day == day
    return found.published
