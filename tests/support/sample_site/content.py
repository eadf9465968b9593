"""The test suite's sample site: the product's generated site, plus test-time edits and the
ground truth.

``SampleSite`` is ``ingest.sample_site.SampleSite`` (every day of any year, generated) with
articles a test can edit, add and remove, and ``expected_records``: what a correct scraper
stores for a day, in each flavour the server speaks (see ``flavours``). The ground truth comes
from the plain-text paragraphs, never from parsing the rendered HTML.
"""

from __future__ import annotations

import html
import itertools
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ingest import sample_site
from ingest.sample_site.article import (
    ADDED_ID_BASE,
    CATEGORY_IDS,
    COALITION_NEWS,
    SampleArticle,
    make_article,
    slugify,
)
from ingest.sample_site.content import DEFAULT_PAGE_SIZE, title_text
from ingest.sample_site.generate import generate_day
from ingest.sample_site.markup import HtmlStyle, collapse, render_paragraphs
from tests.support.sample_site.flavours import (
    Flavour,
    article_url_in,
    knows_time,
    reads_full_text,
    wordpress_slugs,
)

SITE_TZ = ZoneInfo("Asia/Damascus")


@dataclass(frozen=True)
class ExpectedRecord:
    """What a correct scraper stores for one story of one day."""

    title: str
    url: str
    category: str
    body: str
    published_at: datetime | None  # aware, Asia/Damascus; None when only the listing is read


def article_url(article: SampleArticle, base_url: str) -> str:
    """Where the listing's title link points, made absolute."""
    return article.offsite_url or base_url.rstrip("/") + article.url_path


def is_fetchable(article: SampleArticle) -> bool:
    """Whether a polite scraper reads the article page: on-site and not disallowed by robots."""
    return article.offsite_url is None and not article.private


def listing_text(article: SampleArticle) -> str:
    """The item's text as the listing shows it (intro only)."""
    return "\n\n".join(p for p in map(collapse, article.intro_paragraphs) if p)


def article_body(article: SampleArticle) -> str:
    """The article page's body text: intro then full text."""
    paragraphs = (*article.intro_paragraphs, *article.full_paragraphs)
    return "\n\n".join(p for p in map(collapse, paragraphs) if p)


def expected_record(
    article: SampleArticle,
    *,
    base_url: str,
    fetch_article_pages: bool,
    flavour: Flavour = "k2",
    wordpress_slug: str = "",
) -> ExpectedRecord:
    """One item's record as a scraper of ``flavour`` stores it (``wordpress_slug`` for the
    WordPress flavours' URLs: ``SampleSite.wordpress_slugs``)."""
    full = reads_full_text(flavour, article, fetch_article_pages)
    timed = knows_time(flavour, article, fetch_article_pages)
    return ExpectedRecord(
        title=title_text(article),
        url=article_url_in(flavour, article, base_url, wordpress_slug or article.alias),
        category=article.category,
        body=article_body(article) if full else listing_text(article),
        published_at=article.created.replace(tzinfo=SITE_TZ) if timed else None,
    )


def dedupe(articles: Iterable[SampleArticle]) -> list[SampleArticle]:
    """One item per story: the first in listing order wins."""
    seen: set[str] = set()
    kept: list[SampleArticle] = []
    for article in articles:
        if article.story_id not in seen:
            seen.add(article.story_id)
            kept.append(article)
    return kept


def edited(
    article: SampleArticle,
    *,
    title_html: str | None,
    intro_paragraphs: tuple[str, ...] | None,
    full_paragraphs: tuple[str, ...] | None,
    modified: datetime,
) -> SampleArticle:
    """A corrected copy: same id, URL and quirks, HTML re-rendered from the new paragraphs."""
    intro = article.intro_paragraphs if intro_paragraphs is None else tuple(intro_paragraphs)
    full = article.full_paragraphs if full_paragraphs is None else tuple(full_paragraphs)
    return replace(
        article,
        title_html=article.title_html if title_html is None else title_html,
        intro_paragraphs=intro,
        full_paragraphs=full,
        intro_html=render_paragraphs(intro, article.intro_style),
        full_html=render_paragraphs(full, article.full_style),
        modified=modified,
    )


