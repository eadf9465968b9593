"""A site's layouts over time (``[[sites.layouts]]``), each built once for a run: the day being
read decides which one reads it, so one site and one archive span a change of CMS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Generic, TypeVar

from ingest.settings import SiteSettings
from ingest.sites import Layout, build_layout

T = TypeVar("T")


class LayoutPeriods(Generic[T]):
    """What ``make`` makes of each of the site's layouts (the layout itself, or a pipeline
    around it), with the last day each reads."""

    def __init__(self, site: SiteSettings, make: Callable[[Layout], T]) -> None:
        self._periods = [
            (until, make(build_layout(name, shape))) for until, name, shape in site.periods()
        ]

    def on(self, day: date) -> T:
        """What reads ``day``: the first period that has not ended by then."""
        for until, made in self._periods:
            if until is None or day <= until:
                return made
        return self._periods[-1][1]

    def __iter__(self) -> Iterator[T]:
        return (made for _, made in self._periods)
