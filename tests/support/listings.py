"""Which dates' K2 listings the sample site was asked for."""

from __future__ import annotations

import re
from datetime import date

from tests.support.sample_site import SampleSiteServer

# A K2 listing's path (/date/Y/M/D.html, /date/Y/M/D/Page-N.html): its date.
LISTING = re.compile(r"^/date/(\d+)/(\d+)/(\d+)")


def listing_dates(server: SampleSiteServer) -> set[date]:
    """The dates whose listing the sample site was asked for."""
    found = (LISTING.match(path) for path in server.paths_requested())
    return {date(int(m[1]), int(m[2]), int(m[3])) for m in found if m}
