"""HTML of the sample site, shaped like the real site's K2 "generic" and "item" layouts.

Pure functions: content in, ``str`` out. The chrome around the K2 container (menu, "Latest
news" sidebar, breadcrumb, footer) carries links to other articles on purpose: only links
inside the items are articles of the day.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable, Sequence
from datetime import date

from ingest.sample_site.article import CATEGORY_PATHS, SampleArticle
from ingest.sample_site.content import title_text
from ingest.sample_site.htmlparts import (
    attr,
    format_created,
    format_day,
    format_long_day,
    link,
    tags_of,
)

_MAILTO = "/component/mailto/?tmpl=component"


def default_page_href(day: date, page: int) -> str:
    """The real site's SEF shape for a day's page (1-based)."""
    stem = f"/date/{day.year}/{day.month}/{day.day}"
    return f"{stem}.html" if page <= 1 else f"{stem}/Page-{page}.html"


def item_href(article: SampleArticle, base_url: str) -> str:
    """The title link: off-site URL, or the item path, absolute for some items."""
    if article.offsite_url is not None:
        return article.offsite_url
    return base_url.rstrip("/") + article.url_path if article.absolute_link else article.url_path


# -- chrome ---------------------------------------------------------------------------------

_HEAD_SCRIPT = """<script type="text/javascript">
  window.addEvent('domready', function () { SqueezeBox.initialize({}); });
  var _gaq = _gaq || []; _gaq.push(['_setAccount', 'UA-00000-1']);
  document.write("<p>Script text is not page text</p>");
</script>"""
_HEAD_STYLE = """<style type="text/css">
  #k2Container .genericItemTitle a { color: #0b3c5d; }  /* Coalition News */
  .moduletable h3 { text-transform: uppercase; }
</style>"""
_MENU = (
    ("/", "Home"),
    ("/about-soc.html", "About SOC"),
    ("/media-center.html", "Media Center"),
    ("/media-center/coalition-news.html", "Coalition News"),
    ("/media-center/local-news.html", "Local News"),
    ("/contact-us.html", "Contact Us"),
)


def _breadcrumb(last: str, category: str = "Coalition News") -> str:
    category_path = CATEGORY_PATHS.get(category, CATEGORY_PATHS["Coalition News"])
    crumbs = (
        ("/", "Home"),
        ("/media-center.html", "Media Center"),
        (f"{category_path}.html", category),
    )
    items = "\n".join(
        f'  <li>{link(href, html.escape(text), cls="pathway")}<span class="divider">/</span></li>'
        for href, text in crumbs
    )
    return f'<ul class="breadcrumb">\n{items}\n  <li class="active"><span>{last}</span></li>\n</ul>'


def _sidebar(articles: Sequence[SampleArticle], base_url: str) -> str:
    links = "\n".join(
        f"    <li>{link(item_href(a, base_url), a.title_html, cls='latestnewsitem')}</li>"
        for a in articles
    )
    return (
        '<div class="moduletable latest-news">\n  <h3>Latest news</h3>\n'
        f'  <ul class="latestnews">\n{links}\n  </ul>\n</div>'
    )


def _page(*, title: str, main: str, breadcrumb: str, sidebar: str) -> str:
    menu = "\n".join(f"    <li>{link(href, text)}</li>" for href, text in _MENU)
    return f"""<!DOCTYPE html>
<html lang="en-gb" dir="ltr">
<head>
  <meta charset="utf-8" />
  <meta name="generator" content="Joomla! - Open Source Content Management" />
  <title>{title}</title>
  <link href="/templates/etilaf/css/template.css" rel="stylesheet" type="text/css" />
  {_HEAD_SCRIPT}
  {_HEAD_STYLE}
</head>
<body class="site">
<div id="header">
  <a class="logo" href="/"><img src="/images/logo-en.png" alt="Syrian National Coalition" /></a>
  <ul class="nav menu">
{menu}
  </ul>
