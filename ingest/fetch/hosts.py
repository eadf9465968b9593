"""The hosts of a process: one politeness slot per host and one robots.txt read per origin,
shared by every site crawled (Scrapy's download slots).

A ``Hosts`` is made once where the crawl is wired (``CrawlDeps``: one per command, one per
daemon replica) and passed down, so two configured sites on one host, such as a
``wordpress`` and a ``wordpress-api`` entry for the same site, together keep that host's
strictest configured concurrency and rate, and read its robots.txt once.

Slots live as long as the ``Hosts`` (their pace carries from one run to the next). A robots.txt
read is shared by the runs under way when it is asked for and dropped when the last of them
ends, so a later run (the daemon's next tick) reads the file afresh, as a run always did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from ingest.fetch.politeness import HostSlot
from ingest.fetch.robots import RobotsFile
from ingest.settings import HttpSettings, SiteSettings


@dataclass(slots=True)
class _SharedRead:
    read: asyncio.Future[RobotsFile]
    users: int = 0


class Hosts:
    """Host slots by host name, robots.txt reads by URL."""

    def __init__(self) -> None:
        self._slots: dict[str, HostSlot] = {}
        self._robots: dict[str, _SharedRead] = {}
        self._noticed: set[tuple[object, ...]] = set()

    @classmethod
    def for_sites(cls, sites: Iterable[SiteSettings]) -> Hosts:
        """Every site's limits registered up front: the first run on a host then already
        keeps to the strictest, not only once a stricter site starts."""
        hosts = cls()
        for site in sites:
            hosts.slot(site.host, site.http)
        return hosts

    def slot(self, host: str, http: HttpSettings) -> HostSlot:
        """The host's slot, held to ``http``'s limits too."""
        slot = self._slots.get(host)
        if slot is None:
            slot = self._slots[host] = HostSlot(http.concurrency, http.requests_per_second)
        else:
            slot.tighten(http.concurrency, http.requests_per_second)
        return slot

    def first_notice(self, *key: object) -> bool:
        """True the first time ``key`` is asked in the process: a warning about a host that
        every run would repeat (the daemon's each tick) is logged once."""
        if key in self._noticed:
            return False
        self._noticed.add(key)
        return True

    async def robots(self, url: str, read: Callable[[], Awaitable[RobotsFile]]) -> RobotsFile:
        """The robots.txt at ``url``: ``read()`` unless a run under way has read it or is
        reading it. Each call is matched by one ``done_with_robots(url)`` when its run ends,
        whether this returned or raised."""
        shared = self._robots.get(url)
        if shared is None:
            shared = self._robots[url] = _SharedRead(asyncio.ensure_future(read()))
        shared.users += 1
        # Shielded: one run stopping while it reads does not cancel the read for the others.
        return await asyncio.shield(shared.read)

    def done_with_robots(self, url: str) -> None:
        shared = self._robots.get(url)
        if shared is None:
            return
        shared.users -= 1
        failed = shared.read.done() and (
            shared.read.cancelled() or shared.read.exception() is not None
        )
        if shared.users <= 0 or failed:
            del self._robots[url]
        if shared.users <= 0 and not shared.read.done():
            # Every run that shared the read has ended (stopped): nobody waits for it, and a
            # task left pending would be destroyed with the event loop.
            shared.read.cancel()
