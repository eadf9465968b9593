"""The sample site's article record and the one function that builds it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from ingest.sample_site.markup import HtmlStyle, render_paragraphs

COALITION_NEWS = "Coalition News"
LOCAL_NEWS = "Local News"
CATEGORY_IDS: dict[str, int] = {COALITION_NEWS: 16, LOCAL_NEWS: 17}
CATEGORY_PATHS: dict[str, str] = {
    COALITION_NEWS: "/media-center/coalition-news",
    LOCAL_NEWS: "/media-center/local-news",
}
PRIVATE_PATH = "/media-center/private"
OFFSITE_BASE = "https://external.example.org/news"
PLAIN = HtmlStyle()  # no quirks

# Ids encode their day (ordinal * 16 + index), so an article page can be found from its URL
# without any index of the whole site; at most 14 items a day fit.
IDS_PER_DAY = 16
ADDED_ID_BASE = 900_000_000  # above any encoded id (date.max is ordinal 3,652,059)


def day_id(day: date, index: int) -> int:
    return day.toordinal() * IDS_PER_DAY + index


def day_of_id(article_id: int) -> date | None:
    if article_id >= ADDED_ID_BASE or article_id < IDS_PER_DAY:
        return None
    return date.fromordinal(article_id // IDS_PER_DAY)


def slugify(title: str) -> str:
    """Joomla-style alias: ASCII, lower case, words joined by hyphens."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower())[:80].strip("-") or "item"


@dataclass(frozen=True)
class SampleArticle:
    """One K2 item: its plain-text ground truth and the HTML rendered from it."""

    id: int
    alias: str
    story_id: str
    day: date
    created: datetime  # naive, site-local time (Asia/Damascus)
    title_html: str
    category: str
    intro_paragraphs: tuple[str, ...]
    full_paragraphs: tuple[str, ...]
    intro_html: str
    full_html: str
    url_path: str
    offsite_url: str | None = None
    private: bool = False
    intro_style: HtmlStyle = PLAIN
    full_style: HtmlStyle = PLAIN
    image: bool = False  # the listing shows a div.genericItemImageBlock
    absolute_link: bool = False  # the listing links the title with an absolute URL
    modified: datetime | None = None  # set by edits; shown as "Last modified on"

    @property
    def has_full_text(self) -> bool:
        return bool(self.full_paragraphs)

    @property
    def catid(self) -> int:
        return CATEGORY_IDS.get(self.category, 0)


def make_article(
    *,
    article_id: int,
    story_id: str,
    created: datetime,
    title_html: str,
    alias: str,
    category: str,
    intro_paragraphs: tuple[str, ...],
    full_paragraphs: tuple[str, ...] = (),
    intro_style: HtmlStyle = PLAIN,
    full_style: HtmlStyle = PLAIN,
    offsite: bool = False,
    private: bool = False,
    image: bool = False,
    absolute_link: bool = False,
) -> SampleArticle:
    """Build an article; its HTML fields are always rendered from its paragraphs."""
    folder = PRIVATE_PATH if private else CATEGORY_PATHS.get(category, CATEGORY_PATHS[LOCAL_NEWS])
    url_path = f"{folder}/item/{article_id}-{alias}.html"
    return SampleArticle(
        id=article_id,
        alias=alias,
        story_id=story_id,
        day=created.date(),
        created=created,
        title_html=title_html,
        category=category,
        intro_paragraphs=intro_paragraphs,
        full_paragraphs=full_paragraphs,
        intro_html=render_paragraphs(intro_paragraphs, intro_style),
        full_html=render_paragraphs(full_paragraphs, full_style),
        url_path=url_path,
        offsite_url=f"{OFFSITE_BASE}/{article_id}-{alias}" if offsite else None,
        private=private,
        intro_style=intro_style,
        full_style=full_style,
        image=image,
        absolute_link=absolute_link,
    )
