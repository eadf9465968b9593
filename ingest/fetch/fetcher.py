"""The fetcher: polite, retried, size-capped GETs confined to the configured site.

One request path: every GET, in production and in the tests, goes

    Fetcher.get -> retry.Retry (tenacity) -> for each redirect hop, confined to the site
    (redirects.SiteScope) and allowed by robots.txt (robots.RobotsPolicy): the host's slot
    (politeness.HostSlot) -> transport.Transport.get -> the body inflated, bounded
    (inflate.CappedBody) -> Page

over ``transport.AiohttpTransport``; the tests run it against servers on loopback. The
transport raises the product's own errors (translated once, where aiohttp's enter); the
fetcher adds the statuses it does not want (``retry.status_error``) and its own timeout.

An ``Archive`` transport (``ingest reparse``'s WARC files) goes the same way with nothing
that only the network needs: no retry, slot or timeout. robots.txt is the archived one, and
asked only of a URL the archive lacks: what it holds was allowed when it was fetched, and a
page the crawl was refused is refused again for that reason, not as missing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import replace
from types import TracebackType
from urllib.parse import urljoin

from ingest.domain import utc_now
from ingest.errors import FetchError, PermanentFetchError, TransientFetchError
from ingest.fetch.hosts import Hosts
from ingest.fetch.inflate import CappedBody, every_value, inflater
from ingest.fetch.page import Capture, FetchStats, Page
from ingest.fetch.politeness import HostSlot
from ingest.fetch.redirects import SiteScope, redirect_target, refuse_unfit
from ingest.fetch.retry import Retry, status_error
from ingest.fetch.robots import RobotsFile, RobotsPolicy
from ingest.fetch.transport import AiohttpTransport, Archive, Transport
from ingest.logs import get_logger
from ingest.settings import HttpSettings, SiteSettings

log = get_logger("ingest.fetch")

# RFC 9309 2.3.1.2: robots.txt's redirects are followed, at least five, to any authority...
ROBOTS_MAX_REDIRECTS = 5
# ...and 2.5: at least its first 500 KiB parsed; the rest of a larger file is not read.
ROBOTS_MAX_BYTES = 500 * 1024


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
        capture: Capture | None = None,
    ) -> None:
        self._site = site
        self._http = http
        self._hosts = hosts if hosts is not None else Hosts()
        self._owns_transport = transport is None
        self._transport: Transport = transport if transport is not None else make_transport(http)
        self._archive = transport if isinstance(transport, Archive) else None
        self._capture = capture
        self._headers = {
            "User-Agent": http.user_agent,
            "Accept": "text/html,*/*;q=0.5",
            "Accept-Encoding": "gzip, deflate",
        }
        self._scope = SiteScope(site)
        self._slot = self._hosts.slot(site.host, http)
        # What a request holds while it is under way, and how long it may take: nothing and
        # no limit when nothing reaches the site.
        self._request_slot: HostSlot | _NoSlot = _NoSlot() if self._archive else self._slot
        self._timeout = None if self._archive else http.timeout_seconds
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
    def concurrency(self) -> int:
        """Requests in flight at most, on the host (shared with its other sites)."""
        return self._slot.concurrency

    def is_on_site(self, url: str) -> bool:
        return self._scope.contains(url)

    def has_archived(self, url: str) -> bool:
        """True when the archive being replayed (``ingest reparse``) holds the page: reading
        it again costs no request."""
        return self._archive is not None and self._archive.holds(url)

    def may_fetch(self, url: str) -> bool:
        """True when the URL is on the site and robots.txt allows it (or the archive being
        replayed holds it)."""
        return self._scope.contains(url) and self._allows(url)

    def _allows(self, url: str) -> bool:
        # The archive first: a dict lookup, and it holds nearly every page a reparse asks for.
        return self.has_archived(url) or self._robots.allows(url)

    async def load_robots(self) -> None:
        """Read robots.txt once for the origin's runs under way; a missing file allows
        everything, an unreachable or unreadable one nothing.

        Its ``Crawl-delay`` for our agent, capped at ``max_crawl_delay_seconds`` (a warning
        says so, once in the process for a file and ceiling), then paces every request to
        the host if slower than ``requests_per_second``.
        """
        if not self._site.respect_robots_txt or self._robots_url is not None:
            return
        url = urljoin(self._site.base_url, "/robots.txt")
        if self._archive is not None:
            await self._archive.open()
            if not self._archive.holds(url):
                return  # the crawls it kept read none: everything allowed, as it was to them
        self._robots_url = url
        found = await self._hosts.robots(url, lambda: self._read_robots(url))
        # Off the event loop: compiling 500 KiB of rules takes 50-100 ms, which every other
        # site of the process would wait out.
        self._robots = await asyncio.to_thread(found.policy, self._http.user_agent)
        if self._archive is not None:
            return  # nothing goes to the site: its Crawl-delay paces nothing
        delay = self._robots.crawl_delay
        ceiling = self._http.max_crawl_delay_seconds
        if delay is not None and delay > ceiling:
            if self._hosts.first_notice("crawl_delay_capped", url, delay, ceiling):
                log.warning(
                    "robots_crawl_delay_capped",
                    url=url,
                    seconds=delay,
                    max_crawl_delay_seconds=ceiling,
                )
            delay = ceiling or None
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
            page = await self._get(url, "robots", self._headers, missing_ok=False, robots=True)
        except PermanentFetchError as exc:
            if exc.status is not None and 300 <= exc.status < 500:
                # RFC 9309: a 4xx robots.txt means no restrictions; so may more than five
                # redirects (the error carries the last one's 3xx).
                log.info("robots_missing", url=url, status=exc.status, reason=str(exc))
                return RobotsFile()
            # A file we cannot read (a coding we do not decode, a redirect to a URL with user
            # info) may hold "Disallow: /": allowed nothing, as if unreachable.
            return self._unreachable_robots(url, exc)
        except TransientFetchError as exc:
            # RFC 9309: an unreachable robots.txt means crawling nothing.
            return self._unreachable_robots(url, exc)
        body = page.body
        truncated = len(body) >= ROBOTS_MAX_BYTES
        if truncated:
            body = body[: body.rfind(b"\n") + 1]  # a line cut in two is not a rule
            log.warning("robots_truncated", url=url, bytes_read=ROBOTS_MAX_BYTES)
        text = replace(page, body=body).text
        log.debug("robots_loaded", url=url, final_url=page.url, bytes=len(body))  # once a run
        return RobotsFile.parse(text)

    @staticmethod
    def _unreachable_robots(url: str, exc: FetchError) -> RobotsFile:
        found = RobotsFile(unreachable=str(exc))
        log.error("robots_unreachable", url=url, reason=found.policy("").unreachable_reason)
        return found

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
        return await self._get(url, kind, sent, missing_ok=missing_ok, robots=False)

    async def _get(
        self, url: str, kind: str, sent: Mapping[str, str], *, missing_ok: bool, robots: bool
    ) -> Page:
        try:
            if self._archive is not None:  # an answer kept is the same answer on a retry
                return await self._attempt(url, kind, 1, sent, missing_ok, robots)
            return await self._retry.call(
                lambda attempt: self._attempt(url, kind, attempt, sent, missing_ok, robots)
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
        self,
        url: str,
        kind: str,
        attempt: int,
        headers: Mapping[str, str],
        missing_ok: bool,
        robots: bool,
    ) -> Page:
        """One attempt: the request and the redirects it leads to. A page's redirects stay on
        the site and robots.txt allows each; robots.txt's own may go anywhere (http(s), no
        user info), five at most, and its body is cut at ``ROBOTS_MAX_BYTES``."""
        current = url
        hops = ROBOTS_MAX_REDIRECTS if robots else self._http.max_redirects
        for _ in range(hops + 1):
            if robots:
                current = refuse_unfit(current, original=url)
            else:
                current = self._scope.admit(current, original=url)
                if not self._allows(current):
                    raise PermanentFetchError(self._robots.refusal(current), url=url)
            async with self._request_slot:
                started = time.perf_counter()
                answer = await self._request(current, headers, robots)
                status, response_headers, body, raw, cut = answer
                elapsed = time.perf_counter() - started
            kept = None
            if self._capture is not None:
                kept = self._capture.response(
                    current, headers, status, response_headers.items(), raw, utc_now(), cut
                )
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
                    kept=kept,
                )
            raise status_error(status, url, response_headers)
        raise PermanentFetchError(f"more than {hops} redirects", url=url, status=status)

    async def _request(
        self, url: str, headers: Mapping[str, str], robots: bool
    ) -> tuple[int, Mapping[str, str], bytes, bytes, bool]:
        """One GET: status, headers, the body inflated, its bytes as they arrived, and whether
        they were cut short; a page's
        refused past ``max_body_bytes``, robots.txt's cut at ``ROBOTS_MAX_BYTES`` (the rest
        never read, and the archive's record says it was cut: ``WARC-Truncated``)."""
        cap = ROBOTS_MAX_BYTES if robots else self._http.max_body_bytes
        try:
            async with asyncio.timeout(self._timeout):
                answer = await self._transport.get(url, headers)
                try:
                    status, answer_headers = answer.status, answer.headers
                    declared = answer_headers.get("content-length", "")
                    whole = declared.isdigit() and int(declared) <= cap
                    if declared.isdigit() and not whole and not robots:
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
                        keep_prefix=robots,
                        keep_raw=self._capture is not None,
                    )
                    # A length declared under the cap (checked above) is read in one piece.
                    if whole:
                        body.take(await answer.read())
                    else:
                        async for raw in answer.chunks():
                            body.take(raw)
                            if body.full:
                                break
                    joined = body.joined()
                    return status, answer_headers, joined, body.raw(joined), body.full
                finally:
                    answer.release()
        except TimeoutError as exc:
            raise TransientFetchError(
                f"timed out after {self._http.timeout_seconds:g}s", url=url
            ) from exc


class _NoSlot:
    """The slot of requests that reach no site: never full, no pace."""

    __slots__ = ()

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *_exc_info: object) -> None:
        return None
