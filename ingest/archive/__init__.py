"""The WARC archive: every response a crawl receives, kept as it arrived (``warc``)."""

from ingest.archive.warc import WarcFiles, recover, run_files
from ingest.domain import WarcLocation

__all__ = ["WarcFiles", "WarcLocation", "recover", "run_files"]
