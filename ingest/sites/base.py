"""What every site layout's parser returns: frozen values, no markup objects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urljoin, urlsplit

Markup = str | bytes

MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january", "february", "march", "april", "may", "june", "july", "august",
            "september", "october", "november", "december",
        ),
        start=1,
    )
}  # fmt: skip

_DAY_MONTH_YEAR = re.compile(
    r"(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})(?:\s+(\d{1,2}):(\d{2}))?", re.ASCII
)


# Hrefs that ``urljoin`` returns unchanged (absolute) or just prefixed with the page's origin
# (root-relative): no whitespace, params, fragment or empty query, and, being checked separately,
# no dot segment or doubled slash for urljoin to fold. Nearly every link of a listing is one.
_PLAIN_HREF = re.compile(
    r"(https?://[A-Za-z0-9.\-:@]+)?(/[A-Za-z0-9\-._~/%+,!$&'()*=:@]*)"
    r"(?:\?[A-Za-z0-9\-._~/%+,!$&'()*=:@?]+)?\Z"
)


class LinkResolver:
    """Resolve a page's hrefs as ``urljoin(page_url, href)`` does, only faster.

    None for an href urljoin rejects (such as an unbalanced IPv6 bracket).
    """

    __slots__ = ("_origin", "_page_url")

    def __init__(self, page_url: str) -> None:
        self._page_url = page_url
        parts = urlsplit(page_url)
        plain = parts.scheme in ("http", "https") and parts.netloc
        self._origin = f"{parts.scheme}://{parts.netloc}" if plain else None

    def __call__(self, href: str) -> str | None:
        match = _PLAIN_HREF.match(href)
        if match is not None:
            if match.group(1) is not None:
                return href
            path = match.group(2)
            if self._origin is not None and "/." not in path and "//" not in path:
                return self._origin + href
        try:
            return urljoin(self._page_url, href)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class ListingItem:
    """One article as a date listing shows it."""

    title: str
    url: str
    category: str | None
    text: str
    day: date | None


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One page of a date listing; ``next_url`` is the page's own "Next" link, if any."""

    url: str
    items: tuple[ListingItem, ...]
    next_url: str | None
    skipped_items: int = 0


@dataclass(frozen=True, slots=True)
class ArticlePage:
    """An article's own page: the full body and the publication time."""

    url: str
    title: str
    body: str
    published_at: datetime | None


def as_text(markup: Markup) -> str:
    if isinstance(markup, bytes):
        return markup.decode("utf-8", errors="replace")
    return markup


def parse_day_month_year(text: str) -> tuple[date, tuple[int, int] | None] | None:
    """Find "01 February 2020" (optionally "… 20:21") in English; None when absent or invalid."""
    for match in _DAY_MONTH_YEAR.finditer(text):
        month = MONTHS.get(match.group(2).lower())
        if month is None:
            continue
        try:
            day = date(int(match.group(3)), month, int(match.group(1)))
        except ValueError:
            continue
        clock = None
        if match.group(4) is not None:
            hour, minute = int(match.group(4)), int(match.group(5))
            if hour < 24 and minute < 60:
                clock = (hour, minute)
        return day, clock
    return None
