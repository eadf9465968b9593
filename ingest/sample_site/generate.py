"""Generated days: every day's items drawn from ``random.Random(f"{seed}:{day}")``.

Nothing is precomputed for a range; a bounded LRU keeps recent days so a listing and its
article pages, fetched moments apart, do not regenerate the day.

Rates (per day unless noted; see ``HtmlStyle.random`` for the per-block HTML quirks):
empty day 10%; 11-14 items (two listing pages) 12% of non-empty days, otherwise 1-9;
exact duplicate post 8%; near-duplicate re-post 10%; a "Weekly Briefing" every Thursday.
Per item: off-site link 3%, private 2%, no full text 20%, image block 25%, absolute link 1/3.
"""

from __future__ import annotations

import functools
import random
from datetime import date, datetime, time, timedelta

from ingest.sample_site.article import (
    COALITION_NEWS,
    LOCAL_NEWS,
    SampleArticle,
    day_id,
    make_article,
    slugify,
)
from ingest.sample_site.markup import HtmlStyle, title_to_html
from ingest.sample_site.seeds import seed_articles

EMPTY_DAY_RATE = 0.10
LONG_DAY_RATE = 0.12
EXACT_DUPLICATE_RATE = 0.08
NEAR_DUPLICATE_RATE = 0.10
OFFSITE_RATE = 0.03
PRIVATE_RATE = 0.02
NO_FULL_TEXT_RATE = 0.20
WEEKLY_BRIEFING_TITLE = "Weekly Briefing: The Syrian Coalition’s Week in Review"
SOURCE_LINE = "(Source: Syrian Coalition’s Media Department)"

