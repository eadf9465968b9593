"""Terminal styling, in one place: the colours of a line and the cursor moves of a redrawn one.

Colour goes only to a terminal, and never when ``NO_COLOR`` is set to anything but an empty
string (https://no-color.org): piped or redirected output, and a person who asked for none, get
plain text. ``NO_COLOR`` is the one variable read outside the settings: it is the user's wish
about their terminal, not the service's configuration.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import TextIO

_ESC = "\x1b["


class Colour(StrEnum):
    """SGR parameters (ECMA-48 Select Graphic Rendition)."""

    DIM = "2"
    GREEN = "32"
    YELLOW = "33"
    RED = "31"
    BOLD_RED = "1;31"
    GREY = "90"


def wants_colour(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """True when ``stream`` is a terminal and ``NO_COLOR`` does not ask for plain text."""
    if (os.environ if environ is None else environ).get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def is_terminal(stream: TextIO) -> bool:
    """A terminal: where a line may be redrawn in place."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def paint(text: str, colour: Colour | None, *, enabled: bool) -> str:
    """``text`` in ``colour`` when colour is ``enabled``, else as it is."""
    if not enabled or colour is None:
        return text
    return f"{_ESC}{colour.value}m{text}{_ESC}0m"


def redraw(drawn: int, lines: Sequence[str]) -> str:
    """What draws ``lines`` over the ``drawn`` lines written last: back to the start of the
    first of them, then each line cleared and written again (the cursor ends on the last)."""
    up = f"{_ESC}{drawn - 1}F" if drawn > 1 else "\r"
    return up + "\n".join(f"{_ESC}2K{line}" for line in lines)