</div>
<div id="breadcrumbs">
{breadcrumb}
</div>
<div id="content">
{main}
</div>
<div id="sidebar">
{sidebar}
</div>
<div id="footer">
  <p>Copyright &copy; National Coalition of Syrian Revolution and Opposition Forces</p>
  <a href="/media-center/coalition-news.html">Coalition News</a> |
  <a href="/contact-us.html">Contact Us</a>
</div>
</body>
</html>
"""


# -- listing --------------------------------------------------------------------------------


def _image_block(article: SampleArticle, href: str) -> str:
    digest = hashlib.md5(str(article.id).encode(), usedforsecurity=False).hexdigest()
    title = attr(title_text(article))
    return f"""    <div class="genericItemImageBlock">
      <span class="genericItemImage">
        <a href="{attr(href)}" title="{title}">
          <img src="/media/k2/items/cache/{digest}_M.jpg" alt="{title}" style="width:300px;" />
        </a>
      </span>
      <div class="clr"></div>
    </div>
"""


def _listing_item(article: SampleArticle, base_url: str) -> str:
    href = item_href(article, base_url)
    category_path = CATEGORY_PATHS.get(article.category, CATEGORY_PATHS["Coalition News"])
    image = _image_block(article, href) if article.image and article.offsite_url is None else ""
    read_more = ""
    if article.has_full_text and article.offsite_url is None:
        read_more = f"""  <div class="genericItemReadMore">
    {link(href, "Read more...", cls="k2ReadMore")}
  </div>
"""
    return f"""<div class="genericItemView">
  <div class="genericItemHeader">
    <span class="genericItemDateCreated">{format_day(article.created.date())}</span>
    <h2 class="genericItemTitle">
      {link(href, article.title_html)}
    </h2>
  </div>
  <div class="genericItemCategory">
    <span>In</span>
    {link(f"{category_path}.html", html.escape(article.category))}
  </div>
  <div class="genericItemBody">
{image}    <div class="genericItemIntroText">
      {article.intro_html}
    </div>
    <div class="clr"></div>
  </div>
{read_more}  <div class="clr"></div>
</div>"""


def _pagination(
    page: int, total_pages: int, next_href: str | None, page_href: Callable[[int], str]
) -> str:
    def entry(cls: str, label: str, target: int | None, href: str | None = None) -> str:
        cls_attr = f' class="{cls}"' if cls else ""
        if target is None or target == page:
            return f'    <li{cls_attr}><span class="pagenav">{label}</span></li>'
        anchor = link(href or page_href(target), label, cls="pagenav", title=label)
        return f"    <li{cls_attr}>{anchor}</li>"

    last = page >= total_pages
    rows = [
        entry("pagination-start", "Start", None if page == 1 else 1),
        entry("pagination-prev", "Prev", None if page == 1 else page - 1),
        *(entry("", str(n), n) for n in range(1, total_pages + 1)),
        entry("pagination-next", "Next", None if last or not next_href else page + 1, next_href),
        entry("pagination-end", "End", None if last else total_pages),
    ]
    body = "\n".join(rows)
    return f"""<div class="k2Pagination">
  <ul>
{body}
  </ul>
  <div class="clr"></div>
  Page {page} of {total_pages}
