"""Text helpers: paragraphs from author HTML, title keys, content hashes, XML text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from selectolax.lexbor import LexborHTMLParser

from ingest.text import (
    content_hash,
    html_input,
    is_page_furniture,
    paragraphs_of,
    paragraphs_of_html,
    plain_text,
    title_key,
    xml_text,
)


def _paragraphs(html: str) -> list[str]:
    body = LexborHTMLParser(f"<div id=x>{html}</div>").css_first("#x")
    assert body is not None
    return paragraphs_of(body)


def test_paragraphs_blocks_breaks_and_whitespace() -> None:
    """<p>, <div> and <br> break paragraphs; whitespace and NBSP collapse; entities decode."""
    html = "<p>One&nbsp;&nbsp; two\n three<p>Four &amp; five<br>six<br><br><div>seven</div>"
    assert _paragraphs(html) == ["One two three", "Four & five", "six", "seven"]


def test_script_and_style_text_is_dropped() -> None:
    """Embedded scripts and styles never reach the body."""
    html = '<p>Keep<script>document.write("<p>fake</p>")</script> this<style>p{}</style></p>'
    assert _paragraphs(html) == ["Keep this"]


def test_inline_elements_do_not_break_paragraphs() -> None:
    """Links and emphasis stay inside their paragraph."""
    assert _paragraphs("<p>A <a href=#>link</a> and <em>em</em>.</p>") == ["A link and em."]


def test_title_key_folds_near_duplicates() -> None:
    """Spacing, case, curly quotes, dashes and entities do not make a different title."""
    base = title_key("Syrian Coalition’s Int’l Efforts – Idlib & Moscow")
    for variant in (
        "syrian  coalition's int'l efforts - idlib &amp; moscow",
        "SYRIAN COALITION’S INT’L EFFORTS — IDLIB & MOSCOW",
        " Syrian Coalition&#8217;s Int&#8217;l Efforts &#8211; Idlib &amp; Moscow ",
    ):
        assert title_key(variant) == base
    assert title_key("Weekly Briefing 1") != title_key("Weekly Briefing 2")


def test_content_hash_tells_none_from_empty() -> None:
    """A missing value and an empty one hash differently; order matters."""
    assert content_hash(None, "a") != content_hash("", "a")
    assert content_hash("a", "b") != content_hash("b", "a")
    assert content_hash("a", "b") == content_hash("a", "b")


def test_page_furniture_is_not_text() -> None:
    """Share buttons, related posts, ad slots, "Continue reading" and forms are left out."""
    html = (
        '<p>Kept.</p><div class="sharedaddy sd-sharing-enabled"><h3>Share this:</h3></div>'
        '<div id="jp-relatedposts" class="jp-relatedposts"><h3>Related</h3></div>'
        '<div class="wpcnt"><span>Advertisements</span></div><form><label>Search</label></form>'
        '<p>Also kept&hellip; <a class="more-link" href="/x">Continue reading</a></p>'
    )
    body = LexborHTMLParser(f"<div id=x>{html}</div>").css_first("#x")
    assert body is not None
    assert paragraphs_of(body, skip=is_page_furniture) == ["Kept.", "Also kept…"]
    assert "Share this:" in paragraphs_of(body)


def test_paragraphs_of_an_html_fragment() -> None:
    """A fragment is parsed on its own; furniture is dropped by default; blank is nothing."""
    html = "<p>One</p><div class='sd-block'>Like</div><p>Two &amp; three"
    assert paragraphs_of_html(html) == ["One", "Two & three"]
    assert paragraphs_of_html(html, skip=None) == ["One", "Like", "Two & three"]
    assert paragraphs_of_html("  ") == []


def test_plain_text_of_a_title() -> None:
    """Tags dropped, entities decoded (wptexturize's included), whitespace collapsed."""
    assert plain_text("Coalition&#8217;s <em>envoy</em>\n &#8211; 1 < 2 &amp; 3") == (
        "Coalition’s envoy – 1 < 2 & 3"
    )
    assert plain_text("  Plain  title ") == "Plain title"


def test_html_input_parses_bytes_exactly_as_their_replaced_text() -> None:
    """Valid UTF-8 goes to Lexbor as bytes; anything else as the text ``decode("utf-8",
    "replace")`` makes of it; either way the tree reads the same as from that text."""
    pages = [
        "<p>Caf\u00e9 \u2014 \u0645\u0631\u062d\u0628\u0627</p>".encode(),
        b"\xef\xbb\xbf<p>bom</p>",
        b"<p>bad \xff\xfe byte, cut \xe2\x80</p>",
        b"<p>surrogate \xed\xa0\x80 and overlong \xc0\xaf</p>",
    ]
    for raw in pages:
        given = html_input(raw)
        text = raw.decode("utf-8", errors="replace")
        assert isinstance(given, bytes) == (given == raw)
        assert LexborHTMLParser(given).html == LexborHTMLParser(text).html
    assert html_input("<p>x</p>") == "<p>x</p>"


def test_xml_text_drops_what_xml_forbids_and_escapes_markup() -> None:
    """Every code point an error message could hold: the document parses and keeps the rest."""
    forbidden = [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xD800, 0xDFFF, 0xFFFE, 0xFFFF]
    every = "".join(map(chr, [*range(0x3000), 0xD800, 0xDFFF, 0xFFFE, 0xFFFF, 0x1F600])) + "<&>\"'"
    every = every.replace("\r", "")  # a parser reads a carriage return as a line feed
    element = ET.fromstring(f'<t a="{xml_text(every)}">{xml_text(every)}</t>')
    assert element.text == every.translate(dict.fromkeys(forbidden))
    assert "<&>\"'" in element.attrib["a"]


def test_xml_text_keeps_every_code_point_xml_allows() -> None:
    """XML 1.0's Char production over all of Unicode, markup characters aside."""
    markup = dict.fromkeys(map(ord, "&<>\"'"))
    everything = "".join(map(chr, range(0x110000))).translate(markup)
    ranges = (("\x20", "\ud7ff"), ("\ue000", "\ufffd"), ("\U00010000", "\U0010ffff"))
    allowed = [c for c in everything if c in "\t\n\r" or any(a <= c <= b for a, b in ranges)]
    assert xml_text(everything) == "".join(allowed)
