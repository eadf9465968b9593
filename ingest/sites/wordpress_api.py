"""The WordPress REST API layout: a day's posts from ``/wp-json/wp/v2/posts``, full text included.

One request per 100 posts, no article pages: ``content.rendered`` is the whole post. Pages are
counted by the ``X-WP-TotalPages`` header. ``after`` and ``before`` are exclusive and compare
with the post's local ``date``; WordPress reads them in the site's zone, so a ``before`` at a
local midnight that does not exist (summer time starting at 00:00) moves to 01:00 and the next
day's first posts come back too. Each post is therefore filed under its own ``date``'s day
(``item_day_decides``), never under the day asked for.

The time of a post: WordPress formats ``date_gmt`` through the site's zone as if it were a
local time, so a UTC time that falls in the zone's spring-forward gap comes out one gap later;
``date`` is exact. See ``published_at``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ingest.errors import ParseError
from ingest.sites.base import (
    ArticlePage,
    LinkResolver,
    ListingItem,
    ListingPage,
    Markup,
    SiteShape,
    check_depth,
)
from ingest.text import join_paragraphs, paragraphs_of_html, plain_text

DEFAULT_LISTING_PATH = "/wp-json/wp/v2/posts"
# A site whose REST API is off or behind a login (401, 403: rest_disabled, rest_forbidden,
# rest_not_logged_in), or that has none (404), still serves its date archives.
_UNAVAILABLE = frozenset({401, 403, 404})
PER_PAGE = 100  # the API's maximum
# Kept readable in URLs and logs: the API reads them either way.
_SAFE = ":/"


def listing_url(endpoint: str, day: date) -> str:
    """The first page of ``day``'s posts, newest first, with their categories embedded.

    Newest first as the date archive and K2 list them: the crawl keeps the first item of a
    story posted twice on a day, so every layout stores the same copy of it.

    ``after`` the last second of the previous day and ``before`` the next midnight, both
    exclusive: a post at 00:00:00 is the day's, one at the next midnight is not.
    """
    query = {
        "after": f"{day - timedelta(days=1)}T23:59:59",
        "before": f"{day + timedelta(days=1)}T00:00:00",
        "per_page": str(PER_PAGE),
        "page": "1",
        "orderby": "date",
        "order": "desc",
        "_embed": "wp:term",
    }
    separator = "&" if "?" in endpoint else "?"
    return endpoint + separator + urlencode(query, safe=_SAFE)


def refusal(status: int) -> str | None:
    """The one line for a listing request refused with ``status`` when it means the API is
    not there for us, naming the fix; None for another status."""
    if status not in _UNAVAILABLE:
        return None
    return (
        f"the WordPress REST API is not available here (HTTP {status}): "
        'use layout = "wordpress" to read the archive pages'
    )


def parse_listing(markup: Markup, url: str, headers: Mapping[str, str], tz: tzinfo) -> ListingPage:
    """One page of the posts endpoint's JSON; the next page while ``X-WP-TotalPages`` says so.
    ``tz`` is the site's zone, which WordPress formats the post times in."""
    posts = _json(markup, url)
    if not isinstance(posts, list):
        raise ParseError(f"{url}: expected a JSON array of posts, got {type(posts).__name__}")
    resolve = LinkResolver(url)
    items: list[ListingItem] = []
    skipped = 0
    for post in posts:
        item = _item(post, resolve, tz)
        if item is None:
            skipped += 1
        else:
            items.append(item)
    return ListingPage(
        url=url, items=tuple(items), next_url=_next_url(url, headers), skipped_items=skipped
    )


def parse_article(markup: Markup, url: str, tz: tzinfo) -> ArticlePage:
    """One post's JSON (``/wp-json/wp/v2/posts/<id>``). The crawl never asks for it, since the
    listing carries the full text; it serves ``inspect`` and tests."""
    post = _json(markup, url)
    item = _item(post, LinkResolver(url), tz)
    if item is None:
        raise ParseError(f"{url}: expected a post object with a title and a link")
    return ArticlePage(
        url=url,
        title=item.title,
        body=item.text,
        published_at=item.published_at,
        category=item.category,
    )


