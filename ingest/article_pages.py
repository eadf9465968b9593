"""An article known by its own page rather than by a listing item: the record a sitemap
entry's page (``sitemap_day``) or a page the cross-check found (``other_sources``) is stored
as. A listed item's record, where the listing's fields come first, is ``pipeline``'s."""

from __future__ import annotations

from datetime import date

from ingest.domain import ArticleRecord, BodySource, FoundBy
from ingest.fetch import Page
from ingest.sites import ArticlePage
from ingest.text import title_key


def page_record(
    site: str,
    day: date,
    url: str,
    article: ArticlePage,
    page: Page,
    *,
    title: str | None,
    listing_hash: str,
    found_by: FoundBy,
) -> ArticleRecord:
    """``article``, read from ``page``, as ``day``'s record of ``url``: the page's title, else
    the source's (``title``), else the URL; the page's category, body and time; the WARC
    location of the page."""
    title = article.title or title or url
    return ArticleRecord(
        site=site,
        date=day,
        title=title,
        title_key=title_key(title),
        url=url,
        category=article.category,
        body=article.body,
        body_source=BodySource.ARTICLE,
        listing_hash=listing_hash,
        published_at=article.published_at,
        warc=page.warc,
        found_by=found_by,
    )
