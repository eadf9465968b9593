"""A deterministic, offline sample of the Joomla + K2 news site, and a local server for it.

Used by ``ingest demo``, by the test suite and by benchmarks in place of the real site:

- ``SampleSite`` generates every day of any year from ``(seed, day)``, with the real site's
  quirks (duplicate and near-duplicate posts, entities in titles, broken author HTML,
  off-site and robots-disallowed items) and the five seed pages on their real days; tests
  can edit, add and remove articles; ``expected_records`` is the ground truth a correct
  scraper must store.
- ``SampleSiteServer`` serves it on ``127.0.0.1`` with K2's URL shapes, conditional GETs,
  a request log, and deterministic fault injection (``Status``, ``Drop``, ``Delay``,
  ``Truncate``, ``Oversize``, ``faults.random_transient``).
"""

from ingest.sample_site.article import SampleArticle
from ingest.sample_site.content import ExpectedRecord, SampleSite
from ingest.sample_site.faults import Delay, Drop, FaultAction, Oversize, Status, Truncate
from ingest.sample_site.server import DEFAULT_ROBOTS, RequestRecord, SampleSiteServer

__all__ = [
    "DEFAULT_ROBOTS",
    "Delay",
    "Drop",
    "ExpectedRecord",
    "FaultAction",
    "Oversize",
    "RequestRecord",
    "SampleArticle",
    "SampleSite",
    "SampleSiteServer",
    "Status",
    "Truncate",
]