_PLACES = (
    "Idlib",
    "Aleppo",
    "Dara’a",
    "Eastern Ghouta",
    "Maaret al-Numan",
    "rural Hama",
    "Afrin",
    "Deir Ezzor",
    "Homs",
    "Qudsaya",
)
_PEOPLE = (
    "Nasr al-Hariri",
    "Abdurrahman Mustafa",
    "Hadi Al-Bahra",
    "Anas al-Abdah",
    "Riad Seif",
    "Abdulahad Astepho",
)
_PARTNERS = (
    "the UN Envoy",
    "the French Foreign Ministry",
    "the US State Department",
    "the European Union",
    "Turkish officials",
    "the Arab League",
)
_TOPICS = (
    "the Political Process",
    "Detainees & the Missing",
    "Humanitarian Access",
    "the Constitutional Committee",
    "Accountability for War Crimes",
    "Refugee Return",
)
_TITLE_TEMPLATES = (
    "Coalition Calls for Int’l Action to Protect Civilians in {place}",
    "{person} Meets {partner}, Discusses {topic}",
    "Regime’s Shelling of {place} Kills {n} Civilians",
    "Political Committee Reviews Latest Developments in {place} & {place2}",
    "{place}: Civil Defense Responds to Airstrikes – {n} Killed",
    "Coalition Condemns Assad Regime’s Attacks on {place}",
    "Coalition Welcomes “Important” Report on {topic}",
    "{person}: No Solution in Syria Without {topic}",
    "Local Councils in {place} Discuss Water, Sanitation & Hygiene",
    "Int’l Conference on {topic} – Coalition Delegation Takes Part",
)
_SENTENCES = (
    "{person} said that the Assad regime and its allies continue to target civilians in {place}.",
    "The meeting discussed {topic_l} and the latest field developments in {place}.",
    "Participants stressed that the international community bears direct responsibility for "
    "what is happening to civilians.",
    "Local activists said that {n} civilians were killed and dozens more wounded on {weekday}.",
    "The Coalition & its partners called for an immediate ceasefire across {place}.",
    "“There is no solution except a political one sponsored by the United Nations,” {person} said.",
    'He stressed that "the integrity of Syrian territory is a concern for all Syrians."',
    "The regime’s forces shelled residential areas, schools and medical centers in {place}.",
    "Both sides agreed to continue consultations and hold more technical meetings.",
    "{person} urged {partner} to exert serious pressure to protect civilians.",
    "The Coalition reiterated its commitment to UN Security Council resolution 2254.",
    "Thousands of families have fled {place} towards the Turkish border since {weekday}.",
)
_LIST_ITEMS = (
    "An immediate and comprehensive ceasefire.",
    "The release of all detainees.",
    "Unhindered humanitarian access to besieged areas.",
    "Accountability for those responsible for war crimes.",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _fill(template: str, rng: random.Random) -> str:
    place, place2 = rng.sample(_PLACES, 2)
    topic = rng.choice(_TOPICS)
    return template.format(
        place=place,
        place2=place2,
        person=rng.choice(_PEOPLE),
        partner=rng.choice(_PARTNERS),
        topic=topic,
        topic_l=topic.replace("the ", "").lower(),
        n=rng.randint(3, 40),
        weekday=rng.choice(_WEEKDAYS),
    )


def _paragraph(rng: random.Random) -> str:
    return " ".join(_fill(t, rng) for t in rng.sample(_SENTENCES, rng.randint(2, 4)))


def _body(rng: random.Random, *, full_text: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    intro = tuple(_paragraph(rng) for _ in range(rng.randint(1, 2)))
    full: tuple[str, ...] = ()
    if full_text:
        paragraphs = [_paragraph(rng) for _ in range(rng.randint(1, 5))]
        if rng.random() < 0.15:
            # A list of demands, rendered as <li> items when the style has lists.
            paragraphs[len(paragraphs) // 2 : len(paragraphs) // 2] = rng.sample(_LIST_ITEMS, 3)
        full = tuple(paragraphs)
    # The source line stays inside the last paragraph, as on the real site.
    if full:
        full = (*full[:-1], f"{full[-1]} {SOURCE_LINE}")
    else:
        intro = (*intro[:-1], f"{intro[-1]} {SOURCE_LINE}")
    return intro, full


def _near_duplicate_title(title: str, rng: random.Random) -> tuple[str, bool]:
    """A re-post's title: same words, different spacing/case/quotes/dash, or a bare ``&``."""
    options = ["spacing", "case"]
    if "’" in title:
        options.append("quote")
    if "–" in title:
        options.append("dash")
    if "&" in title:
        options.append("amp")
    kind = rng.choice(options)
    if kind == "spacing":
        words = title.split(" ")
        at = rng.randrange(1, len(words))
        return " ".join(words[:at]) + "  " + " ".join(words[at:]) + " ", False
    if kind == "case":
        return (title.upper() if rng.random() < 0.5 else title[0] + title[1:].lower()), False
    if kind == "quote":
        return title.replace("’", "'"), False
    if kind == "dash":
        return title.replace("–", "-"), False
    return title, True


def _loose_key(title: str) -> str:
    plain = title.replace("’", "'").replace("–", "-").replace("&amp;", "&")
    return " ".join(plain.split()).casefold()


def _item_count(rng: random.Random) -> int:
    if rng.random() < EMPTY_DAY_RATE:
        return 0
    if rng.random() < LONG_DAY_RATE:
        return rng.randint(11, 14)
    return rng.randint(1, 9)


def _generate(seed: int, day: date) -> tuple[SampleArticle, ...]:
    rng = random.Random(f"{seed}:{day.isoformat()}")
    total = _item_count(rng)
    if total == 0:
        return ()
    exact_dup = total >= 2 and rng.random() < EXACT_DUPLICATE_RATE
    near_dup = total >= 2 + exact_dup and rng.random() < NEAR_DUPLICATE_RATE
    n_stories = total - exact_dup - near_dup
    # Distinct minutes keep K2's newest-first order unambiguous.
    minutes = rng.sample(range(8 * 60, 23 * 60), total)
    titles: list[str] = []
    for index in range(n_stories):
        if index == 0 and day.weekday() == 3:
            titles.append(WEEKLY_BRIEFING_TITLE)
            continue
        # Distinct stories of one day get distinct titles: on the real site two posts with the
        # same title on one day are the same story, and the ground truth must agree.
        taken = {_loose_key(t) for t in titles}
        title = _fill(rng.choice(_TITLE_TEMPLATES), rng)
        while _loose_key(title) in taken:
            title = _fill(rng.choice(_TITLE_TEMPLATES), rng)
        titles.append(title)
    # (story index, plain title, bare ampersand) for every post, duplicates appended.
    posts: list[tuple[int, str, bool]] = [(i, t, False) for i, t in enumerate(titles)]
    if exact_dup:
        story = rng.randrange(n_stories)
        posts.append((story, titles[story], False))
    if near_dup:
        story = rng.randrange(n_stories)
        posts.append((story, *_near_duplicate_title(titles[story], rng)))
    stories = [_story(rng) for _ in range(n_stories)]
    built: list[SampleArticle] = []
    for index, ((story, title, raw_amp), minute) in enumerate(zip(posts, minutes, strict=True)):
        category, intro, full, numeric = stories[story]
        offsite = rng.random() < OFFSITE_RATE
        private = not offsite and rng.random() < PRIVATE_RATE
        built.append(
            make_article(
                article_id=day_id(day, index),
                story_id=f"{day.isoformat()}-{story}",
                created=datetime.combine(day, time()) + timedelta(minutes=minute),
                title_html=title_to_html(title, numeric_entities=numeric, raw_amp=raw_amp),
                alias=slugify(title),
                category=category,
                intro_paragraphs=intro,
                full_paragraphs=() if offsite else full,
                intro_style=HtmlStyle.random(rng, intro=True),
                full_style=HtmlStyle.random(rng, intro=False),
                offsite=offsite,
                private=private,
                image=rng.random() < 0.25,
                absolute_link=rng.random() < 1 / 3,
            )
        )
    return tuple(sorted(built, key=lambda a: (a.created, a.id), reverse=True))


def _story(rng: random.Random) -> tuple[str, tuple[str, ...], tuple[str, ...], bool]:
    category = COALITION_NEWS if rng.random() < 0.7 else LOCAL_NEWS
    intro, full = _body(rng, full_text=rng.random() >= NO_FULL_TEXT_RATE)
    return category, intro, full, rng.random() < 0.7


@functools.lru_cache(maxsize=256)
def generate_day(seed: int, day: date) -> tuple[SampleArticle, ...]:
    """The day's items in listing order (newest first): the seed items on seed days."""
    seeded = seed_articles(day)
    return seeded if seeded is not None else _generate(seed, day)
