"""Terminal styling: colour only on a terminal, never when NO_COLOR asks for plain text; site
text made inert before a person's terminal sees it."""

from __future__ import annotations

import io
import time

import pytest

from ingest.terminal import Colour, paint, printable, redraw, wants_colour


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_on_a_terminal_unless_no_color_is_set() -> None:
    assert wants_colour(Tty(), environ={})
    assert wants_colour(Tty(), environ={"NO_COLOR": ""}), "an empty NO_COLOR asks nothing"
    assert not wants_colour(Tty(), environ={"NO_COLOR": "1"})
    assert not wants_colour(io.StringIO(), environ={}), "a file or a pipe gets plain text"


def test_paint_wraps_only_when_enabled() -> None:
    assert paint("X", Colour.BOLD_RED, enabled=True) == "\x1b[1;31mX\x1b[0m"
    assert paint("X", Colour.BOLD_RED, enabled=False) == "X"
    assert paint("X", None, enabled=True) == "X"


def test_redraw_goes_back_over_the_lines_drawn() -> None:
    assert redraw(0, ["a"]) == "\r\x1b[2Ka"
    assert redraw(2, ["a", "b"]) == "\x1b[1F\x1b[2Ka\n\x1b[2Kb"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain, ünïcode, عربي", "plain, ünïcode, عربي"),
        ("a\x1b[2Jb", "a\ufffdb"),  # CSI: clear the screen
        ("a\x1b[1;31mred\x1b[0m", "a\ufffdred\ufffd"),
        ("a\x9b2Jb", "a\ufffdb"),  # CSI in its C1 form
        ("a\x1b]0;title\x07b", "a\ufffdb"),  # OSC: the window title, ended by BEL
        ("\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\", "\ufffdclick\ufffd"),  # OSC 8 link
        ("a\x9d8;;http://evil/\x9cb", "a\ufffdb"),  # the same in C1 form
        ("a\x1bPq#0\x1b\\b", "a\ufffdb"),  # DCS (sixel)
        ("a\x1bcb", "a\ufffdb"),  # ESC c: reset the terminal
        ("a\x1b]0;never ended", "a\ufffd0;never ended"),  # the ESC goes: nothing is swallowed
        ("a\x1b", "a\ufffd"),
        ("bell\x07 bs\x08 del\x7f nul\x00 c1\x85", "bell\ufffd bs\ufffd del\ufffd nul\ufffd c1 "),
        ("two\nlines\r\nand\ttab\u2028", "two lines  and tab "),
        ("abc\u202edef\u2066ghi\u2069", "abcdefghi"),  # bidi overrides and isolates dropped
        ("\u200fRLM and NBSP\u00a0stay", "\u200fRLM and NBSP\u00a0stay"),
    ],
)
def test_printable_replaces_what_a_terminal_acts_on(raw: str, shown: str) -> None:
    assert printable(raw) == shown
    assert printable(shown) == shown, "printable text stays as it is"


def test_printable_is_linear_on_hostile_input() -> None:
    """Unterminated control strings, by the hundred thousand, in a moment."""
    hostile = "".join(
        ("\x1b]0;" * 200_000, "\x1b[" * 200_000, "\x9dab" * 200_000, "\x1bP" * 200_000,
         ("\x1b[" + "1" * 1000) * 200, ("\x1b" + " " * 1000) * 200, "\x1b]" + "x" * 200_000)
    )  # fmt: skip
    started = time.perf_counter()
    shown = printable(hostile)
    assert time.perf_counter() - started < 2.0
    assert shown.isprintable()
