"""A deterministic, offline sample of the news site, and a local server for it.

Used by ``ingest demo``, by the test suite and by benchmarks in place of the real site:

- ``SampleSite`` generates every day of any year from ``(seed, day)``, with the real site's
  quirks (duplicate and near-duplicate posts, entities in titles, broken author HTML,
  off-site and robots-disallowed items) and the five seed pages on their real days; tests
  can edit, add and remove articles; ``expected_records`` is the ground truth a correct
  scraper must store, per flavour.
- ``SampleSiteServer`` serves it on ``127.0.0.1`` in four flavours at once (``FLAVOURS``):
  the real site's Joomla + K2 (``listing_path``), WordPress with Twenty Twenty-One
  (``wordpress_listing_path``), the WordPress REST API (``api_path``, ``categories_path``;
  ``rest_api=False`` turns it off) and a hand-made "plain" markup for the selectors layout
  (``plain_listing_path``; its selectors are in ``ingest.sample_site.plain``). It has
  conditional GETs, a request log, and deterministic fault injection (``Status``, ``Drop``,
  ``Delay``, ``Truncate``, ``Oversize``, ``Bomb``, ``faults.random_transient``).

Ground truth per flavour::

    site.expected_records(day, base_url=server.base_url)                      # K2
    site.expected_records(day, base_url=..., flavour="wordpress")             # archives
    site.expected_records(day, base_url=..., flavour="wordpress-api")         # full content
    site.expected_records(day, base_url=..., flavour="plain")                 # selectors
    # fetch_article_pages=False: what a scraper stores from the listings alone

Titles, categories, order and (where read) bodies and times are the same in every flavour;
URLs differ. ``ingest.sample_site.flavours`` says what each flavour lets a scraper read.
"""

from ingest.sample_site.article import SampleArticle
from ingest.sample_site.content import ExpectedRecord, SampleSite
from ingest.sample_site.faults import (
    Bomb,
    Delay,
    Drop,
    FaultAction,
    Oversize,
    Status,
    Truncate,
)
from ingest.sample_site.flavours import FLAVOURS, Flavour
from ingest.sample_site.server import (
    DEFAULT_API_SPAN,
    DEFAULT_ROBOTS,
    RequestRecord,
    SampleSiteServer,
)

__all__ = [
    "DEFAULT_API_SPAN",
    "DEFAULT_ROBOTS",
    "FLAVOURS",
    "Bomb",
    "Delay",
    "Drop",
    "ExpectedRecord",
    "FaultAction",
    "Flavour",
    "Oversize",
    "RequestRecord",
    "SampleArticle",
    "SampleSite",
    "SampleSiteServer",
    "Status",
    "Truncate",
]
