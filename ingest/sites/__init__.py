"""Site layouts: the one place that knows a site's markup and URL scheme.

A layout is a module under ``ingest/sites/`` with pure parsers, a ``DEFAULT_LISTING_PATH`` and
a ``build(shape)`` factory returning a ``Layout``; a new layout is a new module and one line in
``LAYOUTS``.

A layout's module is imported when it is first looked up: loading the settings builds only
the configured sites' layouts, so a command that does not crawl (``health``) loads only those.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from ingest.sites.base import (
    ArticlePage,
    Layout,
    LayoutModule,
    ListingItem,
    ListingPage,
    Markup,
    SiteShape,
)


class _Layouts(Mapping[str, LayoutModule]):
    """Layout name -> its module, imported on first lookup; read-only."""

    def __init__(self, modules: Mapping[str, str]) -> None:
        self._modules = dict(modules)

    def __getitem__(self, name: str) -> LayoutModule:
        module: LayoutModule = importlib.import_module(f"ingest.sites.{self._modules[name]}")
        return module

    def __contains__(self, name: object) -> bool:
        return name in self._modules

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)


LAYOUTS: Mapping[str, LayoutModule] = _Layouts(
    {
        "k2": "k2",
        "wordpress": "wordpress",
        "wordpress-api": "wordpress_api",
        "selectors": "selectors",
        "sitemap": "sitemap",
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
