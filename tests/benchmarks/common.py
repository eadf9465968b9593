"""Shared helpers: the table row, quiet logging, settings for the loopback sample site."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from ingest.settings import Settings, settings_from_mapping


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    section: str
    figure: str
    value: str
    target: str = ""
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("yes" if self.ok else "MISSED")


class WarningCounter:
    """A structlog processor that counts WARNING+ events and drops every event."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _logger: Any, _method: str, _event: Any) -> Any:
        self.count += 1
        raise structlog.DropEvent


def quiet_logging() -> WarningCounter:
    """Drop events below WARNING before they are built; count (and drop) the rest."""
    counter = WarningCounter()
    structlog.configure(
        processors=[counter],
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        cache_logger_on_first_use=True,
    )
    return counter


def bench_settings(
    base_url: str,
    listing_path: str,
    db_path: Path,
    *,
    concurrency: int = 8,
    fetch_article_pages: bool = True,
    layout: str = "k2",
) -> Settings:
    """Settings for the loopback sample site: no rate limit, quick retries, SQLite file."""
    return settings_from_mapping(
        {
            "site": {
                "name": "bench",
                "base_url": base_url,
                "listing_path": listing_path,
                "layout": layout,
                "fetch_article_pages": fetch_article_pages,
            },
            "http": {
                "requests_per_second": 0.0,
                "concurrency": concurrency,
                "timeout_seconds": 10.0,
                "backoff_initial_seconds": 0.01,
                "backoff_max_seconds": 0.05,
                "max_retry_after_seconds": 1.0,
            },
            "database": {"url": f"sqlite:///{db_path}"},
            "archive": {"dir": str(Path(db_path).parent / "warc")},
            "logging": {"file": "", "level": "WARNING"},
        }
    )


async def get_all(client: Any, paths: list[str], concurrency: int) -> None:
    """GET every path through an httpx-style ``AsyncClient`` (httpx or httpx2), ``concurrency``
    at a time, reading every body: the bare-client replays' one loop."""
    pending = iter(paths)

    async def worker() -> None:
        for path in pending:
            async with client.stream("GET", path) as response:
                async for _ in response.aiter_bytes():
                    pass

    await asyncio.gather(*(worker() for _ in range(concurrency)))
