"""Site layouts: the one place that knows a site's markup.

A layout is a module with two pure functions, ``parse_listing`` and ``parse_article``; a second
site layout (WordPress, say) is a new module and one line in ``LAYOUTS``.
"""

from __future__ import annotations

from datetime import tzinfo
from types import MappingProxyType
from typing import Protocol

from ingest.sites import k2
from ingest.sites.base import ArticlePage, ListingItem, ListingPage, Markup


class SiteLayout(Protocol):
    def parse_listing(self, markup: Markup, url: str) -> ListingPage: ...

    def parse_article(self, markup: Markup, url: str, tz: tzinfo) -> ArticlePage: ...


LAYOUTS: MappingProxyType[str, SiteLayout] = MappingProxyType({"k2": k2})

__all__ = ["LAYOUTS", "ArticlePage", "ListingItem", "ListingPage", "Markup", "SiteLayout"]
