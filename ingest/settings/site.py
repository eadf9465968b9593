"""A site's settings tables: its politeness limits (``[http]``, ``[sites.http]``), its schedule,
its layouts over time, and the site itself (``[site]`` / ``[[sites]]``)."""

from __future__ import annotations

import zoneinfo
from datetime import date, timedelta
from urllib.parse import urlsplit

import msgspec

from ingest import __version__
from ingest.settings.base import (
    LayoutName,
    NonNegative,
    NonNegativeFloat,
    Positive,
    PositiveFloat,
)
from ingest.settings.base import Table as _Table
from ingest.settings.values import Cron, Duration, ProxyUrl, SiteUrl
from ingest.sites import SiteShape, default_listing_path

PROJECT_URL = "https://github.com/etilaf-ingest/ingest"


class HttpSettings(_Table, frozen=True):
    """Politeness limits and HTTP behaviour: ``[http]`` for every site, ``[sites.http]`` for one
    site's own (any key of ``[http]``). Sites on one host share the strictest of their limits
    (docs/architecture.md, "What it fetches")."""

    # Sent with every request; its first word is the product token robots.txt groups are
    # matched against.
    user_agent: str = f"etilaf-ingest/{__version__} (+{PROJECT_URL})"
    # Per attempt, the whole response included.
    timeout_seconds: PositiveFloat = 30.0
    # Requests in flight to the site, at most (listing and article pages together); a run works
    # on twice as many dates at once, so that dates waiting for their CPU turn leave no request
    # slot idle, whatever the rate (docs/performance.md).
    concurrency: Positive = 4
    # Sustained request rate to the site, at most; ``0`` = unlimited.
    requests_per_second: NonNegativeFloat = 2.0
    # Per page, the first try included.
    max_attempts: Positive = 5
    # Exponential backoff with full jitter between attempts: the first wait, up to
    # ``backoff_max_seconds``.
    backoff_initial_seconds: NonNegativeFloat = 1.0
    # The longest wait between two attempts.
    backoff_max_seconds: NonNegativeFloat = 60.0
    # A server's ``Retry-After`` is honoured up to this.
    max_retry_after_seconds: NonNegativeFloat = 300.0
    # Larger responses are refused (not retried); a gzip or deflate body is inflated in 64 KiB
    # steps and refused as soon as it passes the cap, so a compressed bomb costs about the cap
    # in memory.
    max_body_bytes: Positive = 10 * 1024 * 1024
    # Redirects are followed only within the site: its origin, scheme, host and port
    # (docs/architecture.md, "What it fetches").
    max_redirects: NonNegative = 5
    # A robots.txt ``Crawl-delay`` longer than this is cut to it, with a
    # ``robots_crawl_delay_capped`` warning (once in the process); ``0``: ``Crawl-delay`` is not
    # obeyed at all.
    max_crawl_delay_seconds: NonNegativeFloat = 60.0
    # ``"http://proxy.internal:3128"``: every request goes through this HTTP(S) proxy. The
    # environment's ``HTTP(S)_PROXY`` variables are not read: like every setting, it is named
    # in the config file. A request's error never shows its password; a ``/``, ``?`` or ``#``
    # in its user or password must be percent-encoded (``%2F``, ``%3F``, ``%23``).
    proxy: ProxyUrl | None = None


class SiteSchedule(_Table, frozen=True):
    """A site's own schedule: the top-level ``[schedule]`` values unless it overrides them."""

    # How often the daemon crawls the site.
    interval: Duration = Duration(minutes=30)
    # A crontab line (``"*/30 * * * *"``, in the site's time zone) instead of ``interval``;
    # setting both is an error.
    cron: Cron | None = None
    # The incremental window: today - lookback_days ... today, in the site's calendar.
    lookback_days: NonNegative = 3


class LayoutPeriod(_Table, frozen=True):
    """One of a site's layouts over time, ``[[sites.layouts]]`` (``[[site.layouts]]`` for a
    single site): the site's markup until a date, as when a site moved from Joomla + K2 to
    WordPress. In date order; every one but the last has ``until``. The crawl and ``reparse``
    read each day with its own."""

    # The markup parser for these days (docs/layouts.md).
    layout: LayoutName
    # As the site's ``listing_path``, for these days; unset: the layout's own.
    listing_path: str | None = None
    # As the site's ``selectors``, for layout ``selectors``.
    selectors: dict[str, str | bool] = msgspec.field(default_factory=dict)
    # The last day (inclusive, in the site's calendar) this layout reads; unset on the last.
    until: date | None = None


