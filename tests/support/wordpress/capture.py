"""Capture real WordPress pages as parser fixtures: ``python -m tests.support.wordpress.capture``.

Starts the tests' real WordPress (``site.py``: Debian's package, the corpus, a server per
bundled theme), saves a few pages of each theme and of the REST API under
``tests/fixtures/wordpress/real/``, and writes ``expected.json``: what each page must yield,
taken from WordPress's own database (the ``truth`` command), never from our parsers. Run it
again after a WordPress or theme upgrade; the parser tests then hold the layouts to the new
pages.

The servers' loopback address is replaced by ``https://news.example.org`` in every saved page,
so that a capture does not change with the port it happened to run on.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.support.wordpress import corpus
from tests.support.wordpress.site import THEMES, RealWordPress, missing, published

OUT = Path(__file__).resolve().parents[2] / "fixtures" / "wordpress" / "real"
SITE = "https://news.example.org"
BUSY_DAY = "2020-03-22"  # seven posts: three archive pages
EMPTY_DAY = "2020-03-21"
ARTICLE_TITLE = "Photo report: the committee at work"  # a caption, an image, a list
ARTICLE_TITLE_TWO_CATEGORIES = "Q&A: what's next for the constitutional committee?"
# The REST API's day before the clock change returns the next day's midnight post too; the
# day of the change holds the post whose date_gmt the API prints an hour late.
API_DAYS = ("2020-03-26", "2020-03-27")


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


_LOOPBACK = (
    (re.compile(r"http://127\.0\.0\.1:\d+"), SITE),
    (re.compile(r"http:\\/\\/127\.0\.0\.1:\d+"), SITE.replace("/", "\\/")),
    (re.compile(r"http%3A%2F%2F127\.0\.0\.1%3A\d+"), "https%3A%2F%2Fnews.example.org"),
)


def neutral(text: str) -> str:
    """The page with every loopback server address (plain, JSON-escaped and URL-encoded)
    replaced by ``SITE``: WordPress prints the other theme servers' too (its stored siteurl)."""
    for pattern, replacement in _LOOPBACK:
        text = pattern.sub(replacement.replace("\\", "\\\\"), text)
    return text


def post_record(post: Mapping[str, Any], *, category: bool) -> dict[str, Any]:
    return {
        "title": " ".join(html.unescape(post["title"]).split()),
        "url": neutral(post["permalink"]),
        "day": post["post_date"][:10],
        "published_at": post["post_date_gmt"].replace(" ", "T") + "+00:00",
        "category": ", ".join(post["categories"]) if category else None,
    }


def capture(wordpress: RealWordPress) -> dict[str, Any]:
    expected: dict[str, Any] = {}
    OUT.mkdir(parents=True, exist_ok=True)

    def save(name: str, body: bytes) -> None:
        (OUT / name).write_text(neutral(body.decode("utf-8")), encoding="utf-8")

    for theme in THEMES:
        base_url = wordpress.servers[theme].base_url
        truth = wordpress.truth(theme)
        posts = published(truth)
        busy = sorted(
            (p for p in posts if p["post_date"].startswith(BUSY_DAY)),
            key=lambda post: post["post_date"],
            reverse=True,
        )
        # Classic themes print each post's categories on the archive; block themes do not.
        archive_categories = theme == "twentytwentyone"
        day_path = "/" + BUSY_DAY.replace("-", "/") + "/"
        for number in (1, 2):
            path = day_path if number == 1 else f"{day_path}page/{number}/"
            status, _, body = fetch(base_url + path)
            assert status == 200, (theme, path, status)
            name = f"{theme}_listing_page{number}.html"
            save(name, body)
            page_posts = busy[(number - 1) * corpus.POSTS_PER_PAGE : number * corpus.POSTS_PER_PAGE]
            expected[name] = {
                "url": SITE + path,
                "items": [post_record(post, category=archive_categories) for post in page_posts],
                "next_url": f"{SITE}{day_path}page/{number + 1}/",
            }
        status, _, body = fetch(base_url + "/" + EMPTY_DAY.replace("-", "/") + "/")
        assert status == 404, (theme, status)
        name = f"{theme}_empty_day.html"
        save(name, body)
        expected[name] = {"status": 404}
        for title, suffix in ((ARTICLE_TITLE, ""), (ARTICLE_TITLE_TWO_CATEGORIES, "_categories")):
            post = next(p for p in posts if p["post_title"] == title)
            status, _, body = fetch(post["permalink"])
            assert status == 200, (theme, title, status)
            name = f"{theme}_article{suffix}.html"
            save(name, body)
            record = post_record(post, category=True)
            expected[name] = {
                "url": record["url"],
                "title": record["title"],
                "published_at": record["published_at"],
                "category": record["category"],
                "body_paragraphs": post["content"],  # rendered HTML: the test reduces it
            }

    base_url = wordpress.servers[THEMES[0]].base_url
    truth = wordpress.truth(THEMES[0])
    _, _, index = fetch(base_url + "/wp-json/")
    save("api_index.json", index)
    expected["api_index.json"] = {"timezone_string": corpus.TIMEZONE}
    for day in API_DAYS:
        asked = date.fromisoformat(day)
        query = (
            f"after={asked - timedelta(days=1)}T23:59:59&before={asked + timedelta(days=1)}"
            "T00:00:00&per_page=100&page=1&orderby=date&order=desc&_embed=wp:term"
        )
        status, headers, body = fetch(f"{base_url}/wp-json/wp/v2/posts?{query}")
        assert status == 200, (day, status)
        name = f"api_posts_{day}.json"
        save(name, body)
        returned = [post["id"] for post in json.loads(body)]
        by_id = {post["id"]: post for post in published(truth)}
        expected[name] = {
            "url": f"{SITE}/wp-json/wp/v2/posts?{query}",
            "headers": {"x-wp-totalpages": headers.get("x-wp-totalpages", "1")},
            "items": [post_record(by_id[i], category=True) for i in returned],
        }
    (OUT / "expected.json").write_text(
        json.dumps(expected, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )
    (OUT / "VERSION").write_text(
        f"WordPress {truth['version']}, themes {', '.join(THEMES)}\n", encoding="utf-8"
    )
    return expected


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args()
    reason = missing()
    if reason is not None:
        print(f"capture: no real WordPress here: {reason}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ingest-wp-capture-") as root:
        wordpress = RealWordPress(Path(root))
        try:
            wordpress.start()
            expected = capture(wordpress)
        finally:
            wordpress.stop()
    print(f"captured {len(expected)} pages into {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
