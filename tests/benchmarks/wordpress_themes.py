"""CPU per page on pages a real WordPress rendered: a classic theme against a block theme.

The sample site's first quarter of 2020 (its articles, their times and categories) is written
into the tests' real WordPress (``tests/support/wordpress``), and every page the ``wordpress``
layout reads is recorded from it once, for Twenty Twenty-One (classic) and Twenty
Twenty-Three (block). PHP renders a page in about 100 ms, so the crawl does not run against
it: a child process serves the recording at 20 ms a response (as ``served.py`` serves the
sample site), and the backfill child of ``cpu.py`` crawls it; right after, bare aiohttp
replays the very same requests. CPU per page and its ratio to bare aiohttp are the medians
of ``ROUNDS`` rounds.

Run as ``python -m tests.benchmarks.wordpress_themes serve RECORDING LATENCY`` it is the
serving child (the protocol of ``served.py``: its base URL as one JSON line, then the paths
requested since the last ``paths`` line, until stdin closes).
"""

from __future__ import annotations

import asyncio
import json
import pickle
import statistics
import sys
import tempfile
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.benchmarks import cpu
from tests.benchmarks.common import Row
from tests.benchmarks.served import Answer, KeptAliveSite, ServerChild, answer_parent, taken
from tests.support.sample_site import SampleSite
from tests.support.wordpress.corpus import Post
from tests.support.wordpress.site import RealWordPress, missing

FIRST, LAST = date(2020, 1, 1), date(2020, 3, 31)
THEMES = ("twentytwentyone", "twentytwentythree")
ROUNDS = 3
LATENCY = 0.02
POSTS_PER_PAGE = 10  # WordPress's default
DAY_PATH = "/{year}/{month:02d}/{day:02d}/"
_NOT_RECORDED: Answer = (404, {"Content-Type": "text/plain", "Content-Length": "0"}, b"")


def bench_posts() -> list[Post]:
    """The sample site's articles of the range as WordPress posts."""
    site = SampleSite(seed=0)
    posts = []
    day = FIRST
    while day <= LAST:
        for article in site.articles_on(day):
            posts.append(
                Post(
                    title=article.title_html,
                    date=article.created.isoformat(sep=" "),
                    content=article.intro_html + "\n\n" + article.full_html,
                    categories=(article.category,),
                )
            )
        day += timedelta(days=1)
    return posts


def _get(url: str) -> Answer:
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            status, headers, body = answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, error.headers, error.read()
    kept = {"Content-Type": headers.get("Content-Type", "text/html"), "Link": headers.get("Link")}
    return status, {k: v for k, v in kept.items() if v}, body


