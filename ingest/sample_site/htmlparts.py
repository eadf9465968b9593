"""Small pieces every flavour's HTML shares: PHP-style dates, escaped links, tags, times.

Pure functions. Month and weekday names come from own tables, not ``strftime``, whose names
follow the process locale.
"""

from __future__ import annotations

import html
from datetime import UTC, date, datetime

from ingest.sample_site.article import SampleArticle
from ingest.sample_site.content import SITE_TZ, title_text

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TAGS = ("Idlib", "Aleppo", "Russia", "Detainees", "Geneva", "Constitutional Committee")
DEFAULT_TAG = "Syrian Coalition"


# -- dates, in PHP's formats ------------------------------------------------------------------


def format_day(day: date) -> str:
    """``d F Y``: "01 February 2020", the real K2 site's listing override."""
    return f"{day.day:02d} {MONTHS[day.month - 1]} {day.year}"


def format_long_day(day: date) -> str:
    """``l, d F Y``: "Saturday, 01 February 2020"."""
    return f"{WEEKDAYS[day.weekday()]}, {format_day(day)}"


def format_created(moment: datetime) -> str:
    """``l, d F Y H:i``: "Tuesday, 18 February 2020 20:21"."""
    return f"{format_long_day(moment.date())} {moment:%H:%M}"


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


# -- markup -----------------------------------------------------------------------------------


def attr(value: str) -> str:
    """Escape an attribute value (quotes included)."""
    return html.escape(value, quote=True)


def link(href: str, text_html: str, *, cls: str | None = None, title: str | None = None) -> str:
    """``<a href class title>text</a>``; ``text_html`` is already HTML."""
    class_attr = f' class="{cls}"' if cls else ""
    title_attr = f' title="{attr(title)}"' if title else ""
    return f'<a href="{attr(href)}"{class_attr}{title_attr}>{text_html}</a>'


def tags_of(article: SampleArticle) -> list[str]:
    """The article's tags: the known names its title or intro mentions, else one default."""
    text = " ".join((title_text(article), *article.intro_paragraphs))
    return [tag for tag in TAGS if tag in text] or [DEFAULT_TAG]


def tag_id(tag: str) -> int:
    """A tag's term id (WordPress numbers tags after its categories)."""
    return 100 + (TAGS.index(tag) if tag in TAGS else len(TAGS))
