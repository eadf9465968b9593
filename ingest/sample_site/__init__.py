"""A deterministic, offline sample of the news site, and a local server for it: what
``ingest demo`` crawls.

- ``SampleSite`` generates every day of any year from ``(seed, day)``, with the real site's
  quirks (duplicate and near-duplicate posts, entities in titles, broken author HTML,
  off-site and robots-disallowed items) and the five seed pages on their real days.
- ``SampleSiteServer`` serves it on ``127.0.0.1`` as the real site's Joomla + K2 pages
  (``listing_path``), with a robots.txt.

The test suite builds on these (in its own code, not installed): the same corpus as WordPress,
its REST API and a plain markup, edits, the ground truth a correct scraper must store, and
fault injection.
"""

from ingest.sample_site.article import SampleArticle
from ingest.sample_site.content import SampleSite
from ingest.sample_site.server import DEFAULT_ROBOTS, Response, SampleSiteServer

__all__ = ["DEFAULT_ROBOTS", "Response", "SampleArticle", "SampleSite", "SampleSiteServer"]
