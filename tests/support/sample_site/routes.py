"""The WordPress and plain flavours' HTML routes (K2's stay in ``server.py``).

WordPress (pretty permalinks): ``/YYYY/MM/DD/`` and ``/YYYY/MM/DD/page/N/`` (``?cat=N``
filters and is kept on page links; ``page/1/`` and a missing trailing slash redirect, as
``redirect_canonical`` does), ``/YYYY/MM/DD/slug/`` and ``/private/YYYY/MM/DD/slug/``. An
empty day, a page past the last and an unknown post answer 404 with the theme's 404 page.

Plain: ``/archive/YYYY-MM-DD.html`` (``?page=N``), ``/story/ID.html``,
``/private/story/ID.html``; unknown stories 404.

Archive and listing pages carry ``ETag``/``Last-Modified`` and answer 304 like K2's listings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from ingest.sample_site.article import SampleArticle
from ingest.sample_site.server import Response
from tests.support.sample_site import plain, wordpress
from tests.support.sample_site.content import SampleSite
from tests.support.sample_site.flavours import (
    plain_story_path,
    wordpress_page_path,
    wordpress_path,
)
from tests.support.sample_site.responses import html_response

Conditional = Callable[[str, bytes, dict[str, str]], Response]

_WP = re.compile(r"(/private)?/(\d{4})/(\d{2})/(\d{2})(?:/page/(\d+)|/([a-z0-9-]+))?(/?)")
WORDPRESS_PATH = _WP  # group 6: a post's slug
_PLAIN_LISTING = re.compile(r"/archive/(\d{4})-(\d{2})-(\d{2})\.html")
_PLAIN_STORY = re.compile(r"(/private)?/story/(\d+)\.html")


def _day(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _page_number(values: list[str] | None) -> int | None:
    """A 1-based page number from a query value; None when it is not one."""
    if not values:
        return 1
    return int(values[0]) if values[0].isdigit() and int(values[0]) >= 1 else None


@dataclass(frozen=True)
class FlavourPages:
    """One request's view of the site for the WordPress and plain HTML routes."""

    site: SampleSite
    base_url: str
    conditional: Conditional
    api: bool  # whether WordPress pages advertise the REST API
    # Posts (by id) the WordPress date archives leave out, as a listing that silently hides
    # some does; their own pages, the sitemaps, the feed and the REST API still show them.
    hidden: frozenset[int] = frozenset()

    # -- WordPress ----------------------------------------------------------------------------

    def wordpress(
        self, path: str, query: dict[str, list[str]], target: str, headers: dict[str, str]
    ) -> Response | None:
        """The answer for a WordPress-shaped ``path``; None when the path is not one."""
        match = _WP.fullmatch(path)
        if match is None:
            return None
        private, year, month, day_s, page_s, slug, slash = match.groups()
        day = _day(year, month, day_s)
        if day is None or (private and not slug):
            return self._wp_not_found()
        if not slash or page_s == "1":
            fixed = path + "/" if not slash else path.removesuffix("page/1/")
            _, mark, kept = target.partition("?")
            location = self.base_url + fixed + mark + kept
            return Response(301, b"", headers={"Location": location})
        if slug:
            return self._wp_post(day, slug, private=bool(private))
        return self._wp_archive(day, int(page_s or 1), query, target, headers)

    def _link_of(self) -> Callable[[SampleArticle], str]:
        slugs: dict[date, dict[int, str]] = {}

        def link_of(article: SampleArticle) -> str:
            day_slugs = slugs.setdefault(article.day, self.site.wordpress_slugs(article.day))
            return self.base_url + wordpress_path(article, day_slugs[article.id])

        return link_of

    def _wp_archive(
        self,
        day: date,
        page: int,
        query: dict[str, list[str]],
        target: str,
        headers: dict[str, str],
    ) -> Response:
        cat = query.get("cat", [""])[0]
        catid = int(cat) if cat.isdigit() else None
        posts = [p for p in self.site.articles_on(day, catid=catid) if p.id not in self.hidden]
        size = self.site.page_size
        total_pages = -(-len(posts) // size)
        if page > total_pages:
            return self._wp_not_found()
        extra = urlencode({"cat": catid}) if catid is not None else ""
        page_html = wordpress.render_archive(
            posts[(page - 1) * size : page * size],
            day=day,
            page=page,
            total_pages=total_pages,
            page_href=lambda n: self.base_url + wordpress_page_path(day, n, extra),
            link_of=self._link_of(),
            base_url=self.base_url,
            recent=self.site.latest_before(day),
            api=self.api,
        )
        return self.conditional(target, page_html.encode(), headers)

    def _wp_post(self, day: date, slug: str, *, private: bool) -> Response:
        slugs = self.site.wordpress_slugs(day)
        same_day = self.site.articles_on(day)
        index = next(
            (i for i, a in enumerate(same_day) if slugs[a.id] == slug and a.private == private),
            None,
        )
        if index is None:
            return self._wp_not_found()
        page_html = wordpress.render_post(
            same_day[index],
            link_of=self._link_of(),
            base_url=self.base_url,
            previous=same_day[index + 1] if index + 1 < len(same_day) else None,
            following=same_day[index - 1] if index > 0 else None,
            related=self.site.latest_before(day)[:3],
            recent=self.site.latest_before(day),
            api=self.api,
        )
        return html_response(200, page_html)

    def _wp_not_found(self) -> Response:
        page_html = wordpress.render_not_found(
            base_url=self.base_url, link_of=self._link_of(), api=self.api
        )
        return html_response(404, page_html)

    # -- plain --------------------------------------------------------------------------------

    def plain(
        self, path: str, query: dict[str, list[str]], target: str, headers: dict[str, str]
    ) -> Response | None:
        """The answer for a plain-flavour ``path``; None when the path is not one."""
        listing = _PLAIN_LISTING.fullmatch(path)
        if listing is not None:
            day = _day(*listing.groups())
            page = _page_number(query.get("page"))
            if day is None or page is None:
                return html_response(404, plain.render_not_found())
            stories = self.site.articles_on(day)
            size = self.site.page_size
            page_html = plain.render_listing(
                stories[(page - 1) * size : page * size],
                day=day,
                page=page,
                total_pages=-(-len(stories) // size),
                most_read=self.site.latest_before(day),
            )
            return self.conditional(target, page_html.encode(), headers)
        story = _PLAIN_STORY.fullmatch(path)
        if story is None:
            return None
        article = self.site.article(int(story.group(2)))
        if article is None or article.offsite_url or plain_story_path(article) != path:
            return html_response(404, plain.render_not_found())
        most_read = self.site.latest_before(article.day)
        return html_response(200, plain.render_story(article, most_read=most_read))
