"""The four ways the sample site serves one corpus, and what each lets a scraper read.

One ``SampleSiteServer`` of the test suite serves every flavour at once (the product's serves
K2 alone), on different paths:

=================  ==================================================  ======================
flavour            listing                                             article page
=================  ==================================================  ======================
``k2``             ``/date/{year}/{month}/{day}.html``                 ``article.url_path``
``wordpress``      ``/{year}/{month:02d}/{day:02d}/`` (``page/N/``)    ``/YYYY/MM/DD/slug/``
``wordpress-api``  ``/wp-json/wp/v2/posts?after=…&before=…``           (none: full content)
``plain``          ``/archive/{year}-{month:02d}-{day:02d}.html``      ``/story/{id}.html``
=================  ==================================================  ======================

The same items, in the same order, with the same titles, categories, paragraphs and times;
only URLs differ, and what a polite scraper can read:

- Off-site items (``offsite_url``): K2 and plain link them off-site (never fetched); on
  WordPress every post is on-site, so they are short posts (their intro is all their text).
- Private items (robots-disallowed): K2 keeps them under ``/media-center/private/``; WordPress
  and plain serve their pages under ``/private/`` (disallowed by ``DEFAULT_ROBOTS``) so a
  polite scraper keeps the listing's text. The REST API has their full content.
- Publication time: WordPress archives carry it (``time[datetime]``), the API carries it
  (``date_gmt``); K2 and plain only on the article page.

WordPress slugs are unique within a day (WordPress makes them unique site-wide; an infinite
site cannot): a later post with a taken alias gets ``alias-2``, ``alias-3``, by publication.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal

from ingest.sample_site.article import SampleArticle

Flavour = Literal["k2", "wordpress", "wordpress-api", "plain"]
FLAVOURS: tuple[Flavour, ...] = ("k2", "wordpress", "wordpress-api", "plain")

WORDPRESS_LISTING_PATH = "/{year}/{month:02d}/{day:02d}/"
PLAIN_LISTING_PATH = "/archive/{year}-{month:02d}-{day:02d}.html"
API_ROOT = "/wp-json/"
API_POSTS_PATH = "/wp-json/wp/v2/posts"
API_CATEGORIES_PATH = "/wp-json/wp/v2/categories"
PRIVATE_PREFIX = "/private"  # the WordPress and plain flavours' robots-disallowed pages


def day_path(template: str, day: date) -> str:
    return template.format(year=day.year, month=day.month, day=day.day)


# -- WordPress --------------------------------------------------------------------------------


def wordpress_slugs(articles: Iterable[SampleArticle]) -> dict[int, str]:
    """Unique slugs for one day's posts: the first published keeps the alias, later ones
    get ``-2``, ``-3``. Pass every post the day ever had, so a removal renames nobody."""
    slugs: dict[int, str] = {}
    taken: set[str] = set()
    for article in sorted(articles, key=lambda a: (a.created, a.id)):
        slug, n = article.alias, 2
        while slug in taken:
            slug, n = f"{article.alias}-{n}", n + 1
        taken.add(slug)
        slugs[article.id] = slug
    return slugs


def wordpress_path(article: SampleArticle, slug: str) -> str:
    """The post's permalink path, ``/YYYY/MM/DD/slug/`` (under ``/private`` when private)."""
    day = article.day
    path = f"/{day.year}/{day.month:02d}/{day.day:02d}/{slug}/"
    return PRIVATE_PREFIX + path if article.private else path


def wordpress_page_path(day: date, page: int, query: str = "") -> str:
    """A date archive's page (1-based): page 1 is the archive itself."""
    path = day_path(WORDPRESS_LISTING_PATH, day)
    if page > 1:
        path += f"page/{page}/"
    return f"{path}?{query}" if query else path


# -- plain ------------------------------------------------------------------------------------


def plain_story_path(article: SampleArticle) -> str:
    """``/story/{id}.html`` (under ``/private`` when private)."""
    path = f"/story/{article.id}.html"
    return PRIVATE_PREFIX + path if article.private else path


def plain_page_path(day: date, page: int) -> str:
    path = day_path(PLAIN_LISTING_PATH, day)
    return path if page <= 1 else f"{path}?page={page}"


# -- what a scraper reads ---------------------------------------------------------------------


def article_url_in(
    flavour: Flavour, article: SampleArticle, base_url: str, wordpress_slug: str
) -> str:
    """Where the flavour's listing links the item (absolute)."""
    base = base_url.rstrip("/")
    if flavour in ("wordpress", "wordpress-api"):
        return base + wordpress_path(article, wordpress_slug)
    if article.offsite_url is not None:
        return article.offsite_url
    return base + (article.url_path if flavour == "k2" else plain_story_path(article))


def reads_full_text(flavour: Flavour, article: SampleArticle, fetch_article_pages: bool) -> bool:
    """Whether a polite scraper gets the whole body (intro + full text) of the item."""
    if flavour == "wordpress-api":
        return True  # content.rendered, whatever robots.txt says of the HTML page
    if not fetch_article_pages or article.private:
        return False
    return flavour == "wordpress" or article.offsite_url is None


def knows_time(flavour: Flavour, article: SampleArticle, fetch_article_pages: bool) -> bool:
    """Whether a scraper learns the exact publication time of the item."""
    if flavour in ("wordpress", "wordpress-api"):
        return True  # time[datetime] on the archive, date_gmt in the API
    return reads_full_text(flavour, article, fetch_article_pages)
