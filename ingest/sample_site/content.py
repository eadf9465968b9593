"""The sample site's content: every day of any year, generated when asked for.

``SampleSite`` answers "which items does this day list" for any day, lazily and always the
same way for one seed; it never changes. (The test suite's sample site adds edits, and the
ground truth a correct scraper must store.)
"""

from __future__ import annotations

import html
from datetime import date, timedelta

from ingest.sample_site.article import SampleArticle, day_of_id
from ingest.sample_site.generate import generate_day
from ingest.sample_site.markup import collapse

DEFAULT_PAGE_SIZE = 10  # K2's default for a date listing


def title_text(article: SampleArticle) -> str:
    """The title as text: entities decoded, whitespace collapsed."""
    return collapse(html.unescape(article.title_html))


class SampleSite:
    """A deterministic, infinite Joomla + K2 news site; immutable, so thread-safe."""

    def __init__(self, seed: int = 0, *, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.seed = seed
        self.page_size = page_size

    def published_on(self, day: date) -> list[SampleArticle]:
        """The day's items, in no particular order."""
        return list(generate_day(self.seed, day))

    def articles_on(self, day: date) -> list[SampleArticle]:
        """The day's items in listing order (newest ``created`` first)."""
        return sorted(self.published_on(day), key=lambda a: (a.created, a.id), reverse=True)

    def article(self, article_id: int) -> SampleArticle | None:
        """The article with this id, or None if there is none."""
        day = day_of_id(article_id)
        if day is None:
            return None
        return next((a for a in generate_day(self.seed, day) if a.id == article_id), None)

    def article_at(self, url_path: str) -> SampleArticle | None:
        """The article whose page is at ``url_path`` (exact match), if any."""
        marker = "/item/"
        if marker not in url_path:
            return None
        head = url_path.rsplit(marker, 1)[1].split("-", 1)[0]
        if not head.isdigit():
            return None
        article = self.article(int(head))
        return article if article is not None and article.url_path == url_path else None

    def latest_before(self, day: date, limit: int = 5) -> list[SampleArticle]:
        """Sidebars' "latest news": the newest items of the three days before, never ``day``'s."""
        latest: list[SampleArticle] = []
        for back in (1, 2, 3):
            latest.extend(self.articles_on(day - timedelta(days=back)))
        return latest[:limit]