def _json(markup: Markup, url: str) -> Any:
    """The decoded body; ParseError naming the API's error code when it answered one."""
    if isinstance(markup, str):
        markup = markup.removeprefix("\ufeff")  # a plugin file saved with a BOM prints one
    try:
        data = json.loads(markup)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"{url}: not JSON: {exc}") from None
    except RecursionError:
        raise ParseError(f"{url}: JSON nested too deeply to read") from None
    if isinstance(data, dict) and "code" in data and "id" not in data:
        message = data.get("message")
        detail = f": {plain_text(message)}" if isinstance(message, str) and message else ""
        raise ParseError(f"{url}: the API answered error {data['code']!r}{detail}")
    return data


def _paragraphs(fragment: str, url: str) -> list[str]:
    """A rendered field's paragraphs; ParseError for one nested too deeply to parse."""
    check_depth(fragment, url)
    return paragraphs_of_html(fragment)


def _item(post: Any, resolve: LinkResolver, tz: tzinfo) -> ListingItem | None:
    """A post object as an item; None when it lacks a title or a usable link."""
    if not isinstance(post, dict):
        return None
    title = plain_text(_rendered(post.get("title")))
    link = post.get("link")
    url = resolve(link.strip()) if isinstance(link, str) and link.strip() else None
    if not title or not url:
        return None
    content = post.get("content")
    protected = isinstance(content, dict) and content.get("protected") is True
    text = "" if protected else join_paragraphs(_paragraphs(_rendered(content), url))
    full_text = bool(text)
    if not text:  # password-protected or empty: the excerpt is all there is
        text = join_paragraphs(_paragraphs(_rendered(post.get("excerpt")), url))
    local = _moment(post.get("date"))
    return ListingItem(
        title=title,
        url=url,
        category=_categories(post),
        text=text,
        day=local.date() if local is not None else None,
        published_at=published_at(local, _moment(post.get("date_gmt")), tz),
        full_text=full_text,
    )


def _rendered(field: Any) -> str:
    if isinstance(field, dict):
        rendered = field.get("rendered")
        return rendered if isinstance(rendered, str) else ""
    return ""


def _moment(value: Any) -> datetime | None:
    """A post's ``date`` or ``date_gmt``: ISO 8601 without offset (None for a draft's gmt)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def published_at(local: datetime | None, gmt: datetime | None, tz: tzinfo) -> datetime | None:
    """The post's instant (UTC) from its ``date`` and ``date_gmt`` as the API prints them, in a
    site whose zone is ``tz``.

    ``date_gmt``, except where it is what WordPress's own formatting makes of the instant that
    ``date`` names: the API prints ``date_gmt`` through ``mysql2date()``, which reads the UTC
    time as a wall time in the site's zone, and a wall time inside the zone's spring-forward
    gap comes out one gap later. Then that instant is the post's. ``date`` is read as WordPress
    reads a local time (``wall_time``). Held against WordPress's own ``post_date_gmt`` across
    both changes of summer time (the real-WordPress tests).
    """
    gmt_utc = None if gmt is None else gmt.replace(tzinfo=UTC) if gmt.tzinfo is None else gmt
    if local is None:
        return gmt_utc
    named = local.astimezone(UTC) if local.tzinfo is not None else wall_time(local, tz)
    instant = named.astimezone(UTC)
    if gmt_utc is None:
        return instant
    if instant != gmt_utc and _in_gap(instant.replace(tzinfo=None), tz):
        # As mysql2date() prints it: the gap's wall time read in the zone, shown again.
        printed = wall_time(instant.replace(tzinfo=None), tz).astimezone(UTC).astimezone(tz)
        if printed.replace(tzinfo=None) == gmt_utc.replace(tzinfo=None):
            return instant
    return gmt_utc.astimezone(UTC)


def _in_gap(naive: datetime, tz: tzinfo) -> bool:
    """True when the wall time ``naive`` never happened in ``tz`` (a spring-forward gap)."""
    first = naive.replace(tzinfo=tz, fold=0)
    return first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive


def wall_time(naive: datetime, tz: tzinfo) -> datetime:
    """A local wall time in ``tz`` as PHP's DateTime (WordPress) reads it: one inside a gap
    moves forward by the gap (fold 0 keeps the offset before the change), one that happens
    twice is the later (fold 1)."""
    if _in_gap(naive, tz):
        return naive.replace(tzinfo=tz, fold=0)
    return naive.replace(tzinfo=tz, fold=1)


def _categories(post: dict[str, Any]) -> str | None:
    """Category names from ``_embedded["wp:term"]`` (lists of terms, one per taxonomy)."""
    embedded = post.get("_embedded")
    groups = embedded.get("wp:term") if isinstance(embedded, dict) else None
    if not isinstance(groups, list):
        return None
    names: dict[str, None] = {}
    for group in groups:
        if not isinstance(group, list):
            continue
        for term in group:
            if isinstance(term, dict) and term.get("taxonomy") == "category":
                name = term.get("name")
                if isinstance(name, str) and (text := plain_text(name)):
                    names[text] = None
    return ", ".join(names) or None


def _next_url(url: str, headers: Mapping[str, str]) -> str | None:
    total_header = headers.get("x-wp-totalpages")
    if total_header is None:
        return None
    try:
        total = int(total_header.strip())
    except ValueError:
        raise ParseError(f"{url}: X-WP-TotalPages is not a number: {total_header!r}") from None
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    pages = [value for key, value in query if key == "page"]
    try:
        page = int(pages[-1]) if pages else 1
    except ValueError:
        raise ParseError(f"{url}: the page parameter is not a number") from None
    if page >= total:
        return None
    following = str(page + 1)
    if pages:
        query = [(key, following if key == "page" else value) for key, value in query]
    else:
        query.append(("page", following))
    return urlunsplit(parts._replace(query=urlencode(query, safe=_SAFE)))


def index_url(base_url: str, endpoint_path: str) -> str | None:
    """The API's index (``/wp-json/``) for a posts endpoint under ``/wp/v2/``; else None."""
    root, found, _ = endpoint_path.partition("/wp/v2/")
    if not found or "?" in root:
        return None
    return base_url.rstrip("/") + root + "/"


