"""Twenty Twenty-One's page chrome and the plugin blocks of the WordPress flavour.

Everything here surrounds the posts and is not article text: ``header.php`` and
``site-header``/``site-nav`` (menu), the footer widget area (search, "Recent Posts" linking
other days' posts, archives, categories), ``footer.php``, inline scripts and styles, and what
plugins append to a post's content (an ad slot, Jetpack sharing and related posts).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from ingest.sample_site.article import CATEGORY_IDS, SampleArticle, slugify
from ingest.sample_site.content import title_text
from ingest.sample_site.htmlparts import MONTHS, attr, link

SITE_NAME = "Syrian Coalition"
TAGLINE = "National Coalition of Syrian Revolution and Opposition Forces"
LinkOf = Callable[[SampleArticle], str]  # a post's absolute permalink

_ICON = (
    '<svg class="svg-icon" width="24" height="24" aria-hidden="true" role="img" '
    'focusable="false" viewBox="0 0 24 24" fill="none" xmlns="http://www.w3.org/2000/svg">'
    '<path fill-rule="evenodd" clip-rule="evenodd" d="{d}" fill="currentColor"></path></svg>'
)
ARROW_LEFT = _ICON.format(d="M20 13v-2H8l4-4-1.4-1.4L4.2 12l6.4 6.4L12 17l-4-4h12z")
ARROW_RIGHT = _ICON.format(d="M4 13v-2h12l-4-4 1.4-1.4 6.4 6.4-6.4 6.4L12 17l4-4H4z")

_EMOJI = (
    "<script>\nwindow._wpemojiSettings = "
    '{"baseUrl":"https:\\/\\/s.w.org\\/images\\/core\\/emoji\\/13.0.1\\/72x72\\/",'
    '"ext":".png","source":{"concatemoji":"\\/wp-includes\\/js\\/wp-emoji-release.min.js"}};\n'
    '!function(e,a,t){var n,r,o,i=a.createElement("canvas");/* "<p>not text</p>" */}'
    "(window,document,window._wpemojiSettings);\n</script>\n"
    "<style>\nimg.wp-smiley, img.emoji { display: inline !important; border: none !important; }"
    "\n</style>"
)
_FOOTER_SCRIPTS = """<script>document.body.classList.remove("no-js");</script>
<script>
if ( -1 !== navigator.userAgent.indexOf( 'MSIE' )
  || -1 !== navigator.userAgent.indexOf( 'Trident/' ) ) {
	document.body.classList.add( 'is-IE' );
}
</script>
<script src="/wp-includes/js/wp-embed.min.js?ver=5.7" id="wp-embed-js"></script>"""


def category_url(base_url: str, category: str) -> str:
    return f"{base_url}/category/{slugify(category)}/"


def _menu(base_url: str) -> str:
    entries = [("/", "Home"), ("/about-soc/", "About SOC")]
    entries += [(f"/category/{slugify(name)}/", name) for name in CATEGORY_IDS]
    entries.append(("/contact-us/", "Contact Us"))
    items = "\n".join(
        f'<li id="menu-item-{10 + i}" class="menu-item menu-item-type-custom menu-item-{10 + i}">'
        f"{link(base_url + path, html.escape(text))}</li>"
        for i, (path, text) in enumerate(entries)
    )
    return f"""<nav id="site-navigation" class="primary-navigation" role="navigation"
  aria-label="Primary menu">
<div class="menu-button-container">
<button id="primary-mobile-menu" class="button" aria-controls="primary-menu-list"
  aria-expanded="false">
<span class="dropdown-icon open">Menu</span><span class="dropdown-icon close">Close</span>
</button>
</div>
<div class="primary-menu-container"><ul id="primary-menu-list" class="menu-wrapper">
{items}
</ul></div>
</nav><!-- #site-navigation -->"""


def search_form(base_url: str, n: int) -> str:
    return f"""<form role="search" method="get" class="search-form" action="{base_url}/">
<label for="search-form-{n}">Search&hellip;</label>
<input type="search" id="search-form-{n}" class="search-field" value="" name="s" />
<input type="submit" class="search-submit" value="Search" />
</form>"""


def _widgets(base_url: str, recent: Sequence[SampleArticle], link_of: LinkOf) -> str:
    posts = "\n".join(f"<li>{link(link_of(a), a.title_html)}</li>" for a in recent)
    months = sorted({(a.day.year, a.day.month) for a in recent}, reverse=True)
    archives = "\n".join(
        f"<li>{link(f'{base_url}/{y}/{m:02d}/', f'{MONTHS[m - 1]} {y}')}</li>" for y, m in months
    )
    categories = "\n".join(
        f'<li class="cat-item cat-item-{term}">'
        f"{link(category_url(base_url, name), html.escape(name))}</li>"
        for name, term in CATEGORY_IDS.items()
    )
    return f"""<aside class="widget-area">
<section id="search-2" class="widget widget_search">{search_form(base_url, 2)}</section>
<section id="recent-posts-2" class="widget widget_recent_entries">
<h2 class="widget-title">Recent Posts</h2><nav role="navigation" aria-label="Recent Posts">
<ul>
{posts}
</ul>
</nav></section>
<section id="archives-2" class="widget widget_archive"><h2 class="widget-title">Archives</h2>
<nav role="navigation" aria-label="Archives"><ul>
{archives}
</ul></nav></section>
<section id="categories-2" class="widget widget_categories">
<h2 class="widget-title">Categories</h2>
<nav role="navigation" aria-label="Categories"><ul>
{categories}
</ul></nav></section>
</aside><!-- .widget-area -->"""


