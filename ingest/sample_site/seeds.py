"""The five real pages of the seed set, placed on their real days with their real texts.

Listing dumps (000, 001, 003) show each item's whole text, so those items carry it all as
intro text; article pages (002, 004) split as intro = first paragraph, full = the rest. The
dumps dropped the listing titles; the titles given here for those are invented.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime

from ingest.sample_site import seed_article_texts, seed_texts
from ingest.sample_site.article import (
    COALITION_NEWS,
    LOCAL_NEWS,
    SampleArticle,
    day_id,
    make_article,
    slugify,
)
from ingest.sample_site.markup import HtmlStyle


@dataclass(frozen=True)
class _SeedItem:
    created: datetime
    category: str
    title_html: str
    paragraphs: tuple[str, ...]
    article_page: bool  # from an article page: split into intro and full text


_SEED_ITEMS: tuple[_SeedItem, ...] = (
    _SeedItem(
        datetime(2020, 2, 1, 16, 45),
        COALITION_NEWS,
        "Al-Bahra Joins Civil Society Workshop on the Constitution in Gaziantep",
        seed_texts.P_000A,
        False,
    ),
    _SeedItem(
        datetime(2020, 2, 1, 11, 10),
        COALITION_NEWS,
        "Coalition: Russia, Iran &amp; Assad&#8217;s Gangs Committing All Types of Crimes "
        "in Maaret al-Numan",
        seed_texts.P_000B,
        False,
    ),
    _SeedItem(
        datetime(2018, 2, 15, 17, 30),
        COALITION_NEWS,
        "Political Committee: Int&#8217;l Inaction over Attacks on Civilians a Total Disgrace",
        seed_texts.P_001A,
        False,
    ),
    _SeedItem(
        datetime(2018, 2, 15, 12, 5),
        COALITION_NEWS,
        "Hariri Meets Tillerson in Amman, Calls for Firm Stance on Chemical Attacks",
        seed_texts.P_001B,
        False,
    ),
    _SeedItem(
        datetime(2019, 2, 8, 18, 20),
        LOCAL_NEWS,
        "Anti-Regime Graffiti Spreads from Dara&#8217;a to Qudsaya near Damascus",
        seed_texts.P_003A,
        False,
    ),
    _SeedItem(
        datetime(2019, 2, 8, 14, 40),
        LOCAL_NEWS,
        "Survivors &amp; Families of the Disappeared Write to Brussels III Organizers",
        seed_texts.P_003B,
        False,
    ),
    _SeedItem(
        datetime(2019, 2, 8, 11, 15),
        COALITION_NEWS,
        "Coalition Denounces Int&#8217;l Inaction over Shelling of Idlib",
        seed_texts.P_003C,
        False,
    ),
    _SeedItem(
        datetime(2020, 2, 18, 20, 21),
        COALITION_NEWS,
        "Syrian Coalition Steps Up Efforts to Mobilize Support for Idlib &amp; Expose Russia "
        "&amp; Regime&#8217;s Crimes",
        seed_article_texts.P_002,
        True,
    ),
    _SeedItem(
        datetime(2018, 9, 12, 19, 28),
        COALITION_NEWS,
        "Syrian Coalition Continues its Int&#8217;l Efforts for Idlib &amp; Holds Important "
        "Meeting to Rally Support Against Moscow",
        seed_article_texts.P_004,
        True,
    ),
)

SEED_DAYS: frozenset[date] = frozenset(item.created.date() for item in _SEED_ITEMS)


def seed_articles(day: date) -> tuple[SampleArticle, ...] | None:
    """The seed items of ``day`` in listing order, or None when ``day`` is not a seed day."""
    if day not in SEED_DAYS:
        return None
    items = sorted(
        (item for item in _SEED_ITEMS if item.created.date() == day),
        key=lambda item: item.created,
        reverse=True,
    )
    return tuple(_build(day, index, item) for index, item in enumerate(items))


def _build(day: date, index: int, item: _SeedItem) -> SampleArticle:
    if item.article_page:
        intro, full = item.paragraphs[:1], item.paragraphs[1:]
    else:
        intro, full = item.paragraphs, ()
    return make_article(
        article_id=day_id(day, index),
        story_id=f"{day.isoformat()}-seed-{index}",
        created=item.created,
        title_html=item.title_html,
        alias=slugify(html.unescape(item.title_html)),
        category=item.category,
        intro_paragraphs=intro,
        full_paragraphs=full,
        intro_style=HtmlStyle(numeric_entities=True, quot_entity=True),
        full_style=HtmlStyle(numeric_entities=True, quot_entity=True),
        absolute_link=index % 2 == 1,
    )