def check_index(markup: Markup, url: str, tz: tzinfo) -> str | None:
    """One line when the API's index names another time zone than ``tz`` (the configured one):
    WordPress prints post times in its own zone, and the day of a post is its local date."""
    try:
        index = _json(markup, url)
    except ParseError:
        return None  # not an index: nothing to hold the configuration against
    if not isinstance(index, dict):
        return None
    configured = getattr(tz, "key", None) or str(tz)
    zone = index.get("timezone_string")
    if isinstance(zone, str) and zone:
        if zone == configured:
            return None
        return (
            f"the site's own time zone is {zone!r} (its REST API index), the configuration "
            f"says {configured!r}: post times are read in {configured!r}; "
            f"set site.timezone = {zone!r} if the site is right"
        )
    offset = index.get("gmt_offset")
    if isinstance(offset, int | float) and not isinstance(offset, bool):
        hours = f"{offset:+g}"
        return (
            f"the site keeps a fixed offset of UTC{hours} (its REST API index), not a time "
            f"zone; the configuration says {configured!r}: check that {configured!r} keeps "
            "the same offset on every date of the archive"
        )
    return None


@dataclass(frozen=True, slots=True)
class WordPressApiLayout:
    """The WordPress REST API layout bound to one site."""

    shape: SiteShape
    fetches_article_pages: bool = False
    reads_missing_day: bool = False
    item_day_decides: bool = True
    accept: str = "application/json"

    @property
    def index_url(self) -> str | None:
        return index_url(self.shape.base_url, self.shape.listing_path)

    def listing_url(self, day: date) -> str:
        return listing_url(self.shape.base_url.rstrip("/") + self.shape.listing_path, day)

    def parse_listing(self, markup: Markup, url: str, headers: Mapping[str, str]) -> ListingPage:
        return parse_listing(markup, url, headers, self.shape.tz)

    def parse_article(self, markup: Markup, url: str) -> ArticlePage:
        return parse_article(markup, url, self.shape.tz)

    def refusal(self, status: int) -> str | None:
        return refusal(status)

    def missing_day(self, markup: Markup, url: str) -> ListingPage:
        raise ParseError(f"{url}: HTTP 404 for the day's posts")

    def check_index(self, markup: Markup, url: str) -> str | None:
        return check_index(markup, url, self.shape.tz)


def build(shape: SiteShape) -> WordPressApiLayout:
    """Checks that ``listing_path`` is an endpoint path: it does not name the day."""
    path = shape.listing_path
    if not path.startswith("/"):
        raise ValueError(f"listing_path must start with '/', not {path!r}")
    if "{" in path or "}" in path or "#" in path:
        raise ValueError(
            f"listing_path is the REST endpoint (such as {DEFAULT_LISTING_PATH!r}), "
            f"without {{fields}} or a fragment, not {path!r}"
        )
    return WordPressApiLayout(shape)
