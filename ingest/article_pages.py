"""A date's article pages, whichever source names them (its listing, ``pipeline``; its
sitemap entries, ``sitemap_day``; the cross-check's other sources, ``other_sources``): which
may be fetched, each fetched within the date's byte budget, and what their transient failures
make of the date. And the record of an article known by its own page rather than by a
listing item (a sitemap entry's, a page the cross-check found); a listed item's record, where
the listing's fields come first, is ``pipeline``'s."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import structlog

from ingest.bounds import DayBudget
from ingest.domain import ArticleRecord, BodySource, FoundBy
from ingest.errors import FetchError, PermanentFetchError
from ingest.fetch import Fetcher, Page
from ingest.sites import ArticlePage
from ingest.text import title_key

log = structlog.get_logger("ingest.article_pages")


def may_fetch(fetcher: Fetcher, url: str) -> bool:
    """Whether the page at ``url`` may be fetched: on the site, and robots.txt allows it; one
    that may not is logged (``article_page_skipped``) and passed over."""
    if fetcher.may_fetch(url):
        return True
    reason = "off-site" if not fetcher.is_on_site(url) else "robots.txt"
    log.info("article_page_skipped", url=url, reason=reason)
    return False


async def fetch_page(
    fetcher: Fetcher, url: str, budget: DayBudget
) -> tuple[Page | None, str | None]:
    """The article's page, or None. Only a transient failure is an error (the date then fails,
    and the next run fetches the page again); one gone or refused is None. Once the date's
    pages are over its budget, the rest are not fetched, and a fetched one is let go."""
    if budget.spent:
        return None, None
    try:
        page = await fetcher.get(url, kind="article")
    except PermanentFetchError:
        return None, None
    except FetchError as exc:
        return None, f"{url}: {exc}"
    budget.spend(len(page.body), page.url, strict=False)
    return (None, None) if budget.spent else (page, None)


def failed_pages(errors: Sequence[str]) -> str | None:
    """The date's error when some of its article pages failed transiently: how many, and the
    first; None when none did."""
    return f"{len(errors)} article page(s) failed, first: {errors[0]}" if errors else None


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
