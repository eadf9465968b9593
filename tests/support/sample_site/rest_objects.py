"""The WordPress REST API's JSON objects for the sample corpus: posts, terms, the author.

Field names and shapes follow ``WP_REST_Posts_Controller`` and ``WP_REST_Terms_Controller``
(``context=view``). Ground-truth-relevant fields: ``date`` (local, no offset), ``date_gmt``
(UTC, no offset), ``link`` (the permalink), ``title.rendered`` (the same HTML as the other
flavours' titles), ``content.rendered`` (intro, ``<!--more-->``, full text: the same author
HTML as the article pages), ``categories`` (ids). Terms carry no ``count``: an endless site
has no post count.
"""

from __future__ import annotations

import html
from typing import Any

from ingest.sample_site.article import CATEGORY_IDS, SampleArticle, slugify
from ingest.sample_site.htmlparts import tags_of
from tests.support.sample_site.content import listing_text
from tests.support.sample_site.wordpress import AUTHOR
from tests.support.sample_site.wordpress_parts import iso_gmt, iso_local, tag_id

Json = dict[str, Any]
UNCATEGORIZED = ("Uncategorized", 1)
AUTHOR_ID = 2
EXCERPT_WORDS = 55  # wp_trim_excerpt's default length


def category_terms() -> list[tuple[str, int]]:
    """Every category of the site, (name, id): WordPress's default one and the corpus's."""
    return [UNCATEGORIZED, *CATEGORY_IDS.items()]


def term(base_url: str, name: str, term_id: int, taxonomy: str, *, embedded: bool) -> Json:
    """A category or tag object; ``embedded`` is the short form ``_embed`` puts in posts."""
    base = slugify(name)
    folder = "category" if taxonomy == "category" else "tag"
    rest_base = "categories" if taxonomy == "category" else "tags"
    links = {
        "self": [{"href": f"{base_url}/wp-json/wp/v2/{rest_base}/{term_id}"}],
        "collection": [{"href": f"{base_url}/wp-json/wp/v2/{rest_base}"}],
    }
    if embedded:
        return {
            "id": term_id,
            "link": f"{base_url}/{folder}/{base}/",
            "name": html.escape(name, quote=False),
            "slug": base,
            "taxonomy": taxonomy,
            "_links": links,
        }
    out: Json = {
        "id": term_id,
        "description": "",
        "link": f"{base_url}/{folder}/{base}/",
        "name": html.escape(name, quote=False),
        "slug": base,
        "taxonomy": taxonomy,
    }
    if taxonomy == "category":
        out["parent"] = 0
    out["meta"] = []
    out["_links"] = links
    return out


def _excerpt(article: SampleArticle) -> str:
    """``wp_trim_excerpt``: the text before ``<!--more-->``, 55 words, then `` [&hellip;]``."""
    words = listing_text(article).split()
    text = html.escape(" ".join(words[:EXCERPT_WORDS]), quote=False).replace("’", "&#8217;")
    more = " [&hellip;]" if len(words) > EXCERPT_WORDS else ""
    return f"<p>{text}{more}</p>\n"


def content_html(article: SampleArticle) -> str:
    """``content.rendered``: the author HTML, the more tag between intro and full text."""
    if not article.has_full_text:
        return article.intro_html
    return f"{article.intro_html}\n<!--more-->\n{article.full_html}"


def post(article: SampleArticle, *, base_url: str, permalink: str, slug: str) -> Json:
    """A post object (``context=view``) with its ``_links``."""
    modified = article.modified or article.created
    rest = f"{base_url}/wp-json/wp/v2"
    return {
        "id": article.id,
        "date": iso_local(article.created),
        "date_gmt": iso_gmt(article.created),
        "guid": {"rendered": f"{base_url}/?p={article.id}"},
        "modified": iso_local(modified),
        "modified_gmt": iso_gmt(modified),
        "slug": slug,
        "status": "publish",
        "type": "post",
        "link": permalink,
        "title": {"rendered": article.title_html},
        "content": {"rendered": content_html(article), "protected": False},
        "excerpt": {"rendered": _excerpt(article), "protected": False},
        "author": AUTHOR_ID,
        "featured_media": 0,
        "comment_status": "closed",
        "ping_status": "closed",
        "sticky": False,
        "template": "",
        "format": "standard",
        "meta": [],
        "categories": [article.catid],
        "tags": [tag_id(t) for t in tags_of(article)],
        "_links": {
            "self": [{"href": f"{rest}/posts/{article.id}"}],
            "collection": [{"href": f"{rest}/posts"}],
            "about": [{"href": f"{rest}/types/post"}],
            "author": [{"embeddable": True, "href": f"{rest}/users/{AUTHOR_ID}"}],
            "wp:term": [
                {
                    "taxonomy": "category",
                    "embeddable": True,
                    "href": f"{rest}/categories?post={article.id}",
                },
                {
                    "taxonomy": "post_tag",
                    "embeddable": True,
                    "href": f"{rest}/tags?post={article.id}",
                },
            ],
            "curies": [{"name": "wp", "href": "https://api.w.org/{rel}", "templated": True}],
        },
    }


def embedded(article: SampleArticle, *, base_url: str, rels: set[str] | None) -> Json:
    """``_embedded`` for a post: its author and ``wp:term`` (categories first, then tags).

    ``rels`` limits it to the named relations (``_embed=wp:term``); None embeds them all.
    """
    out: Json = {}
    if rels is None or "author" in rels:
        out["author"] = [
            {
                "id": AUTHOR_ID,
                "name": AUTHOR,
                "url": "",
                "description": "",
                "link": f"{base_url}/author/soc-media/",
                "slug": "soc-media",
                "_links": {"self": [{"href": f"{base_url}/wp-json/wp/v2/users/{AUTHOR_ID}"}]},
            }
        ]
    if rels is None or "wp:term" in rels:
        categories = [term(base_url, article.category, article.catid, "category", embedded=True)]
        tags = [term(base_url, t, tag_id(t), "post_tag", embedded=True) for t in tags_of(article)]
        out["wp:term"] = [categories, tags]
    return out


def only_fields(data: Json, fields: list[str]) -> Json:
    """``_fields``: keep the named fields; ``a.b`` keeps ``b`` of ``a`` (WordPress 5.3+)."""
    out: Json = {}
    for name in fields:
        head, _, rest = name.partition(".")
        if head not in data:
            continue
        if not rest:
            out[head] = data[head]
        elif isinstance(data[head], dict):
            inner = only_fields(data[head], [rest])
            if inner:
                kept = out.setdefault(head, {})
                if isinstance(kept, dict):
                    kept.update(inner)
    return out
