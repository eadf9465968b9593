"""The archive as ``reparse``'s transport: its index is built once however many dates ask at
once, and a page read from its record's gzip member alone is what FastWARC reads there."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastwarc.warc import ArchiveIterator

from ingest.archive import WarcFiles
from ingest.archive.replay import WarcReplay
from ingest.errors import PermanentFetchError
from ingest.fetch import Fetcher
from ingest.settings import settings_from_mapping

NOW = datetime(2020, 2, 1, 12, 0, tzinfo=UTC)
SENT = {"User-Agent": "t"}


def archive(
    directory: Path, run_id: int, answers: list[tuple[str, int, bytes]], start: datetime = NOW
) -> None:
    files = WarcFiles(directory, "s", run_id, 1 << 30)
    for n, (url, status, payload) in enumerate(answers):
        headers = [("Content-Type", "text/html; charset=utf-8"), ("X-Seen", f"é {n}")]
        if 300 <= status < 400:
            headers.append(("Location", "/moved"))
        files.response(url, SENT, status, headers, payload, start + timedelta(seconds=n))
    files.close()


def fastwarc_answer(path: Path, offset: int) -> tuple[int, list[tuple[str, str]], bytes]:
    with path.open("rb") as file:
        file.seek(offset)
        record = next(iter(ArchiveIterator(file, parse_http=True)))
        http = record.http_headers
        # FastWARC reads header bytes as Latin-1; the crawl (aiohttp) read them as UTF-8.
        headers = [(name, value.encode("latin-1").decode("utf-8")) for name, value in http.items()]
        return http.status_code or 0, headers, record.reader.read()


def test_a_page_read_from_its_member_is_what_fastwarc_reads_and_the_index_is_built_once(
    tmp_path: Path,
) -> None:
    pages = {f"https://x.example/{n}": b"<p>%d</p>" % n * (n * 300 + 1) for n in range(12)}
    answers = [(url, 200, body) for url, body in pages.items()]
    answers += [("https://x.example/gone", 404, b"no"), ("https://x.example/old", 301, b"")]
    answers += [("https://x.example/failed", 503, b"busy")]
    archive(tmp_path, 1, answers)
    # A second run an hour later: one page again, changed (the later capture wins).
    changed = "https://x.example/3"
    archive(tmp_path, 2, [(changed, 200, b"<p>new</p>")], NOW + timedelta(hours=1))
    replay = WarcReplay(tmp_path, "s")

    async def main() -> None:
        # Every date of a run asks at once, before the index exists: one build serves all.
        got = await asyncio.gather(*(replay.get(url, SENT) for url in pages))
        assert replay.files == 2, "the files were indexed once, not once per date that asked"
        for n, ((url, body), answer) in enumerate(zip(pages.items(), got, strict=True)):
            assert answer.status == 200
            seen = "é 0" if url == changed else f"é {n}"
            assert answer.headers["X-Seen"] == seen, "as the crawl read it"
            assert await answer.read() == (b"<p>new</p>" if url == changed else body)
            assert answer.headers["content-type"] == "text/html; charset=utf-8"
        gone = await replay.get("https://x.example/gone", SENT)
        assert (gone.status, await gone.read()) == (404, b"no")
        moved = await replay.get("https://x.example/old", SENT)
        assert (moved.status, moved.headers["Location"]) == (301, "/moved")
        with pytest.raises(PermanentFetchError, match="not in the WARC archive"):
            await replay.get("https://x.example/failed", SENT)  # a 503 is no page
        index = replay._index
        assert index is not None
        for url, capture in index.items():
            answer = await replay.get(url, SENT)
            status, headers, payload = fastwarc_answer(capture.file, capture.offset)
            assert (answer.status, list(answer.headers.items()), await answer.read()) == (
                status,
                headers,
                payload,
            ), url
        await replay.aclose()

    asyncio.run(main())


def test_the_fetcher_replays_under_the_archived_robots_txt_without_its_crawl_delay(
    tmp_path: Path,
) -> None:
    """What the archive holds is read whatever robots.txt says (it was allowed when it was
    fetched); a page it lacks is refused when robots.txt disallows it, as the crawl was; and
    the file's Crawl-delay paces nothing, since nothing goes to the site."""
    robots = b"User-agent: *\nDisallow: /private/\nCrawl-delay: 30\n"
    archive(
        tmp_path,
        1,
        [
            ("https://x.example/robots.txt", 200, robots),
            ("https://x.example/a", 200, b"<p>a</p>"),
            ("https://x.example/b", 200, b"<p>b</p>"),
            ("https://x.example/private/kept", 200, b"<p>kept</p>"),
        ],
    )
    site = settings_from_mapping(
        {
            "site": {"name": "s", "base_url": "https://x.example", "listing_path": "/{date}"},
            "http": {"requests_per_second": 0.0},  # as a reparse reads a site
        }
    ).sites[0]

    async def main() -> None:
        replay = WarcReplay(tmp_path, "s")
        async with Fetcher(site, site.http, transport=replay) as fetcher:
            await fetcher.load_robots()
            assert fetcher.may_fetch("https://x.example/a")
            assert fetcher.may_fetch("https://x.example/private/kept"), "held: read"
            assert not fetcher.may_fetch("https://x.example/private/gone"), "refused, as then"
            with pytest.raises(PermanentFetchError, match=r"disallowed by robots\.txt"):
                await fetcher.get("https://x.example/private/gone", kind="article")
            started = time.monotonic()
            for url in ("https://x.example/a", "https://x.example/b", "https://x.example/a"):
                get = fetcher.get(url, kind="article")
                assert (await asyncio.wait_for(get, 10)).status == 200
            assert time.monotonic() - started < 5, "not paced by the archived Crawl-delay"
        await replay.aclose()

    asyncio.run(main())