</div>"""


def render_listing(
    articles_on_page: Sequence[SampleArticle],
    *,
    day: date,
    page: int,
    total_pages: int,
    next_href: str | None,
    base_url: str,
    page_href: Callable[[int], str] | None = None,
    sidebar: Sequence[SampleArticle] = (),
) -> str:
    """A day's listing page: K2 generic view in the site's chrome.

    ``next_href`` is used verbatim for "Next"; ``page_href`` builds the other page links
    (default: the real site's ``/date/Y/M/D/Page-N.html``).
    """
    href_of = page_href or (lambda n: default_page_href(day, n))
    if articles_on_page:
        items = "\n".join(_listing_item(a, base_url) for a in articles_on_page)
        listing = f'<div class="genericItemList">\n{items}\n</div>'
    else:
        listing = '<div id="genericItemListNothingFound">\n  <p>No results found!</p>\n</div>'
    pagination = ""
    if total_pages > 1:
        pagination = _pagination(page, total_pages, next_href, href_of)
    main = f"""<div id="k2Container" class="genericView">
  <div class="componentheading">Coalition News</div>
{listing}
{pagination}
</div>"""
    long_day = format_long_day(day)
    return _page(
        title=f"Items filtered by date: {long_day}",
        main=main,
        breadcrumb=_breadcrumb(f"Items filtered by date: {long_day}"),
        sidebar=_sidebar(sidebar, base_url),
    )


# -- article --------------------------------------------------------------------------------


def render_article(
    article: SampleArticle,
    *,
    base_url: str,
    related: Sequence[SampleArticle] = (),
    previous: SampleArticle | None = None,
    following: SampleArticle | None = None,
    sidebar: Sequence[SampleArticle] = (),
) -> str:
    """An item page: K2 item view in the site's chrome."""
    category_path = CATEGORY_PATHS.get(article.category, CATEGORY_PATHS["Coalition News"])
    if article.has_full_text:
        body = f"""    <div class="itemIntroText">
      {article.intro_html}
    </div>
    <div class="itemFullText">
      {article.full_html}
    </div>"""
    else:
        # K2 prints an item without full text as its intro inside itemFullText alone.
        body = f"""    <div class="itemFullText">
      {article.intro_html}
    </div>"""
    tags = "\n".join(
        f"        <li>{link(f'/component/k2/itemlist/tag/{t}.html', html.escape(t))}</li>"
        for t in tags_of(article)
    )
    related_links = "\n".join(
        f"      <li>{link(item_href(a, base_url), a.title_html)}</li>" for a in related
    )
    navigation = ""
    if previous is not None:
        navigation += link(
            item_href(previous, base_url), f"&laquo; {previous.title_html}", cls="itemPrevious"
        )
    if following is not None:
        navigation += link(
            item_href(following, base_url), f"{following.title_html} &raquo;", cls="itemNext"
        )
    print_href = f"{article.url_path}?tmpl=component&amp;print=1"
    modified = format_created(article.modified or article.created)
    main = f"""<div id="k2Container" class="itemView">
  <div class="itemToolbar">
    <ul>
      <li><a class="itemPrintLink" rel="nofollow" href="{print_href}">Print</a></li>
      <li><a class="itemEmailLink" rel="nofollow" href="{_MAILTO}">Email</a></li>
    </ul>
  </div>
  <div class="itemHeader">
    <span class="itemDateCreated">{format_created(article.created)}</span>
    <h2 class="itemTitle">
      {article.title_html}
    </h2>
  </div>
  <div class="itemBody">
{body}
    <div class="clr"></div>
  </div>
  <div class="itemLinks">
    <div class="itemCategory">
      <span>Published in</span>
      {link(f"{category_path}.html", html.escape(article.category))}
    </div>
    <div class="itemTagsBlock">
      <span>Tagged under</span>
      <ul class="itemTags">
{tags}
      </ul>
    </div>
  </div>
  <span class="itemDateModified">Last modified on {modified}</span>
  <div class="itemRelated">
    <h3>Related items</h3>
    <ul>
{related_links}
    </ul>
  </div>
  <div class="itemNavigation">
    <span class="itemNavigationTitle">More in this category:</span>
    {navigation}
  </div>
</div>"""
    return _page(
        title=html.escape(title_text(article)),
        main=main,
        breadcrumb=_breadcrumb(article.title_html, article.category),
        sidebar=_sidebar(sidebar, base_url),
    )


def render_not_found() -> str:
    """Joomla's error page for an unknown URL (status 404)."""
    return _page(
        title="404 - Error: 404",
        main='<div class="error"><h1>404 - Component not found</h1></div>',
        breadcrumb=_breadcrumb("Error"),
        sidebar="",
    )
