"""Small pieces the WordPress flavour's HTML and its REST API share: WordPress's date format,
a post's times as each prints them, tag ids."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ingest.sample_site.htmlparts import MONTHS, TAGS
from tests.support.sample_site.content import SITE_TZ


def format_wp_day(day: date) -> str:
    """``F j, Y``: "February 1, 2020", WordPress's default date format."""
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


# -- times of a post (``created`` is naive site-local time) -----------------------------------


def aware(local: datetime) -> datetime:
    """A naive site-local time as an aware one (Asia/Damascus)."""
    return local.replace(tzinfo=SITE_TZ)


def iso_with_offset(local: datetime) -> str:
    """``DATE_W3C``: "2020-02-01T14:05:00+02:00", as ``time[datetime]`` carries it."""
    return aware(local).isoformat(timespec="seconds")


def iso_gmt(local: datetime) -> str:
    """UTC without an offset: "2020-02-01T12:05:00", the REST API's ``date_gmt``."""
    return aware(local).astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def iso_local(local: datetime) -> str:
    """Local without an offset: "2020-02-01T14:05:00", the REST API's ``date``."""
    return local.isoformat(timespec="seconds")


def tag_id(tag: str) -> int:
    """A tag's term id (WordPress numbers tags after its categories)."""
    return 100 + (TAGS.index(tag) if tag in TAGS else len(TAGS))
