"""Fetching pages: one request path, from ``Fetcher.get`` down to aiohttp.

fetcher.py     Fetcher: retries, redirects, robots.txt, the host's slot, bounded inflate
transport.py   Transport (URL and headers in; status, headers, body out); AiohttpTransport,
               where aiohttp's errors become ingest's, once, a proxy's credentials masked;
               Archive, a transport that replays kept responses (``ingest reparse``)
hosts.py       Hosts: the process's host slots and robots.txt reads, shared by its sites
politeness.py  HostSlot, RateLimiter: a host's concurrency and pace
robots.py      RobotsFile, RobotsPolicy: robots.txt as RFC 9309 reads it, its rules indexed
retry.py       Retry: which failures are tried again, and when
redirects.py   SiteScope, redirect_target: the site is its origin; redirects stay on it
inflate.py     CappedBody: one content coding undone in 64 KiB steps, refused past the cap
page.py        Page, FetchStats
"""

from ingest.fetch.fetcher import Fetcher, make_transport
from ingest.fetch.hosts import Hosts
from ingest.fetch.inflate import INFLATE_STEP
from ingest.fetch.page import FetchStats, Page
from ingest.fetch.politeness import HostSlot, RateLimiter
from ingest.fetch.robots import RobotsFile, RobotsPolicy
from ingest.fetch.transport import AiohttpTransport, Answer, Archive, Transport

__all__ = [
    "INFLATE_STEP",
    "AiohttpTransport",
    "Answer",
    "Archive",
    "FetchStats",
    "Fetcher",
    "HostSlot",
    "Hosts",
    "Page",
    "RateLimiter",
    "RobotsFile",
    "RobotsPolicy",
    "Transport",
    "make_transport",
]
