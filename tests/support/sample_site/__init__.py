"""The test suite's sample site: the product's (``ingest.sample_site``, what ``ingest demo``
crawls) in every flavour, editable, with its ground truth and fault injection. Tests and
benchmarks use it in place of the real site; it is not installed with the package.

- ``SampleSite`` is the product's generated site (every day of any year from
  ``(seed, day)``, with the real site's quirks and the five seed pages on their real days);
  tests can edit, add and remove articles; ``expected_records`` is the ground truth a
  correct scraper must store, per flavour.
- ``SampleSiteServer`` serves it on ``127.0.0.1`` in four flavours at once (``FLAVOURS``):
  the real site's Joomla + K2 (``listing_path``), WordPress with Twenty Twenty-One
  (``wordpress_listing_path``), the WordPress REST API (``api_path``, ``categories_path``;
  ``rest_api=False`` turns it off) and a hand-made "plain" markup for the selectors layout
  (``plain_listing_path``; its selectors are in ``tests.support.sample_site.plain``). It has
  conditional GETs, a request log, and deterministic fault injection (``Status``, ``Drop``,
  ``Delay``, ``Truncate``, ``Oversize``, ``Bomb``, ``Stacked``, ``faults.random_transient``).

Ground truth per flavour::

    site.expected_records(day, base_url=server.base_url)                      # K2
    site.expected_records(day, base_url=..., flavour="wordpress")             # archives
    site.expected_records(day, base_url=..., flavour="wordpress-api")         # full content
    site.expected_records(day, base_url=..., flavour="plain")                 # selectors
    # fetch_article_pages=False: what a scraper stores from the listings alone

Titles, categories, order and (where read) bodies and times are the same in every flavour;
URLs differ. ``tests.support.sample_site.flavours`` says what each flavour lets a scraper read.
"""

from ingest.sample_site.article import SampleArticle
from tests.support.sample_site.content import ExpectedRecord, SampleSite
from tests.support.sample_site.faults import (
    Bomb,
    Delay,
    Drop,
    FaultAction,
    Oversize,
    Stacked,
    Status,
    Truncate,
)
from tests.support.sample_site.flavours import FLAVOURS, Flavour
from tests.support.sample_site.server import (
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
    "Stacked",
    "Status",
    "Truncate",
]
