"""The fetcher: polite, retried, size-capped GETs confined to the configured site.

One request path: every GET, in production and in the tests, goes

    Fetcher.get -> retry.Retry (tenacity) -> for each redirect hop, confined to the site
    (redirects.SiteScope) and allowed by robots.txt (robots.RobotsPolicy): the host's slot
    (politeness.HostSlot) -> transport.Transport.get -> the body inflated, bounded
    (inflate.CappedBody) -> Page

over ``transport.AiohttpTransport``; the tests run it against servers on loopback. The
transport raises the product's own errors (translated once, where aiohttp's enter); the
fetcher adds the statuses it does not want (``retry.status_error``) and its own timeout.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from types import TracebackType
from urllib.parse import urljoin

from ingest.errors import FetchError, PermanentFetchError, TransientFetchError
from ingest.fetch.hosts import Hosts
from ingest.fetch.inflate import CappedBody, every_value, inflater
from ingest.fetch.page import FetchStats, Page
from ingest.fetch.redirects import SiteScope, redirect_target
from ingest.fetch.retry import Retry, status_error
from ingest.fetch.robots import RobotsFile, RobotsPolicy
from ingest.fetch.transport import AiohttpTransport, Transport
from ingest.logs import get_logger
from ingest.settings import HttpSettings, SiteSettings

log = get_logger("ingest.fetch")


def make_transport(http: HttpSettings) -> AiohttpTransport:
    """The connection pool of a run: the shipped transport, as ``http`` configures it."""
    return AiohttpTransport(connections=http.concurrency, proxy=http.proxy or None)


class Fetcher:
    """GETs pages of one site, politely; one instance per run, used as ``async with``.

    ``hosts`` is the process's (``CrawlDeps.hosts``): the site's host slot and its robots.txt
    read are shared with every other site on the host. ``transport`` defaults to a fresh
    ``AiohttpTransport``, closed with the fetcher.
    """

    def __init__(
        self,
        site: SiteSettings,
        http: HttpSettings,
        hosts: Hosts | None = None,
        *,
        transport: Transport | None = None,
    ) -> None:
        self._site = site
        self._http = http
        self._hosts = hosts if hosts is not None else Hosts()
        self._owns_transport = transport is None
        self._transport: Transport = transport if transport is not None else make_transport(http)
        self._headers = {
            "User-Agent": http.user_agent,
            "Accept": "text/html,*/*;q=0.5",
            "Accept-Encoding": "gzip, deflate",
        }
        self._scope = SiteScope(site)
        self._slot = self._hosts.slot(site.host, http)
        self._retry = Retry(http)
        self._robots = RobotsPolicy.allow_all()
        self._robots_url: str | None = None  # the shared read this fetcher holds
        self.stats = FetchStats()
        # Logging is configured before a run and stays so through it: asked once, not per page.
        self._log_pages = log.is_enabled_for(logging.DEBUG)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._robots_url is not None:
            self._hosts.done_with_robots(self._robots_url)
            self._robots_url = None
        if self._owns_transport:
            await self._transport.aclose()

    @property
    def paced(self) -> bool:
        """True when requests are spaced by a rate rather than only bounded in number."""
        return self._slot.paced

    @property
    def concurrency(self) -> int:
        """Requests in flight at most, on the host (shared with its other sites)."""
        return self._slot.concurrency

    def is_on_site(self, url: str) -> bool:
        return self._scope.contains(url)

    def may_fetch(self, url: str) -> bool:
        """True when the URL is on the site and robots.txt allows it."""
        return self._scope.contains(url) and self._robots.allows(url)

    async def load_robots(self) -> None:
        """Read robots.txt once for the host's runs under way; a missing file allows
        everything, an unreachable one nothing.

        Its ``Crawl-delay`` for our agent, if slower than ``requests_per_second``, then paces
        every request to the host.
        """
        if not self._site.respect_robots_txt or self._robots_url is not None:
            return
        self._robots_url = url = urljoin(self._site.base_url, "/robots.txt")
        found = await self._hosts.robots(url, lambda: self._read_robots(url))
        self._robots = found.policy(self._http.user_agent)
        delay = self._robots.crawl_delay
        rate = self._slot.honour_crawl_delay(delay or 0.0)
        if delay is not None:
            log.info(
                "robots_crawl_delay",
                seconds=delay,
                requests_per_second=round(rate, 3),
                configured_requests_per_second=self._http.requests_per_second,
            )

    async def _read_robots(self, url: str) -> RobotsFile:
        try:
            page = await self.get(url, kind="robots")
        except PermanentFetchError as exc:
            # RFC 9309: a 4xx robots.txt means no restrictions.
            log.info("robots_missing", url=url, status=exc.status)
            return RobotsFile()
        except TransientFetchError as exc:
            # RFC 9309: an unreachable robots.txt means crawling nothing.
            found = RobotsFile(unreachable=str(exc))
            log.error("robots_unreachable", url=url, reason=found.policy("").unreachable_reason)
            return found
        log.info("robots_loaded", url=url, bytes=len(page.body))
        return RobotsFile.parse(page.text)

    async def get(
        self,
        url: str,
        *,
        kind: str,
        headers: dict[str, str] | None = None,
        missing_ok: bool = False,
    ) -> Page:
        """GET with retries; raises FetchError after the last attempt, counted and logged.

        ``headers`` may carry validators (If-None-Match, If-Modified-Since): a 304 answer is
        returned as a Page with status 304 and no body. With ``missing_ok`` a 404 is an answer
        too (a WordPress date archive without posts), returned as a Page with status 404.
        """
        sent = {**self._headers, **headers} if headers else self._headers
        try:
            return await self._retry.call(
                lambda attempt: self._attempt(url, kind, attempt, sent, missing_ok)
            )
        except FetchError as exc:
            self.stats.pages_failed += 1
            log.warning(
                "fetch_failed",
                url=url,
                kind=kind,
                status=exc.status,
                reason=str(exc),
                permanent=isinstance(exc, PermanentFetchError),
            )
            raise

    async def _attempt(
        self, url: str, kind: str, attempt: int, headers: Mapping[str, str], missing_ok: bool
    ) -> Page:
        current = url
        for _ in range(self._http.max_redirects + 1):
            self._scope.refuse_off_site(current, original=url)
            if not self._robots.allows(current):
                raise PermanentFetchError(self._robots.refusal(current), url=url)
            async with self._slot:
                started = time.perf_counter()
                status, response_headers, body = await self._request(current, headers)
                elapsed = time.perf_counter() - started
            # DEBUG: a line per page cost a tenth of the crawl's CPU at INFO; the day's
            # date_done line stays at INFO, and the metrics collector still sees this one.
            if self._log_pages:
                log.debug(
                    "page_fetched",
                    url=current,
                    kind=kind,
                    status=status,
                    bytes=len(body),
                    elapsed_ms=round(elapsed * 1000, 1),
                    attempt=attempt,
                )
            target = redirect_target(current, status, response_headers)
            if target is not None:
                current = target
                continue
            if status == 304:
                self.stats.pages_not_modified += 1
            elif status == 200 or (status == 404 and missing_ok):
                self.stats.pages_fetched += 1
            if status in (200, 304) or (status == 404 and missing_ok):
                return Page(
                    url=current,
                    status=status,
                    body=body,
                    headers=response_headers,
                    attempts=attempt,
                )
            raise status_error(status, url, response_headers)
        raise PermanentFetchError(f"more than {self._http.max_redirects} redirects", url=url)

    async def _request(
        self, url: str, headers: Mapping[str, str]
    ) -> tuple[int, Mapping[str, str], bytes]:
        cap = self._http.max_body_bytes
        try:
            async with asyncio.timeout(self._http.timeout_seconds):
                answer = await self._transport.get(url, headers)
                try:
                    status, answer_headers = answer.status, answer.headers
                    declared = answer_headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > cap:
                        raise PermanentFetchError(
                            f"response of {declared} bytes is over the {cap}-byte cap",
                            url=url,
                            status=status,
                        )
                    body = CappedBody(
                        inflater(every_value(answer_headers, "content-encoding"), url),
                        cap,
                        url,
                        status,
                    )
                    # A length declared under the cap (checked above) is read in one piece.
                    if declared.isdigit():
                        body.take(await answer.read())
                    else:
                        async for raw in answer.chunks():
                            body.take(raw)
                    return status, answer_headers, body.joined()
                finally:
                    answer.release()
        except TimeoutError as exc:
            raise TransientFetchError(
                f"timed out after {self._http.timeout_seconds:g}s", url=url
            ) from exc