class SiteSettings(_Table, frozen=True):
    """One site as the crawl sees it: its own markup, politeness limits and schedule.

    One ``[site]`` table, or an array of ``[[sites]]`` tables (not both); in ``[[sites]]``,
    ``name`` and ``base_url`` are required and names are unique."""

    # Stored on every article, run and crawl state.
    name: str = "etilaf"
    # Only this origin (scheme, host and port; http:80 and https:443 of the host are one) is
    # ever requested.
    base_url: SiteUrl = SiteUrl("https://en.etilaf.org")
    # Unset: the layout's own (``wordpress``: ``"/{year}/{month:02d}/{day:02d}/"``; ``k2``:
    # ``"/date/{year}/{month}/{day}.html"``; ``wordpress-api``: the endpoint,
    # ``"/wp-json/wp/v2/posts"``; ``sitemap``: the sitemap or index the run starts from,
    # ``"/sitemap.xml"``). ``str.format`` with ``year``, ``month``, ``day`` (ints) and
    # ``date`` (a ``datetime.date``); it may carry a query such as ``?cat=16``. The
    # ``selectors`` layout has no default, so its sites must give one.
    listing_path: str | None = None
    # The site's calendar; article times without an offset are read in it.
    timezone: zoneinfo.ZoneInfo = zoneinfo.ZoneInfo("Asia/Damascus")
    # The markup parser (docs/layouts.md). The real site moved from Joomla + K2 to WordPress.
    layout: LayoutName = "wordpress"
    # Fetch each new or changed article's page for the full body and time.
    fetch_article_pages: bool = True
    # Read robots.txt once per run and obey it.
    respect_robots_txt: bool = True
    # Read the site's feed (RSS or Atom) before the listing of a date already complete, in
    # every crawl but a forced one: a date the feed shows nothing new on is not read again
    # (docs/layouts.md, "The feed first"). Listings still decide a date's completeness.
    feed: bool = False
    # Where the feed is, on the site (WordPress: ``"/feed/"``).
    feed_path: str = "/feed/"
    # Compare each crawled day's listing with what the site's other sources place on that day:
    # its sitemaps (``sitemap_path``), its feed (with ``feed = true``) and, for a ``wordpress``
    # site, its REST API. An article they name and the listing lacks is fetched and stored,
    # marked with its source, and the day is shown "listing incomplete" (docs/layouts.md,
    # "The cross-check"). Costs requests: the sitemaps and the feed once a run, the REST API
    # once a day, and each article found; ``ingest add`` checks its day this way whatever
    # this says.
    cross_check: bool = False
    # The sitemap or sitemap index the cross-check reads (``"/sitemap_index.xml"``,
    # WordPress core's ``"/wp-sitemap.xml"``); unset: no sitemap is read.
    sitemap_path: str | None = None
    # The ``selectors`` layout's table, ``[site.selectors]`` or ``[sites.selectors]``: CSS
    # selectors by key (``item``, ``title``, ...), and ``missing_day_is_empty`` (a boolean);
    # every key in docs/layouts.md. The ``sitemap`` layout reads its ``article_*`` keys.
    selectors: dict[str, str | bool] = msgspec.field(default_factory=dict)
    # This site's own politeness limits, ``[sites.http]``: any ``[http]`` key, for this site;
    # a key it leaves out keeps the top-level ``[http]`` value.
    http: HttpSettings = msgspec.field(default_factory=HttpSettings)
    # This site's own schedule, ``[sites.schedule]``.
    schedule: SiteSchedule = msgspec.field(default_factory=SiteSchedule)
    # The site's layouts over time, ``[[sites.layouts]]``, in place of ``layout``,
    # ``listing_path`` and ``selectors`` (which then say the last, current one): one site
    # name, one archive, across a change of CMS.
    layouts: tuple[LayoutPeriod, ...] = ()

    @property
    def host(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()

    @property
    def shape(self) -> SiteShape:
        """What the site's layout is built from (``ingest.sites.build_layout``): the crawl
        and ``inspect`` build it; the settings only check, at load, that it builds."""
        return self.shape_of(self.layout, self.listing_path, self.selectors)

    def periods(self) -> tuple[tuple[date | None, LayoutName, SiteShape], ...]:
        """Each layout with the last day it reads (None: every later day) and its shape; one,
        the site's own, without ``[[sites.layouts]]``."""
        if not self.layouts:
            return ((None, self.layout, self.shape),)
        return tuple(
            (p.until, p.layout, self.shape_of(p.layout, p.listing_path, p.selectors))
            for p in self.layouts
        )

    @property
    def current_layout_since(self) -> date | None:
        """The first day the site's current layout reads (the day after the last ``until``);
        None when one layout reads every day. Health judges a site within it: a field the
        layout before filled is no drift of this one."""
        ends = [p.until for p in self.layouts if p.until is not None]
        return max(ends) + timedelta(days=1) if ends else None

    def layout_on(self, day: date) -> tuple[LayoutName, SiteShape]:
        """The layout that reads ``day``, and its shape."""
        for until, layout, shape in self.periods():
            if until is None or day <= until:
                return layout, shape
        return self.layout, self.shape  # past every period's end: the current one

    def shape_of(
        self, layout: str, listing_path: str | None, selectors: dict[str, str | bool]
    ) -> SiteShape:
        """What ``layout`` is built from with this listing path and selectors on this site."""
        path = listing_path or default_listing_path(layout) or ""
        return SiteShape(self.base_url, path, self.timezone, dict(selectors))
