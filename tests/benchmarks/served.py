"""The sample site served from a child process, so it never competes with the crawl for this
interpreter's GIL (the end-to-end figures would otherwise measure both).

Run as ``python -m tests.benchmarks.served SEED LATENCY FIRST LAST FLAVOURS`` it is that child
(FLAVOURS: comma-separated ``k2``, ``wordpress``, ``wordpress-api``, the ones rendered up front):
it prints the site's base URL and listing path as one JSON line, then answers each ``paths``
line on stdin with the JSON list of the paths requested since the last one, each ``times`` line
with the JSON list of the times (seconds, monotonic) those requests were answered at, and stops
at end of input. ``ServerChild`` (the parent's side) and ``answer_parent`` (the child's) are
every benchmark's server child's: ``scale``, ``steady`` and ``wordpress_themes`` have their
own children, with their own answers.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from ingest.sites import wordpress_api
from tests.support.sample_site import Flavour, SampleSite, SampleSiteServer
from tests.support.sample_site.flavours import wordpress_page_path, wordpress_path

T = TypeVar("T")


class ServerChild:
    """A benchmark's server as a child process, around a ``with``: ``python -m MODULE ARGS``
    prints one JSON line once it serves (``ready``), answers each command line on stdin with
    one JSON line (``ask``), and stops at end of input, given ``stop_seconds`` to do so."""

    def __init__(self, module: str, *args: object, stop_seconds: float = 30) -> None:
        self._argv = [sys.executable, "-m", module, *map(str, args)]
        self._stop_seconds = stop_seconds
        self._child: subprocess.Popen[str] | None = None
        self.ready: dict[str, Any] = {}

    def __enter__(self) -> Self:
        child = subprocess.Popen(
            self._argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self._child = child
        assert child.stdout is not None
        self.ready = json.loads(child.stdout.readline())
        return self

    def ask(self, command: str) -> Any:
        """The child's answer to ``command``."""
        assert self._child is not None and self._child.stdin and self._child.stdout
        self._child.stdin.write(f"{command}\n")
        self._child.stdin.flush()
        return json.loads(self._child.stdout.readline())

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._child is not None:
            self._child.communicate(timeout=self._stop_seconds)


