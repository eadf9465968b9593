"""Terminal styling: colour only on a terminal, never when NO_COLOR asks for plain text."""

from __future__ import annotations

import io

from ingest.terminal import Colour, paint, redraw, wants_colour


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
