"""The sample site's WordPress REST API (``/wp-json/wp/v2/``): routes, parameters, errors.

Behaves as ``WP_REST_Posts_Controller`` and ``WP_REST_Terms_Controller`` do for a reader:

- ``GET /wp-json/wp/v2/posts``: ``page`` (default 1), ``per_page`` (default 10, 1–100),
  ``after`` and ``before`` (ISO 8601, **exclusive**; without an offset they are the site's
  local time and compare with the post's ``date``, with one (or ``Z``) they are converted),
  ``order`` (``desc``), ``orderby`` (``date``; also ``modified``, ``id``, ``slug``, ``title``;
  the other names WordPress accepts sort by date), ``categories`` (ids), ``_fields``,
  ``_embed``. Headers ``X-WP-Total``, ``X-WP-TotalPages``, ``Link`` (rel="prev"/"next").
  Errors: 400 ``rest_invalid_param`` (bad parameters, all of them named at once), 400
  ``rest_post_invalid_page_number`` (a page past the last, when there are posts).
- ``GET /wp-json/wp/v2/posts/{id}``, ``/categories`` (``include``, ``post``, ``per_page``,
  ``page``), ``/categories/{id}``, ``/wp-json/`` (the index); anything else 404
  ``rest_no_route``. A site with the API turned off answers every route 401 or 403
  ``rest_disabled``.

The site is endless, so a query without ``after`` (``before``) starts (ends) at the first
(last) day of ``span``; each day in between is generated, so keep spans to months.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

from ingest.sample_site.article import SampleArticle
from ingest.sample_site.content import title_text
from ingest.sample_site.server import Response
from tests.support.sample_site import rest_objects as objects
from tests.support.sample_site.content import SITE_TZ, SampleSite
from tests.support.sample_site.flavours import API_ROOT, wordpress_path
from tests.support.sample_site.responses import json_response
from tests.support.sample_site.wordpress_theme import SITE_NAME, TAGLINE

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}(:?\d{2})?)?")
_ORDERBY = (
    "author", "date", "id", "include", "modified", "parent", "relevance", "slug",
    "include_slugs", "title",
)  # fmt: skip
T = TypeVar("T")
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Access-Control-Expose-Headers": "X-WP-Total, X-WP-TotalPages, Link",
    "Allow": "GET",
    "X-Robots-Tag": "noindex",
}


@dataclass(frozen=True)
class _Invalid:
    name: str
    code: str
    message: str


@dataclass(frozen=True)
class RestApi:
    """The API of one site at ``base_url``; ``enabled`` False answers ``disabled_status``."""

    site: SampleSite
    base_url: str
    span: tuple[date, date]
    enabled: bool = True
    disabled_status: int = 401

    def respond(self, path: str, query: list[tuple[str, str]]) -> Response:
        """The answer to a GET of ``path`` under ``/wp-json`` with ``query`` (in order)."""
        if not self.enabled:
            message = "The REST API is disabled on this site."
            return _error(self.disabled_status, "rest_disabled", message)
        params = dict(query)  # PHP's parse: the last value of a repeated name wins
        route = path.removeprefix(API_ROOT.rstrip("/")).rstrip("/")
        if route == "":
            return json_response(200, self._index(), dict(_HEADERS))
        handlers: dict[str, Callable[[dict[str, str]], Response]] = {
            "/wp/v2/posts": self._posts,
            "/wp/v2/categories": self._categories,
        }
        if route in handlers:
            try:
                return handlers[route](params)
            except _InvalidParams as exc:
                return exc.response()
        head, _, item = route.rpartition("/")
        if head in ("/wp/v2/posts", "/wp/v2/categories") and item.isdigit():
            return self._post(int(item)) if head.endswith("posts") else self._category(int(item))
        message = "No route was found matching the URL and request method."
        return _error(404, "rest_no_route", message)

    # -- posts --------------------------------------------------------------------------------

    def _posts(self, params: dict[str, str]) -> Response:
        checked = _Checked(params)
        page = checked.integer("page", 1, minimum=1)
        per_page = checked.integer("per_page", 10, minimum=1, maximum=100)
        after = checked.moment("after")
        before = checked.moment("before")
        order = checked.enum("order", "desc", ("asc", "desc"))
        orderby = checked.enum("orderby", "date", _ORDERBY)
        categories = checked.integers("categories")
        checked.raise_any()
        first = after.date() if after is not None else self.span[0]
        last = before.date() if before is not None else self.span[1]
        posts = [
            a
            for n in range((last - first).days + 1)
            for a in self.site.articles_on(first + timedelta(days=n))
            if (after is None or a.created > after)
            and (before is None or a.created < before)
            and (categories is None or a.catid in categories)
        ]
        posts.sort(key=_sort_key(orderby), reverse=order == "desc")
        total = len(posts)
        pages = math.ceil(total / per_page)
        if page > pages and total > 0:
            message = "The page number requested is larger than the number of pages available."
            return _error(400, "rest_post_invalid_page_number", message)
        shown = posts[(page - 1) * per_page : page * per_page]
        headers = {**_HEADERS, "X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        links = self._page_links(params, page, pages)
        if links:
            headers["Link"] = links
        return json_response(200, [self._post_json(a, params) for a in shown], headers)

    def _post(self, post_id: int) -> Response:
        article = self.site.article(post_id)
        if article is None:
            return _error(404, "rest_post_invalid_id", "Invalid post ID.")
        return json_response(200, self._post_json(article, {}), dict(_HEADERS))

    def _post_json(self, article: SampleArticle, params: dict[str, str]) -> dict[str, Any]:
        slug = self.site.wordpress_slugs(article.day)[article.id]
        permalink = self.base_url + wordpress_path(article, slug)
        data = objects.post(article, base_url=self.base_url, permalink=permalink, slug=slug)
        fields = None
        if "_fields" in params:
            fields = [f.strip() for f in params["_fields"].split(",") if f.strip()]
        if "_embed" in params and (fields is None or {"_links", "_embedded"} & set(fields)):
            embed = params["_embed"]
            everything = embed.strip().lower() in ("", "1", "true")  # rest_parse_embed_param
            rels = None if everything else {r.strip() for r in embed.split(",")}
            data["_embedded"] = objects.embedded(article, base_url=self.base_url, rels=rels)
        return data if fields is None else objects.only_fields(data, fields)

    def _page_links(self, params: dict[str, str], page: int, pages: int) -> str:
        """``Link``: prev and next, on the request's own query without ``page``."""
        base = self.base_url + API_ROOT + "wp/v2/posts"
        rest = [(k, v) for k, v in params.items() if k != "page"]
        links: list[str] = []
        if page > 1:
            query = urlencode([*rest, ("page", min(page - 1, pages))])
            links.append(f'<{base}?{query}>; rel="prev"')
        if page < pages:
            query = urlencode([*rest, ("page", page + 1)])
            links.append(f'<{base}?{query}>; rel="next"')
        return ", ".join(links)

    # -- categories ---------------------------------------------------------------------------

    def _categories(self, params: dict[str, str]) -> Response:
        checked = _Checked(params)
        page = checked.integer("page", 1, minimum=1)
        per_page = checked.integer("per_page", 10, minimum=1, maximum=100)
        include = checked.integers("include")
        post_id = checked.integer("post", 0, minimum=0)
        checked.raise_any()
        terms = sorted(objects.category_terms())  # orderby=name, order=asc
        if include is not None:
            terms = [t for t in terms if t[1] in include]
        if post_id:
            article = self.site.article(post_id)
            terms = [t for t in terms if article is not None and t[1] == article.catid]
        total, pages = len(terms), math.ceil(len(terms) / per_page)
        shown = terms[(page - 1) * per_page : page * per_page]
        headers = {**_HEADERS, "X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        body = [objects.term(self.base_url, n, i, "category", embedded=False) for n, i in shown]
        return json_response(200, body, headers)

    def _category(self, term_id: int) -> Response:
        for name, known in objects.category_terms():
            if known == term_id:
                body = objects.term(self.base_url, name, term_id, "category", embedded=False)
                return json_response(200, body, dict(_HEADERS))
        return _error(404, "rest_term_invalid", "Term does not exist.")

    def _index(self) -> dict[str, Any]:
        return {
            "name": SITE_NAME,
            "description": TAGLINE,
            "url": self.base_url,
            "home": self.base_url,
            "gmt_offset": 2,
            "timezone_string": str(SITE_TZ),
            "namespaces": ["oembed/1.0", "wp/v2"],
            "routes": {
                f"/wp/v2/{name}": {"namespace": "wp/v2", "methods": ["GET"]}
                for name in ("posts", "categories")
            },
        }


def _sort_key(orderby: str) -> Callable[[SampleArticle], tuple[Any, ...]]:
    if orderby == "id":
        return lambda a: (a.id,)
    if orderby == "modified":
        return lambda a: (a.modified or a.created, a.id)
    if orderby == "title":
        return lambda a: (title_text(a).casefold(), a.id)
    if orderby == "slug":
        return lambda a: (a.alias, a.id)
    return lambda a: (a.created, a.id)


def _error(status: int, code: str, message: str, **data: Any) -> Response:
    payload = {"code": code, "message": message, "data": {"status": status, **data}}
    return json_response(status, payload, dict(_HEADERS))


class _InvalidParams(Exception):
    def __init__(self, problems: list[_Invalid]) -> None:
        super().__init__(", ".join(p.name for p in problems))
        self.problems = problems

    def response(self) -> Response:
        names = ", ".join(p.name for p in self.problems)
        return _error(
            400,
            "rest_invalid_param",
            f"Invalid parameter(s): {names}",
            params={p.name: p.message for p in self.problems},
            details={
                p.name: {"code": p.code, "message": p.message, "data": None} for p in self.problems
            },
        )


class _Checked:
    """Reads parameters as WordPress's schema validation does, collecting every problem."""

    def __init__(self, params: dict[str, str]) -> None:
        self._params = params
        self._problems: list[_Invalid] = []

    def raise_any(self) -> None:
        if self._problems:
            raise _InvalidParams(self._problems)

    def integer(self, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        raw = self._params.get(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not value.is_integer():
            return self._bad(name, "rest_invalid_type", f"{name} is not of type integer.", default)
        number = int(value)
        if maximum is not None and not minimum <= number <= maximum:
            message = f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)"
            return self._bad(name, "rest_out_of_bounds", message, default)
        if number < minimum:
            message = f"{name} must be greater than or equal to {minimum}"
            return self._bad(name, "rest_out_of_bounds", message, default)
        return number

    def integers(self, name: str) -> set[int] | None:
        raw = self._params.get(name)
        if raw is None:
            return None
        values: set[int] = set()
        for i, part in enumerate(p.strip() for p in raw.split(",")):
            if not part.isdigit():
                message = f"{name}[{i}] is not of type integer."
                return self._bad(name, "rest_invalid_type", message, None)
            values.add(int(part))
        return values

    def moment(self, name: str) -> datetime | None:
        """A date-time as the site's naive local time (converted when it has an offset)."""
        raw = self._params.get(name)
        if raw is None:
            return None
        match = _DATE.fullmatch(raw)
        try:
            if match is None:
                raise ValueError(raw)
            text = raw[:10] + "T" + raw[11:19] + (match.group(1) or "")[:7]
            offset = (match.group(2) or "").upper().replace("Z", "+00:00")
            if offset and ":" not in offset:
                offset = offset[:3] + ":" + (offset[3:] or "00")
            value = datetime.fromisoformat(text + offset)
        except ValueError:
            return self._bad(name, "rest_invalid_date", "Invalid date.", None)
        if value.tzinfo is not None:
            value = value.astimezone(SITE_TZ).replace(tzinfo=None)
        return value

    def enum(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        raw = self._params.get(name)
        if raw is None:
            return default
        if raw not in allowed:
            listed = ", ".join(allowed[:-1]) + f" and {allowed[-1]}"
            if len(allowed) > 2:
                listed = ", ".join(allowed[:-1]) + f", and {allowed[-1]}"
            return self._bad(name, "rest_not_in_enum", f"{name} is not one of {listed}.", default)
        return raw

    def _bad(self, name: str, code: str, message: str, fallback: T) -> T:
        self._problems.append(_Invalid(name, code, message))
        return fallback
