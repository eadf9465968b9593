"""Deduplication within one day: (site, date, title key) names one article.

The database's unique constraint enforces the same key across runs; this stage removes the
in-page doubles (one story posted twice, or listed on two pages) before they reach it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ingest.sites.base import ListingItem
from ingest.text import title_key


@dataclass(frozen=True, slots=True)
class KeyedItem:
    key: str
    item: ListingItem


@dataclass(frozen=True, slots=True)
class DedupedDay:
    items: tuple[KeyedItem, ...]
    duplicates: int


def dedupe_items(items: Iterable[ListingItem]) -> DedupedDay:
    """Keep the first item of each title key in listing order (K2 lists newest first)."""
    seen: dict[str, KeyedItem] = {}
    duplicates = 0
    for item in items:
        key = title_key(item.title)
        if key in seen:
            duplicates += 1
        else:
            seen[key] = KeyedItem(key, item)
    return DedupedDay(tuple(seen.values()), duplicates)