def render_page(
    *,
    title: str,
    body_class: str,
    main: str,
    base_url: str,
    recent: Sequence[SampleArticle],
    link_of: LinkOf,
    api: bool,
    head_extra: str = "",
) -> str:
    """A whole page: ``header.php``, ``main``, the widget area and ``footer.php``.

    ``api`` adds the REST API's discovery link, which sites that turned the API off remove.
    """
    api_link = f'<link rel="https://api.w.org/" href="{base_url}/wp-json/" />\n' if api else ""
    return f"""<!doctype html>
<html lang="en-US" >
<head>
<meta charset="UTF-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>{title} &#8211; {SITE_NAME}</title>
<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} &raquo; Feed"
  href="{base_url}/feed/" />
{_EMOJI}
<link rel="stylesheet" id="wp-block-library-css" media="all"
  href="{base_url}/wp-includes/css/dist/block-library/style.min.css?ver=5.7" />
<link rel="stylesheet" id="twenty-twenty-one-style-css" media="all"
  href="{base_url}/wp-content/themes/twentytwentyone/style.css?ver=1.2" />
{api_link}{head_extra}<meta name="generator" content="WordPress 5.7" />
</head>

<body class="{body_class} wp-embed-responsive is-light-theme no-js has-main-navigation">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
<header id="masthead" class="site-header has-title-and-tagline has-menu" role="banner">
<div class="site-branding">
<p class="site-title"><a href="{base_url}/">{SITE_NAME}</a></p>
<p class="site-description">{TAGLINE}</p>
</div><!-- .site-branding -->
{_menu(base_url)}
</header><!-- #masthead -->
<div id="content" class="site-content">
<div id="primary" class="content-area">
<main id="main" class="site-main" role="main">
{main}
</main><!-- #main -->
</div><!-- #primary -->
</div><!-- #content -->
{_widgets(base_url, recent, link_of)}
<footer id="colophon" class="site-footer" role="contentinfo">
<div class="site-info">
<div class="site-name"><a href="{base_url}/">{SITE_NAME}</a></div>
<div class="powered-by">Proudly powered by <a href="https://wordpress.org/">WordPress</a>.</div>
</div><!-- .site-info -->
</footer><!-- #colophon -->
</div><!-- #page -->
{_FOOTER_SCRIPTS}
</body>
</html>
"""


def plugin_blocks(
    article: SampleArticle, permalink: str, related: Sequence[SampleArticle], link_of: LinkOf
) -> str:
    """What plugins append to ``the_content``: an ad slot, Jetpack sharing and related posts,
    an inline script and style. Text and links, none of it the article."""
    shares = "".join(
        f'<li class="share-{name.lower()}"><a rel="nofollow noopener noreferrer" '
        f'data-shared="sharing-{name.lower()}-{article.id}" '
        f'class="share-{name.lower()} sd-button share-icon" '
        f'href="{attr(permalink)}?share={name.lower()}" target="_blank" '
        f'title="Click to share on {name}"><span>{name}</span></a></li>'
        for name in ("Twitter", "Facebook", "WhatsApp")
    )
    items = "\n".join(
        f'<div class="jp-relatedposts-post jp-relatedposts-post{i}" data-post-id="{a.id}">\n'
        '<h4 class="jp-relatedposts-post-title">'
        f"{link(link_of(a), a.title_html, cls='jp-relatedposts-post-a')}</h4>\n"
        f'<p class="jp-relatedposts-post-excerpt">{html.escape(title_text(a))}</p>\n'
        f'<p class="jp-relatedposts-post-context">In &quot;{html.escape(a.category)}&quot;</p>\n'
        "</div>"
        for i, a in enumerate(related)
    )
    return f"""<div class="wp-block-ad code-block code-block-2" style="margin: 8px 0;">
<span class="ad-label">Advertisement</span>
<ins class="adsbygoogle" style="display:block" data-ad-client="ca-pub-0000000000000000"
  data-ad-slot="1234567890"></ins>
<script>(adsbygoogle = window.adsbygoogle || []).push({{}});</script>
</div>
<div class="sharedaddy sd-sharing-enabled">
<div class="robots-nocontent sd-block sd-social sd-social-icon-text sd-sharing">
<h3 class="sd-title">Share this:</h3>
<div class="sd-content"><ul>{shares}<li class="share-end"></li></ul></div>
</div></div>
<div id="jp-relatedposts" class="jp-relatedposts">
<h3 class="jp-relatedposts-headline"><em>Related</em></h3>
<div class="jp-relatedposts-items jp-relatedposts-items-visual">
{items}
</div>
</div>
<script>var sharing_js_options = {{"lang":"en","counts":"1"}}; /* "<p>not text</p>" */</script>
<style>.sd-social-icon-text .sd-content ul li a span {{ margin-left: 4px; }}</style>"""
