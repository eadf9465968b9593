"""Site layouts: the one place that knows a site's markup and URL scheme.

A layout is a module under ``ingest/sites/`` with pure parsers, a ``DEFAULT_LISTING_PATH`` and
a ``build(shape)`` factory returning a ``Layout``; a new layout is a new module and one line in
``LAYOUTS``.
"""

from __future__ import annotations

from types import MappingProxyType

from ingest.sites import k2, selectors, wordpress, wordpress_api
from ingest.sites.base import (
    ArticlePage,
    Layout,
    LayoutModule,
    ListingItem,
    ListingPage,
    Markup,
    SiteShape,
)

LAYOUTS: MappingProxyType[str, LayoutModule] = MappingProxyType(
    {
        "k2": k2,
        "wordpress": wordpress,
        "wordpress-api": wordpress_api,
        "selectors": selectors,
    }
)


def build_layout(name: str, shape: SiteShape) -> Layout:
    """The named layout bound to a site; ValueError naming the key when the shape does not fit."""
    return LAYOUTS[name].build(shape)


def default_listing_path(name: str) -> str | None:
    module = LAYOUTS.get(name)
    return module.DEFAULT_LISTING_PATH if module is not None else None


__all__ = [
    "LAYOUTS",
    "ArticlePage",
    "Layout",
    "ListingItem",
    "ListingPage",
    "Markup",
    "SiteShape",
    "build_layout",
    "default_listing_path",
]
