"""LinkResolver is a shortcut for urljoin: it must agree with urljoin on every href."""

from __future__ import annotations

import random
from urllib.parse import urljoin

import pytest

from ingest.sites.base import LinkResolver

PAGES = (
    "https://en.etilaf.org/en/date/2020/2/1.html",
    "http://127.0.0.1:8080/date/2020/2/1/Page-2.html?catid=3",
    "https://user@host:99/a;p?q=1#frag",
    "https://host",
    "ftp://host/dir/",
)
# Pieces that exercise every branch: schemes in either case, dot segments, doubled slashes,
# params, empty queries and fragments, whitespace, IPv6 brackets, percent escapes.
PIECES = (
    *"ab/.?#;:@%= \t[]-_~&",
    "http://",
    "https://",
    "HTTP://",
    "//",
    "/.",
    "..",
    "x.html",
    "%20",
    "javascript:",
)


def _expected(page: str, href: str) -> str | None:
    try:
        return urljoin(page, href)
    except ValueError:
        return None


@pytest.mark.parametrize(
    "href",
    [
        "/media-center/item/1-a.html",
        "https://en.etilaf.org/media-center/item/1-a.html",
        "/date/2020/2/1/Page-2.html?start=10&catid=3",
        "item/1.html",
        "../up.html",
        "/a/./b.html",
        "/a//b.html",
        "/a.html?",
        "/a.html#top",
        " /a.html",
        "HTTP://Host/A",
        "http://[::1]/a",
        "http://[broken/a",
        "",
    ],
)
def test_agrees_with_urljoin_on_known_shapes(href: str) -> None:
    for page in PAGES:
        assert LinkResolver(page)(href) == _expected(page, href), (page, href)


def test_agrees_with_urljoin_on_random_hrefs() -> None:
    rng = random.Random(20261123)
    resolvers = [(page, LinkResolver(page)) for page in PAGES]
    for _ in range(20_000):
        href = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 9)))
        for page, resolve in resolvers:
            assert resolve(href) == _expected(page, href), (page, href)
