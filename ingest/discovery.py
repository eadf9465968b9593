"""``ingest add``'s decisions, pure: what a site's answers say it is, which layouts may read it,
and the ``[[sites]]`` block that says so, a comment on each choice.

Answers in (robots.txt's text, the home page, the REST API's index and posts, a sitemap),
findings and TOML text out; no request, clock or global here. ``ingest/adding.py`` asks the
site, in as few requests as it can, and checks the chosen layout on a recent day.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from ingest.errors import ParseError
from ingest.sites import LAYOUTS, ListingItem, Markup, default_listing_path
from ingest.sites.base import html_tree

# Where sites keep a sitemap when robots.txt names none: WordPress core's (5.5+), then the
# common names (Yoast and most generators).
SITEMAP_PATHS = ("/wp-sitemap.xml", "/sitemap.xml", "/sitemap_index.xml")
# K2's advanced SEF date listing (the real site's), then its non-SEF form, which every K2 has.
K2_PATHS = (
    "/date/{year}/{month}/{day}.html",
    "/index.php?option=com_k2&view=itemlist&task=date&year={year}&month={month}&day={day}",
)
API_REL = "https://api.w.org/"
NEWS_NAMESPACE = "http://www.google.com/schemas/sitemap-news/0.9"
_LINK_VALUE = re.compile(r"<([^>]*)>\s*((?:;[^,<]*)*)")
_OFFSET = re.compile(r'datetime="\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?([+-]\d\d):?(\d\d)"')
_FEED_DATE = re.compile(r"<(pubDate|updated|published)>([^<]{6,60})</\1>")
_FEED_TYPES = {"application/rss+xml": "RSS", "application/atom+xml": "Atom"}
_K2_MARKS = "#k2Container, .genericItemView, .itemView, .k2ItemsBlock, .catItemView"


def site_address(url: str) -> tuple[str, str]:
    """The site's origin (``base_url``) and the page to start from; ValueError, one line,
    for what is no http(s) URL of a host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not a URL like https://news.example.org/")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{url!r} carries credentials: give the site's address without them")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r} has no valid port") from None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    base = f"{parts.scheme}://{host}{f':{port}' if port is not None else ''}"
    start = base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return base, start


