"""Domain values shared by the stages, and the clock they read; plain frozen dataclasses, no
ORM or HTTP imports."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum

from ingest.text import content_hash, without_nul

# The longest category the database holds (``articles.category``; a test holds them equal):
# a longer one from a site is cut, not a failed date.
CATEGORY_MAX_LENGTH = 200


def utc_now() -> datetime:
    """Now, aware, in UTC: every timestamp the crawl stores."""
    return datetime.now(UTC)


class RunKind(StrEnum):
    BACKFILL = "backfill"
    SCHEDULED = "scheduled"
    MANUAL = "manual"
    REPARSE = "reparse"  # the archive's pages read again, nothing requested


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    ABANDONED = "abandoned"


class DateStatus(StrEnum):
    COMPLETE = "complete"
    FAILED = "failed"


class BodySource(StrEnum):
    """Where an article's body came from: its own page is better than the listing excerpt."""

    LISTING = "listing"
    ARTICLE = "article"


class FoundBy(StrEnum):
    """Which source found an article: the day's listing (or the REST API a ``wordpress-api``
    site lists its days with), the sitemaps (the ``sitemap`` layout, or the cross-check),
    the feed, or the REST API asked by the cross-check of a WordPress HTML site."""

    LISTING = "listing"
    SITEMAP = "sitemap"
    FEED = "feed"
    REST = "rest"


@dataclass(frozen=True, slots=True)
class WarcLocation:
    """Where a response lies: the file (a name under ``archive.dir``), the offset of its
    record's gzip member, and its WARC-Record-ID."""

    file: str
    offset: int
    record_id: str


@dataclass(frozen=True, slots=True)
class Captured:
    """An answer as the archive kept it: where its payload lies (for an answer identical to
    the URL's capture before, where that one lies), and what identifies the payload, so the
    next capture of the URL can say "the same" instead of keeping a copy."""

    url: str
    status: int
    payload_digest: str  # "sha1:" and base 32, as WARC-Payload-Digest; "" for a 304
    date: str  # the WARC-Date of the record that holds the payload
    location: WarcLocation


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """One deduplicated article of one day, ready to store."""

    site: str
    date: date
    title: str
    title_key: str
    url: str
    category: str | None
    body: str
    body_source: BodySource
    listing_hash: str
    published_at: datetime | None
    # Where the page its body was read from lies in the WARC archive (the article page, else
    # the listing page); not part of the content: a new capture of the same text is no edit.
    warc: WarcLocation | None = None
    # Which source found it; kept as first stored (an update never changes it).
    found_by: FoundBy = FoundBy.LISTING
    content_hash: str = field(init=False)

    def __post_init__(self) -> None:
        # Site text as every engine can store it: no NUL, a category within its column.
        for name in ("title", "title_key", "url", "body"):
            value = getattr(self, name)
            if "\x00" in value:
                object.__setattr__(self, name, without_nul(value))
        if self.category is not None:
            category = without_nul(self.category)[:CATEGORY_MAX_LENGTH]
            object.__setattr__(self, "category", category)
        published = self.published_at.isoformat() if self.published_at else None
        # The title is left out: it is part of the key, and kept as first seen.
        digest = content_hash(self.url, self.category, self.body, published)
        object.__setattr__(self, "content_hash", digest)


@dataclass(frozen=True, slots=True)
class DayOutcome:
    """What storing one day changed."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0


def encode_captures(captures: Iterable[Captured]) -> str:
    """Captures as compact JSON text, a list a capture, for a column or a file."""
    # The location's fields by name: ``dataclasses.astuple`` deep-copies, at ten times the cost.
    return json.dumps(
        [
            [c.url, c.status, c.payload_digest, c.date, *_location_fields(c.location)]
            for c in captures
        ],
        separators=(",", ":"),
    )


def _location_fields(location: WarcLocation) -> tuple[str, int, str]:
    return location.file, location.offset, location.record_id


def decode_captures(text: str) -> tuple[Captured, ...]:
    """The captures ``encode_captures`` wrote; none when they cannot be read (that costs a
    copy, nothing more)."""
    try:
        return tuple(
            Captured(url, status, digest, when, WarcLocation(file, offset, record_id))
            for url, status, digest, when, file, offset, record_id in json.loads(text)
        )
    except (ValueError, TypeError):
        return ()