class SampleSite(sample_site.SampleSite):
    """The product's infinite Joomla + K2 news site, with test-time corrections on top.

    Thread-safe: the server reads while a test edits.
    """

    def __init__(self, seed: int = 0, *, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        super().__init__(seed, page_size=page_size)
        self._lock = threading.Lock()
        self._edits: dict[int, SampleArticle] = {}
        self._removed: set[int] = set()
        self._added: dict[int, SampleArticle] = {}
        self._added_ids = itertools.count(ADDED_ID_BASE)
        self._revision = 0

    @property
    def revision(self) -> int:
        """Bumped by every mutation."""
        with self._lock:
            return self._revision

    # -- reading -------------------------------------------------------------------------

    def published_on(self, day: date) -> list[SampleArticle]:
        """The day's items as edited: generated ones less the removed, then the added."""
        generated = generate_day(self.seed, day)
        with self._lock:
            items = [self._edits.get(a.id, a) for a in generated if a.id not in self._removed]
            items.extend(a for a in self._added.values() if a.day == day)
        return items

    def articles_on(self, day: date, *, catid: int | None = None) -> list[SampleArticle]:
        """The day's items in listing order (newest ``created`` first); ``catid`` filters."""
        items = super().articles_on(day)
        return items if catid is None else [a for a in items if a.catid == catid]

    def article(self, article_id: int) -> SampleArticle | None:
        """The current version of an article, or None if it does not (or no longer) exist."""
        with self._lock:
            if article_id in self._removed:
                return None
            if article_id in self._added:
                return self._added[article_id]
            if article_id in self._edits:
                return self._edits[article_id]
        return super().article(article_id)

    def wordpress_slugs(self, day: date) -> dict[int, str]:
        """The WordPress slug of each post the day ever had (see ``flavours.wordpress_slugs``)."""
        pool = {a.id: a for a in generate_day(self.seed, day)}
        with self._lock:
            pool.update((a.id, a) for a in self._added.values() if a.day == day)
        return wordpress_slugs(pool.values())

    def expected_records(
        self,
        day: date,
        *,
        base_url: str,
        fetch_article_pages: bool = True,
        catid: int | None = None,
        flavour: Flavour = "k2",
    ) -> list[ExpectedRecord]:
        """What a correct scraper of ``flavour`` stores for ``day``: one record per story, in
        listing order (newest first; the first item of a story wins).

        ``fetch_article_pages`` says whether the scraper reads article pages (where robots.txt
        allows); the ``wordpress-api`` flavour has the full content in its listing anyway.
        """
        slugs = self.wordpress_slugs(day) if flavour.startswith("wordpress") else {}
        return [
            expected_record(
                a,
                base_url=base_url,
                fetch_article_pages=fetch_article_pages,
                flavour=flavour,
                wordpress_slug=slugs.get(a.id, ""),
            )
            for a in dedupe(self.articles_on(day, catid=catid))
        ]

    # -- mutation (overrides on top of generated content) ---------------------------------

    def edit_article(
        self,
        article_id: int,
        *,
        title_html: str | None = None,
        intro_paragraphs: Iterable[str] | None = None,
        full_paragraphs: Iterable[str] | None = None,
    ) -> SampleArticle:
        """Correct an article after publication; its HTML is re-rendered. Returns the new one."""
        current = self.article(article_id)
        if current is None:
            raise KeyError(article_id)
        with self._lock:
            # "Last modified" moves forward with every edit, deterministically.
            base = current.modified or current.created
            new = edited(
                current,
                title_html=title_html,
                intro_paragraphs=None if intro_paragraphs is None else tuple(intro_paragraphs),
                full_paragraphs=None if full_paragraphs is None else tuple(full_paragraphs),
                modified=base + timedelta(minutes=5),
            )
            if article_id in self._added:
                self._added[article_id] = new
            else:
                self._edits[article_id] = new
            self._revision += 1
        return new

    def add_article(
        self,
        day: date,
        *,
        title_html: str,
        intro_paragraphs: Iterable[str],
        full_paragraphs: Iterable[str] = (),
        category: str = COALITION_NEWS,
        created: datetime | None = None,
    ) -> SampleArticle:
        """Publish a new item on ``day``; by default it is the day's newest (listed first)."""
        if category not in CATEGORY_IDS:
            raise ValueError(f"unknown category {category!r}")
        with self._lock:
            article_id = next(self._added_ids)
            if created is None:
                # After every generated item (they end by 23:00), later additions first.
                added_today = sum(1 for a in self._added.values() if a.day == day)
                created = datetime.combine(day, time(23, 30)) + timedelta(seconds=added_today)
            if created.date() != day:
                raise ValueError("created must fall on day")
            article = make_article(
                article_id=article_id,
                story_id=f"added-{article_id}",
                created=created,
                title_html=title_html,
                alias=slugify(html.unescape(title_html)),
                category=category,
                intro_paragraphs=tuple(intro_paragraphs),
                full_paragraphs=tuple(full_paragraphs),
                intro_style=HtmlStyle.clean(),
                full_style=HtmlStyle.clean(),
            )
            self._added[article_id] = article
            self._revision += 1
        return article

    def remove_article(self, article_id: int) -> None:
        """Unpublish an article: gone from its listing, its page 404s."""
        if self.article(article_id) is None:
            raise KeyError(article_id)
        with self._lock:
            self._added.pop(article_id, None)
            self._edits.pop(article_id, None)
            self._removed.add(article_id)
            self._revision += 1