def default_name(base_url: str) -> str:
    """A site name from its host: ``news-example-org`` for ``https://www.news.example.org``;
    a port other than the scheme's is kept (two sites on one loopback address differ)."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "site").removeprefix("www.")
    name = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "site"
    return f"{name}-{parts.port}" if parts.port is not None else name


def sitemaps_in_robots(text: str | None, base_url: str) -> tuple[str, ...]:
    """The ``Sitemap:`` lines of a robots.txt, in order, once each (a relative one resolved)."""
    found: list[str] = []
    for line in (text or "").splitlines():
        name, colon, value = line.partition("#")[0].partition(":")
        url = value.strip()
        if colon and name.strip().lower() in ("sitemap", "sitemaps", "site-map") and url:
            url = urljoin(base_url + "/", url)
            if url not in found:
                found.append(url)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Feed:
    url: str
    kind: str  # "RSS" or "Atom"


@dataclass(frozen=True, slots=True)
class HomeSignals:
    """What the first page says of the software behind the site."""

    api_root: str | None  # the WordPress REST API's root, from the Link header or <link>
    generator: str | None
    wordpress: bool
    joomla: bool
    k2: bool
    feeds: tuple[Feed, ...]
    offset: str | None  # the first <time datetime>'s UTC offset, "+02:00"


def read_home(markup: Markup, url: str, headers: Mapping[str, str]) -> HomeSignals:
    """The software's marks on a page: WordPress's REST API link (``Link: <…/wp-json/>;
    rel="https://api.w.org/"``, also printed in the head), the generator, K2's markup and
    assets, the feeds the head announces (comment feeds left out: not articles)."""
    api_root = _api_link(_header_values(headers, "link"), url)
    try:
        tree = html_tree(markup, url)
    except ParseError:
        tree = None
    generator = None
    feeds: list[Feed] = []
    assets = ""
    k2 = False
    if tree is not None:
        meta = tree.css_first("meta[name=generator]")
        generator = (meta.attributes.get("content") or None) if meta is not None else None
        for node in tree.css("link[rel]"):
            rel = (node.attributes.get("rel") or "").lower().split()
            href = node.attributes.get("href") or ""
            if API_REL in rel and api_root is None and href:
                api_root = urljoin(url, href)
            kind = _FEED_TYPES.get((node.attributes.get("type") or "").lower().split(";")[0])
            if "alternate" in rel and kind and href and "/comments/feed" not in href:
                feeds.append(Feed(urljoin(url, href), kind))
        assets = " ".join(
            (node.attributes.get("href") or node.attributes.get("src") or "")
            for node in tree.css("link[href], script[src], img[src]")
        )
        k2 = tree.css_first(_K2_MARKS) is not None
    text = markup.decode("utf-8", "replace") if isinstance(markup, bytes) else markup
    offset = _OFFSET.search(text)
    wordpress = (
        api_root is not None
        or (generator or "").lower().startswith("wordpress")
        or "/wp-content/" in assets
        or "/wp-includes/" in assets
    )
    return HomeSignals(
        api_root=api_root,
        generator=generator,
        wordpress=wordpress,
        joomla="joomla" in (generator or "").lower(),
        k2=k2 or "com_k2" in assets,
        feeds=tuple(dict.fromkeys(feeds)),
        offset=f"{offset.group(1)}:{offset.group(2)}" if offset else None,
    )


def _header_values(headers: Mapping[str, str], name: str) -> str:
    getall = getattr(headers, "getall", None)  # aiohttp's multidict: every Link header
    if getall is not None:
        values: list[str] = getall(name, [])
        return ", ".join(values)
    return headers.get(name, "")


def _api_link(value: str, url: str) -> str | None:
    for match in _LINK_VALUE.finditer(value):
        params = match.group(2).lower().replace(" ", "")
        if f'rel="{API_REL}"' in params or f"rel={API_REL}" in params:
            root: str = urljoin(url, match.group(1).strip())
            return root
    return None


def posts_endpoint(api_root: str) -> str:
    """``/wp-json/wp/v2/posts``; ``/?rest_route=/wp/v2/posts`` without pretty permalinks."""
    return api_root.rstrip("/") + "/wp/v2/posts"


@dataclass(frozen=True, slots=True)
class Zone:
    name: str  # an IANA name for ``timezone``
    why: str  # the comment beside it


def zone_of_index(markup: Markup) -> Zone | None:
    """The site's zone as the REST API's index (``/wp-json/``) names it: ``timezone_string``,
    else its fixed ``gmt_offset`` as an ``Etc/GMT`` zone; None when it names neither."""
    try:
        index = json.loads(markup)
    except ValueError:
        return None
    if not isinstance(index, dict):
        return None
    name = index.get("timezone_string")
    if isinstance(name, str) and name and _known_zone(name):
        return Zone(name, "the site's own zone, from /wp-json/ (timezone_string)")
    offset = index.get("gmt_offset")
    if isinstance(offset, str):
        try:
            offset = float(offset)
        except ValueError:
            return None
    if isinstance(offset, int | float) and not isinstance(offset, bool):
        zone = offset_zone(float(offset))
        if zone is not None:
            return Zone(zone, f"the site keeps a fixed UTC{offset:+g} (/wp-json/ gmt_offset)")
    return None


def offset_zone(hours: float) -> str | None:
    """The IANA zone of a fixed whole-hour offset (``Etc/GMT-2`` is UTC+2: POSIX's sign)."""
    if hours == 0:
        return "UTC"
    if hours != int(hours) or not -12 <= hours <= 14:
        return None
    return f"Etc/GMT{-int(hours):+d}"


def offset_hours(offset: str) -> float:
    """``+05:30`` as hours."""
    sign = -1 if offset.startswith("-") else 1
    hours, _, minutes = offset[1:].partition(":")
    return sign * (int(hours) + int(minutes or 0) / 60)


def _known_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return False
    return True


def newest_post_day(markup: Markup) -> date | None:
    """The local day of the newest post the REST API returned (its ``date``); None when the
    answer holds no post."""
    try:
        posts = json.loads(markup)
    except ValueError:
        return None
    if not isinstance(posts, list) or not posts or not isinstance(posts[0], dict):
        return None
    return _iso_day(posts[0].get("date"))


def newest_listed_day(items: tuple[ListingItem, ...]) -> date | None:
    return max((item.day for item in items if item.day is not None), default=None)


def newest_feed_day(markup: Markup) -> date | None:
    """The newest day a feed's items carry (RSS ``pubDate``, Atom ``updated``/``published``),
    as the feed writes it."""
    text = markup.decode("utf-8", "replace") if isinstance(markup, bytes) else markup
    days: list[date] = []
    for tag, value in _FEED_DATE.findall(text[:1_000_000]):
        day = _rfc822_day(value) if tag == "pubDate" else _iso_day(value)
        if day is not None:
            days.append(day)
    return max(days) if days else None


def _iso_day(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _rfc822_day(value: str) -> date | None:
    try:
        return parsedate_to_datetime(value.strip()).date()
    except (TypeError, ValueError, IndexError):
        return None


def sitemap_kind(body: bytes) -> str | None:
    """What a sitemap answer is: ``"sitemap index"``, ``"news sitemap"`` (Google News),
    ``"URL sitemap"``, ``"gzip sitemap"``; None when it is none (a site's HTML 404 page
    answered with 200)."""
    if body[:2] == b"\x1f\x8b":
        return "gzip sitemap"
    head = body[:65536].decode("utf-8", "replace")
    if "<sitemapindex" in head:
        names_news = re.search(r"<loc>[^<]*news[^<]*</loc>", head, re.IGNORECASE)
        return "sitemap index, naming a news sitemap" if names_news else "sitemap index"
    if "<urlset" in head:
        return "news sitemap" if NEWS_NAMESPACE in head else "URL sitemap"
    return None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A layout that may read the site, with why, and the day its check reads."""

    layout: str
    why: tuple[str, ...]
    listing_path: str | None = None  # None: the layout's own
    day: date | None = None  # None: nothing to check (the selectors skeleton)
    selectors: dict[str, str | bool] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Findings:
    """Everything ``add`` learnt of the site; ``adding`` fills it, ``candidates`` decides."""

    base_url: str
    start_url: str
    today: date
    home: HomeSignals
    home_status: int
    api_status: int | None = None  # the posts route's answer; None: not asked
    newest_post: date | None = None  # from the REST API
    newest_listed: date | None = None  # from the home page or the feed
    zone: Zone | None = None
    sitemaps: tuple[tuple[str, str], ...] = ()  # (URL, what it is / where it was named)

    @property
    def api_root_path(self) -> str | None:
        """The REST API root's path (and query) on the site, ``/wp-json/``; None off it."""
        root = self.home.api_root
        if root is None or not root.startswith(self.base_url + "/"):
            return None
        return root[len(self.base_url) :].rstrip("/") + "/"


def candidates(found: Findings) -> list[Candidate]:
    """The layouts to check, in order; the first that reads its day is chosen. The last is
    always the ``selectors`` skeleton, which nothing checks."""
    home = found.home
    chosen: list[Candidate] = []
    recent = found.newest_post or found.newest_listed or found.today - timedelta(days=1)
    if home.wordpress:
        said = (
            f"WordPress: its pages link the REST API ({home.api_root})"
            if home.api_root
            else f"WordPress (generator {home.generator!r} or /wp-content/ assets)"
        )
        posts = f"{found.api_root_path or '/wp-json/'}wp/v2/posts"
        if found.api_status == 200 and found.newest_post is not None:
            why = (said, f"{posts} answers with posts: one request a day, no article page")
            path = _api_listing_path(found)
            chosen.append(Candidate("wordpress-api", why, path, recent))
        refused = (
            f"the REST API is refused (HTTP {found.api_status}): the date archives are read"
            if found.api_status not in (None, 200)
            else "the REST API gives no posts: the date archives are read"
        )
        chosen.append(Candidate("wordpress", (said, refused), None, recent))
    if home.k2 or home.joomla:
        said = "Joomla" + (" with K2" if home.k2 else "") + f" ({home.generator or 'its markup'})"
        for path in K2_PATHS:
            why = (said, f"K2's date listing: {path}")
            chosen.append(Candidate("k2", why, None if path == K2_PATHS[0] else path, recent))
    on_site = [url for url, _ in found.sitemaps if url.startswith(found.base_url + "/")]
    if on_site and "sitemap" in LAYOUTS:
        path = on_site[0][len(found.base_url) :]
        reason = f"no date archive read; its sitemaps ({path}) place the articles on days"
        sitemap_path = None if path == default_listing_path("sitemap") else path
        chosen.append(Candidate("sitemap", (reason,), sitemap_path, recent))
    chosen.append(skeleton())
    return chosen


def _api_listing_path(found: Findings) -> str | None:
    """The posts route as a ``listing_path`` when the API is not at ``/wp-json/``."""
    root = found.api_root_path
    if root is None or root == "/wp-json/":
        return None
    return root + "wp/v2/posts"


def skeleton() -> Candidate:
    """A site nothing placed: a ``selectors`` starting point for ``ingest inspect``."""
    return Candidate(
        "selectors",
        ("not placed: no WordPress, K2 or sitemap found; describe its day listing below",),
        "/{year}/{month:02d}/{day:02d}/",
        None,
        {"item": "article", "title": "h2 a", "next": "a[rel=next]"},
    )


def site_zone(found: Findings) -> Zone:
    """The ``timezone`` to propose: the REST API's, else a fixed offset the site's own
    ``<time datetime>`` shows, else UTC, each saying how sure it is."""
    if found.zone is not None:
        return found.zone
    offset = found.home.offset
    if offset is not None:
        zone = offset_zone(offset_hours(offset))
        if zone is not None:
            return Zone(
                zone,
                f"a fixed UTC{offset}, read from the times on its page; the site names no "
                "zone to us: put its own if it keeps summer time",
            )
    return Zone("UTC", "the site does not say its zone: set its own (times without an "
                "offset are read in it, and a day is a day of that calendar)")  # fmt: skip