async def answer_parent(ready: object, answers: Mapping[str, Callable[[], object]]) -> None:
    """The child's side of ``ServerChild``: ``ready`` as one JSON line, then, until stdin
    closes, each line that names one of ``answers`` answered with the JSON of what it gives."""
    print(json.dumps(ready), flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        answer = answers.get(line.strip())
        if answer is not None:
            print(json.dumps(answer()), flush=True)


def taken(items: list[T]) -> list[T]:
    """What ``items`` held, and it emptied: an answer of what happened since the last one."""
    held = items[:]
    items.clear()
    return held


class ServedSite(ServerChild):
    """This module's child: the sample site, its range rendered up front."""

    def __init__(
        self,
        seed: int,
        latency_seconds: float,
        first: date,
        last: date,
        *,
        flavours: Sequence[Flavour] = ("k2",),
    ) -> None:
        super().__init__(
            "tests.benchmarks.served",
            seed,
            latency_seconds,
            first.isoformat(),
            last.isoformat(),
            ",".join(flavours),
        )

    @property
    def base_url(self) -> str:
        return str(self.ready["base_url"])

    @property
    def listing_path(self) -> str:
        return str(self.ready["listing_path"])

    def take_requested_paths(self) -> list[str]:
        """The paths (with query) requested since the previous call (or the start)."""
        paths: list[str] = self.ask("paths")
        return paths

    def answer_times(self) -> list[float]:
        """When each request since the last ``take_requested_paths`` was answered (seconds on
        the server's monotonic clock), in order: a rate read where the requests arrive."""
        times: list[float] = self.ask("times")
        return times


def child(
    seed: int, latency_seconds: float, first: date, last: date, flavours: Sequence[Flavour]
) -> None:
    asyncio.run(_serve(seed, latency_seconds, first, last, flavours))


# Status, headers and body of one response, ready to send.
Answer = tuple[int, dict[str, str], bytes]


class _Pages(SampleSiteServer):
    """The sample site's own routing, rendering and conditional GET, never started: the
    asyncio server below answers for it, at its address."""

    def __init__(self, site: SampleSite, base_url: str) -> None:
        super().__init__(site)
        self._base_url = base_url

    @property
    def base_url(self) -> str:
        return self._base_url

    def prerender(
        self, first: date, last: date, flavours: Sequence[Flavour] = ("k2",)
    ) -> dict[str, Answer]:
        """Every listing page (Next pages too) and article page of the range in each flavour
        (the API: the day's query as the wordpress-api layout asks it), ready to send."""
        rendered = {}
        day = first
        while day <= last:
            articles = self.site.articles_on(day)
            listing_pages = max(1, -(-len(articles) // self.site.page_size))
            paths: list[str] = []
            if "k2" in flavours:
                paths += [self._page_href(day, n, None) for n in range(1, listing_pages + 1)]
                paths += [article.url_path for article in articles]
            if "wordpress" in flavours:
                slugs = self.site.wordpress_slugs(day)
                paths += [wordpress_page_path(day, n) for n in range(1, listing_pages + 1)]
                paths += [wordpress_path(a, slugs[a.id]) for a in articles if not a.private]
            if "wordpress-api" in flavours:
                paths.append(wordpress_api.listing_url(self.api_path, day))
            for path in paths:
                rendered[path] = self.answer(path, {})
            day += timedelta(days=1)
        return rendered

    def answer(self, target: str, headers: dict[str, str]) -> Answer:
        """Status, headers and body of the sample server's response to a GET of ``target``."""
        response = self.respond(target, headers)
        out = dict(response.headers)
        if response.status != 304:
            out["Content-Type"] = response.content_type
            out["Content-Length"] = str(len(response.body))
        return response.status, out, response.body


_CONDITIONAL = ("if-none-match", "if-modified-since")


class KeptAliveSite:
    """The connection handler of a benchmark's site (``asyncio.start_server(site, ...)``): each
    request of a kept-alive connection answered after ``latency_seconds``, from ``rendered``
    when the range holds it (else, and for a conditional request, rendered by ``pages`` then),
    and told to ``on_answer``. ``pages`` is set once the server's port is known."""

    def __init__(
        self, latency_seconds: float, on_answer: Callable[[str, dict[str, str]], None]
    ) -> None:
        self.latency_seconds = latency_seconds
        self.on_answer = on_answer
        self.pages: _Pages | None = None
        self.rendered: dict[str, Answer] = {}

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                target, headers = await read_request_head(reader)
                await asyncio.sleep(self.latency_seconds)
                answer = self.rendered.get(target)
                if answer is None or any(name in headers for name in _CONDITIONAL):
                    assert self.pages is not None
                    answer = self.pages.answer(target, headers)
                write_answer(writer, answer)
                self.on_answer(target, headers)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def read_request_head(reader: asyncio.StreamReader) -> tuple[str, dict[str, str]]:
    """The target and headers (lower-case names) of the next request on a kept-alive
    connection; IncompleteReadError when the client has closed it."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    request_line, *header_lines = head.split("\r\n")
    target = request_line.split(" ")[1]
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        if value:
            headers[name.strip().lower()] = value.strip()
    return target, headers


def write_answer(writer: asyncio.StreamWriter, answer: Answer) -> None:
    """Status line, headers and (but for a 304) body of ``_Pages.answer``, as HTTP/1.1."""
    status, headers, body = answer
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write("\r\n".join([*lines, "", ""]).encode("latin-1"))
    if status != 304:
        writer.write(body)


async def _serve(
    seed: int, latency_seconds: float, first: date, last: date, flavours: Sequence[Flavour]
) -> None:
    """Serve until stdin closes, from pages rendered before the first request.

    A remote site's work costs the crawling machine nothing, but the sample server renders each
    page (about 1 ms) and parses each request on threads sharing a GIL, on the same two cores
    as the crawl: that lengthened every 20 ms response even for raw sockets. So the range is
    rendered up front and one event loop answers; other paths are rendered when asked.
    """
    requested: list[str] = []
    answered: list[float] = []
    loop = asyncio.get_running_loop()

    def on_answer(target: str, _headers: dict[str, str]) -> None:
        requested.append(target)
        answered.append(loop.time())

    site = KeptAliveSite(latency_seconds, on_answer)
    server = await asyncio.start_server(site, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pages = site.pages = _Pages(SampleSite(seed=seed), f"http://127.0.0.1:{port}")
    site.rendered.update(pages.prerender(first, last, flavours))

    def paths() -> list[str]:
        answered.clear()
        return taken(requested)

    async with server:
        await answer_parent(
            {"base_url": pages.base_url, "listing_path": pages.listing_path},
            {"paths": paths, "times": lambda: answered},
        )


if __name__ == "__main__":
    seed, latency, first, last, flavours = sys.argv[1:6]
    child(
        int(seed),
        float(latency),
        date.fromisoformat(first),
        date.fromisoformat(last),
        [cast(Flavour, name) for name in flavours.split(",")],
    )
