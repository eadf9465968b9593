"""The site's scope: its origin (scheme, host, port), and the one exception, the upgrade."""

from __future__ import annotations

import msgspec
import pytest

from ingest.errors import PermanentFetchError
from ingest.fetch.redirects import SiteScope, refuse_unfit
from ingest.settings import SiteSettings, SiteUrl


def scope(base_url: str) -> SiteScope:
    return SiteScope(msgspec.structs.replace(SiteSettings(), base_url=SiteUrl(base_url)))


@pytest.mark.parametrize(
    ("base_url", "url", "on_site"),
    [
        ("http://news.example", "http://news.example/a", True),
        ("http://news.example", "http://news.example:80/a", True),
        ("http://news.example", "https://news.example/a", True),  # the upgrade
        ("http://news.example", "https://news.example:443/a", True),
        ("http://news.example", "http://NEWS.example/a", True),
        ("http://news.example", "http://news.example:8080/a", False),  # another port
        ("http://news.example", "https://news.example:8443/a", False),
        ("http://news.example", "http://other.example/a", False),
        ("http://news.example", "http://news.example.evil/a", False),
        ("http://news.example", "http://u:p@news.example/a", False),  # user info
        ("http://news.example", "http://u@news.example/a", False),
        ("http://news.example", "http://news.example\\@evil.example/a", False),
        ("http://news.example", "ftp://news.example/a", False),
        ("https://news.example", "http://news.example/a", True),  # requested as https
        ("http://news.example:8000", "http://news.example:8000/a", True),
        ("http://news.example:8000", "https://news.example:8000/a", False),  # another scheme
        ("http://news.example:8000", "https://news.example/a", False),
        ("http://news.example:8000", "http://news.example/a", False),
    ],
)
def test_same_site_is_same_origin(base_url: str, url: str, on_site: bool) -> None:
    site = scope(base_url)
    assert site.contains(url) is on_site
    if not on_site:
        with pytest.raises(PermanentFetchError):
            site.admit(url, original=url)


def test_an_https_site_requests_its_http_links_over_https() -> None:
    """The upgrade made before the request: nothing goes in clear text."""
    site = scope("https://news.example")
    assert site.admit("http://news.example/a?b=1", original="x") == "https://news.example/a?b=1"
    assert site.admit("http://news.example:80/a", original="x") == "https://news.example/a"
    assert site.admit("https://news.example/a", original="x") == "https://news.example/a"
    assert scope("http://news.example").admit("http://news.example/a", original="x") == (
        "http://news.example/a"
    )


def test_robots_redirects_go_anywhere_http_without_user_info() -> None:
    assert refuse_unfit("https://cdn.example:8443/robots.txt", original="x")
    for bad in ("ftp://cdn.example/robots.txt", "http://u:p@cdn.example/robots.txt"):
        with pytest.raises(PermanentFetchError, match=r"robots\.txt redirect"):
            refuse_unfit(bad, original="x")
