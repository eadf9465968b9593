"""Sitemaps (sitemaps.org 0.9 and Google News), read purely: bytes in, frozen values out.

One file is either an index (``<sitemapindex>``: child sitemaps, each with its ``lastmod``)
or a list of pages (``<urlset>``: each URL with its ``lastmod`` and, in a news sitemap, its
``news:publication_date`` and ``news:title``). A gzip file (``.xml.gz``, served as it lies on
the disk, not as a content coding) is inflated here, never past ``MAX_SITEMAP_BYTES``.

Why not ``ultimate-sitemap-parser``: its web client is synchronous and it fetches the children
itself, one after another, so our async fetcher could drive it only from a thread, blocking on
each request; it logs and swallows a file cut short (a day would then be "complete" with the
rest of its entries lost), and it built its objects at 15,800 URLs/s and 122 MiB for a
50,000-URL file where this expat reader does several times better (tests/benchmarks/sitemap.py).
"""

from __future__ import annotations

import xml.parsers.expat
import zlib
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import NoReturn

from ingest.errors import ParseError

# sitemaps.org: a file holds at most 50,000 URLs and 50 MB uncompressed.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 50_000
_GZIP_MAGIC = b"\x1f\x8b"
_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@dataclass(frozen=True, slots=True)
class SitemapRef:
    """A child sitemap named by an index, with its ``lastmod`` (None when absent or invalid)."""

    url: str
    lastmod: datetime | date | None


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One page of a sitemap: ``lastmod``, and a news sitemap's publication time and title."""

    url: str
    lastmod: datetime | date | None
    published: datetime | date | None = None
    title: str | None = None

    def hint_day(self, tz: tzinfo) -> date | None:
        """The day the sitemap places the page on, in the site's calendar: its news
        publication day, else its ``lastmod`` day; None without either."""
        return as_day(self.published if self.published is not None else self.lastmod, tz)


@dataclass(frozen=True, slots=True)
class SitemapFile:
    """A parsed sitemap: an index (``index``) and its children, or a urlset's entries."""

    url: str
    index: bool
    children: tuple[SitemapRef, ...]
    entries: tuple[SitemapEntry, ...]


def as_day(moment: datetime | date | None, tz: tzinfo) -> date | None:
    """The day of ``moment`` on the site's calendar; a bare date is that day as written."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.astimezone(tz).date() if moment.tzinfo is not None else moment.date()
    return moment


def parse_w3c_datetime(text: str) -> datetime | date | None:
    """A W3C datetime (``2020-02-01``, ``2020-02-01T10:00:00+03:00``, ``…Z``); None when
    invalid. A time without an offset is naive (read on the site's calendar as written)."""
    text = text.strip()
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def inflate(body: bytes, url: str) -> bytes:
    """The sitemap's XML: ``body`` itself, or inflated when it is gzip; ParseError past
    ``MAX_SITEMAP_BYTES`` or when the gzip is broken."""
    if not body.startswith(_GZIP_MAGIC):
        return body
    z = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = z.decompress(body, MAX_SITEMAP_BYTES + 1)
    except zlib.error as exc:
        raise ParseError(f"{url}: the gzip sitemap does not decode: {exc}") from exc
    if len(out) > MAX_SITEMAP_BYTES:
        raise ParseError(f"{url}: sitemap larger than {MAX_SITEMAP_BYTES} bytes uncompressed")
    if not z.eof:
        raise ParseError(f"{url}: the gzip sitemap is cut short")
    return out


class _Reader:
    """Expat's handlers: collects the text of the elements a sitemap entry is made of."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.root: str | None = None
        self.fields: dict[str, str] = {}
        self.text: list[str] = []
        self.children: list[SitemapRef] = []
        self.entries: list[SitemapEntry] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.root is None:
            self.root = name
        self.text = []

    def chars(self, data: str) -> None:
        self.text.append(data)

    def end(self, name: str) -> None:
        local = name.rpartition(" ")[2]
        if local in ("loc", "lastmod", "publication_date", "title"):
            self.fields[local] = "".join(self.text).strip()
        elif local in ("url", "sitemap"):
            self._close(local)
        self.text = []

    def _close(self, kind: str) -> None:
        fields, self.fields = self.fields, {}
        url = fields.get("loc", "")
        if not url.startswith(("http://", "https://")):
            return  # no usable <loc>: nothing to read there
        lastmod = parse_w3c_datetime(fields.get("lastmod", ""))
        if kind == "sitemap":
            self.children.append(SitemapRef(url, lastmod))
            return
        if len(self.entries) >= MAX_ENTRIES:
            raise ParseError(f"{self.url}: more than {MAX_ENTRIES} URLs in one sitemap")
        published = parse_w3c_datetime(fields.get("publication_date", ""))
        self.entries.append(SitemapEntry(url, lastmod, published, fields.get("title") or None))


def _refuse(what: str, url: str) -> NoReturn:
    raise ParseError(f"{url}: the sitemap declares {what}; not read (entity expansion)")


def parse_sitemap(body: bytes, url: str) -> SitemapFile:
    """A sitemap file (gzip or not). ParseError for a file that is no sitemap, is cut short
    or malformed (never a part of it read as the whole), declares a DOCTYPE or entities, or
    holds more than sitemaps.org allows."""
    xml_bytes = inflate(body, url)
    reader = _Reader(url)
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.chars
    parser.StartDoctypeDeclHandler = lambda *_: _refuse("a DOCTYPE", url)
    parser.EntityDeclHandler = lambda *_: _refuse("an entity", url)
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(xml_bytes, True)
    except xml.parsers.expat.ExpatError as exc:
        raise ParseError(f"{url}: not a well-formed sitemap: {exc}") from exc
    root = (reader.root or "").rpartition(" ")
    if root[2] not in ("urlset", "sitemapindex") or root[0] not in ("", _SITEMAP_NS):
        raise ParseError(f"{url}: not a sitemap (no <urlset> or <sitemapindex>)")
    index = root[2] == "sitemapindex"
    return SitemapFile(url, index, tuple(reader.children), tuple(reader.entries))


__all__ = [
    "MAX_SITEMAP_BYTES",
    "SitemapEntry",
    "SitemapFile",
    "SitemapRef",
    "as_day",
    "parse_sitemap",
    "parse_w3c_datetime",
]
