"""ingest: scheduled scraping and ingestion of date-filtered news listings.

The flow is one direction: plan dates -> fetch -> parse -> dedupe -> store -> log.
"""

__version__ = "0.1.0"