def record(wordpress: RealWordPress, theme: str) -> dict[str, Any]:
    """Every page a backfill of the range reads from ``theme``'s server (robots.txt, each
    day's archive pages and every post's page), with the server's base URL."""
    base_url = wordpress.servers[theme].base_url
    truth = wordpress.truth(theme)
    per_day: dict[str, list[str]] = {}
    for post in truth["posts"]:
        if post["status"] == "publish":
            per_day.setdefault(post["post_date"][:10], []).append(post["permalink"])
    paths = ["/robots.txt"]
    day = FIRST
    while day <= LAST:
        archive = DAY_PATH.format(year=day.year, month=day.month, day=day.day)
        pages = max(1, -(-len(per_day.get(day.isoformat(), [])) // POSTS_PER_PAGE))
        paths += [archive] + [f"{archive}page/{n}/" for n in range(2, pages + 1)]
        day += timedelta(days=1)
    paths += [url.removeprefix(base_url) for urls in per_day.values() for url in urls]
    with ThreadPoolExecutor(max_workers=4) as pool:  # PHP's server runs four workers
        answers = list(pool.map(lambda path: _get(base_url + path), paths))
    return {"base_url": base_url, "pages": dict(zip(paths, answers, strict=True))}


class Recorded(KeptAliveSite):
    """The recording served with its loopback address rewritten to the serving child's
    (``load``, once the port is known); a path not recorded answers 404."""

    def __init__(self, latency: float) -> None:
        self.requested: list[str] = []
        super().__init__(latency, lambda target, _headers: self.requested.append(target))
        self.pages = self

    def load(self, recording: dict[str, Any], base_url: str) -> None:
        recorded_base = recording["base_url"].encode()
        for path, (status, headers, body) in recording["pages"].items():
            body = body.replace(recorded_base, base_url.encode())
            self.rendered[path] = (status, {**headers, "Content-Length": str(len(body))}, body)

    def answer(self, target: str, headers: dict[str, str]) -> Answer:
        return _NOT_RECORDED


async def _serve(recording: dict[str, Any], latency: float) -> None:
    site = Recorded(latency)
    server = await asyncio.start_server(site, "127.0.0.1", 0)
    base_url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    site.load(recording, base_url)
    async with server:
        await answer_parent({"base_url": base_url}, {"paths": lambda: taken(site.requested)})


class ServedRecording(ServerChild):
    """The serving child, as a context manager."""

    def __init__(self, recording_file: Path) -> None:
        super().__init__(__spec__.name, "serve", recording_file, LATENCY)

    @property
    def base_url(self) -> str:
        return str(self.ready["base_url"])

    def take_requested_paths(self) -> list[str]:
        paths: list[str] = self.ask("paths")
        return paths


def measure() -> dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] | str:
    """Per theme, ROUNDS pairs of (backfill, bare aiohttp replay); or why it did not run."""
    reason = missing()
    if reason is not None:
        return f"not measured: no real WordPress here ({reason})"
    results: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    with tempfile.TemporaryDirectory(prefix="ingest-bench-wp-") as tmp:
        wordpress = RealWordPress(Path(tmp))
        recordings = {}
        try:
            posts = bench_posts()
            categories = sorted({name for post in posts for name in post.categories})
            wordpress.start(
                THEMES, posts=posts, categories=categories, posts_per_page=POSTS_PER_PAGE
            )
            for theme in THEMES:
                recordings[theme] = Path(tmp) / f"{theme}.pickle"
                recordings[theme].write_bytes(pickle.dumps(record(wordpress, theme)))
        finally:
            wordpress.stop()
        for theme in THEMES:
            results[theme] = []
            with ServedRecording(recordings[theme]) as server:
                for n in range(ROUNDS):
                    results[theme].append(_round(server, f"{theme}{n}"))
    return results


def _round(server: ServedRecording, tag: str) -> tuple[dict[str, Any], dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix=f"ingest-bench-wp-{tag}-") as work:
        server.take_requested_paths()
        crawled = cpu._child(
            "crawl", server.base_url, DAY_PATH, work, cpu.SHIPPED, "", "wordpress",
            FIRST.isoformat(), LAST.isoformat(),
        )  # fmt: skip
        assert crawled["status"] == "succeeded", crawled
        paths = server.take_requested_paths()
        crawled["requests"] = len(paths)
        paths_file = Path(work) / "paths.json"
        paths_file.write_text(json.dumps(paths), encoding="utf-8")
        replayed = cpu._child("replay", "aiohttp", server.base_url, str(paths_file))
    return crawled, replayed


def run() -> list[Row]:
    measured = measure()
    if isinstance(measured, str):
        return [Row("cpu", "real WordPress themes, wordpress layout", measured)]
    rows = []
    for theme, pairs in measured.items():
        kind = "classic" if theme == "twentytwentyone" else "block"
        per_page = statistics.median(1000 * c["cpu"] / c["requests"] for c, _ in pairs)
        ratio = statistics.median(c["cpu"] / r["cpu"] for c, r in pairs)
        rows.append(
            Row(
                "cpu",
                f"real WordPress, {theme} ({kind} theme), {FIRST}..{LAST}, wordpress layout: "
                f"CPU ms per page (x bare aiohttp), {pairs[-1][0]['requests']:,} requests",
                f"{per_page:.2f} ({ratio:.1f}x)",
            )
        )
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        asyncio.run(_serve(pickle.loads(Path(sys.argv[2]).read_bytes()), float(sys.argv[3])))
    else:
        for row in run():
            print(row)
