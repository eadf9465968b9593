"""Author-written HTML for intro and full text, rendered from plain-text paragraphs.

The plain paragraphs are the ground truth; this module is the only place that turns them into
HTML, so the two cannot disagree. Every quirk here keeps the paragraph semantics a scraper is
expected to apply: each ``<p>``, ``<div>``, ``<li>``, ``<blockquote>`` or heading is a paragraph,
each ``<br>``-separated line is a paragraph, empty ones are dropped, whitespace (NBSP included)
collapses, and ``<script>``/``<style>`` text is never text.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass

SCRIPT_SNIPPETS: tuple[str, ...] = (
    '<script>document.write("<p>fake</p>")</script>',
    '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>',
    "<script>var _gaq = _gaq || []; _gaq.push(['_trackPageview']); // tracker text</script>",
    '<script type="text/javascript">if (a < b && c > d) { console.log("hidden"); }</script>',
)
STYLE_SNIPPETS: tuple[str, ...] = (
    "<style>.tweet p { margin: 0; } /* style text */</style>",
    '<style type="text/css">p.MsoNormal { font-family: "Times New Roman"; }</style>',
)


def collapse(text: str) -> str:
    """Collapse runs of whitespace (NBSP included) to one space, as the ground truth does."""
    return " ".join(text.split())


@dataclass(frozen=True)
class HtmlStyle:
    """Which quirks one block of author HTML carries; per-paragraph choices come from ``seed``."""

    seed: int = 0
    unclosed_p: bool = False
    br_lines: bool = False
    div_paragraphs: bool = False
    lists: bool = False
    blockquote: bool = False
    script: bool = False
    style_tag: bool = False
    nbsp: bool = False
    quot_entity: bool = False
    numeric_entities: bool = False
    strong: bool = False
    unclosed_div: bool = False  # only for intro text: nests whatever follows inside it

    @classmethod
    def clean(cls) -> HtmlStyle:
        return cls()

    @classmethod
    def random(cls, rng: random.Random, *, intro: bool) -> HtmlStyle:
        """Draw quirks at realistic per-block rates (see the package docstring for the list)."""
        return cls(
            seed=rng.randrange(1 << 30),
            unclosed_p=rng.random() < 0.15,
            br_lines=rng.random() < 0.10,
            div_paragraphs=rng.random() < 0.06,
            lists=not intro and rng.random() < 0.05,
            blockquote=rng.random() < 0.05,
            script=rng.random() < 0.08,
            style_tag=rng.random() < 0.05,
            nbsp=rng.random() < 0.15,
            quot_entity=rng.random() < 0.30,
            numeric_entities=rng.random() < 0.30,
            strong=rng.random() < 0.10,
            unclosed_div=intro and rng.random() < 0.04,
        )


def escape_text(text: str, *, quot_entity: bool, numeric_entities: bool) -> str:
    """Escape text for HTML, the way editors of the era did (named or numeric entities)."""
    out = html.escape(text, quote=False)
    if quot_entity:
        out = out.replace('"', "&quot;")
    if numeric_entities:
        out = (
            out.replace("\u2019", "&#8217;")
            .replace("\u2018", "&#8216;")
            .replace("\u201c", "&#8220;")
            .replace("\u201d", "&#8221;")
            .replace("\u2013", "&#8211;")
        )
    return out


def _inline(text: str, style: HtmlStyle, rng: random.Random) -> str:
    """One paragraph's inline HTML: escaped, maybe with NBSPs and a bold lead word."""
    words = text.split(" ")
    if style.strong and len(words) > 3 and rng.random() < 0.3 and words[0].isalpha():
        words[0] = f"<strong>{words[0]}</strong>"
        body = " ".join(
            [words[0]]
            + [
                escape_text(
                    w, quot_entity=style.quot_entity, numeric_entities=style.numeric_entities
                )
                for w in words[1:]
            ]
        )
    else:
        body = escape_text(
            text, quot_entity=style.quot_entity, numeric_entities=style.numeric_entities
        )
    if style.nbsp and rng.random() < 0.4:
        # Word processors leave NBSPs after full stops and at paragraph ends.
        body = body.replace(". ", ".&nbsp; ", 1) + "&nbsp;"
    return body


def render_paragraphs(paragraphs: tuple[str, ...], style: HtmlStyle) -> str:
    """Render paragraphs as author HTML with the quirks ``style`` asks for."""
    rng = random.Random(style.seed)
    parts: list[str] = []
    if style.unclosed_div:
        parts.append('<div class="embed-wrapper" style="clear: both;">')
    if style.style_tag:
        parts.append(rng.choice(STYLE_SNIPPETS))
    i = 0
    n = len(paragraphs)
    while i < n:
        roll = rng.random()
        if style.br_lines and roll < 0.35 and i + 1 < n:
            group = paragraphs[i : i + rng.randint(2, 3)]
            lines = (_inline(p, style, rng) for p in group)
            sep = rng.choice(("<br>\n", "<br />\n", "<br/>"))
            parts.append("<p>" + sep.join(lines) + "</p>")
            i += len(group)
            continue
        if style.lists and roll < 0.5 and i + 1 < n:
            group = paragraphs[i : i + rng.randint(2, 3)]
            items = "".join(f"\n  <li>{_inline(p, style, rng)}</li>" for p in group)
            parts.append(f"<ul>{items}\n</ul>")
            i += len(group)
            continue
        text = _inline(paragraphs[i], style, rng)
        if style.blockquote and roll > 0.8:
            parts.append(f'<blockquote class="quote"><p>{text}</p></blockquote>')
        elif style.div_paragraphs and roll < 0.6:
            parts.append(f"<div>{text}</div>")
        elif style.unclosed_p and roll < 0.7:
            parts.append(f"<p>{text}")  # closed implicitly by the next block
        else:
            parts.append(f'<p style="text-align: justify;">\n\t{text}</p>')
        if style.script and rng.random() < 0.4:
            parts.append(rng.choice(SCRIPT_SNIPPETS))
        if style.nbsp and rng.random() < 0.15:
            parts.append("<p>&nbsp;</p>")  # an empty paragraph, dropped by the semantics
        i += 1
    if style.script and not any("<script" in p for p in parts):
        # Inline script at the end of the last paragraph: a tweet embed's loader.
        parts.append(SCRIPT_SNIPPETS[0])
    return "\n".join(parts)


def title_to_html(title: str, *, numeric_entities: bool = True, raw_amp: bool = False) -> str:
    """Render a plain title as it appears inside the ``<a>``/``<h2>``."""
    out = escape_text(title, quot_entity=True, numeric_entities=numeric_entities)
    if raw_amp:
        out = out.replace("&amp;", "&")  # a bare "& " is still a literal ampersand in HTML
    return out
