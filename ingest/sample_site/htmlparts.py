"""Small pieces of the sample site's HTML: PHP-style dates, escaped links, tags.

Pure functions. Month and weekday names come from own tables, not ``strftime``, whose names
follow the process locale.
"""

from __future__ import annotations

import html
from datetime import date, datetime

from ingest.sample_site.article import SampleArticle
from ingest.sample_site.content import title_text

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
