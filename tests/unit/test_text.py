"""Text helpers: paragraphs from author HTML, title keys, content hashes."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from ingest.text import content_hash, paragraphs_of, title_key


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
