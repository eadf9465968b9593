"""Terminal output, in one place: the colours of a line, the cursor moves of a redrawn one, and
``printable``, which makes text from sites and stored data inert before it reaches a person.

Colour goes only to a terminal, and never when ``NO_COLOR`` is set to anything but an empty
string (https://no-color.org): piped or redirected output, and a person who asked for none, get
plain text. ``NO_COLOR`` is the one variable read outside the settings: it is the user's wish
about their terminal, not the service's configuration.
"""

from __future__ import annotations

import os
import re
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
    MAGENTA = "35"
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


def erase(drawn: int) -> str:
    """What erases the ``drawn`` lines written last: back to the start of the first of them,
    then everything below cleared (the cursor stays there, for what replaces them)."""
    if drawn == 0:
        return ""
    up = f"{_ESC}{drawn - 1}F" if drawn > 1 else "\r"
    return f"{up}{_ESC}J"


def redraw(drawn: int, lines: Sequence[str]) -> str:
    """What draws ``lines`` over the ``drawn`` lines written last: back to the start of the
    first of them, then each line cleared and written again (the cursor ends on the last)."""
    up = f"{_ESC}{drawn - 1}F" if drawn > 1 else "\r"
    return up + "\n".join(f"{_ESC}2K{line}" for line in lines)


# What a terminal acts on in text it is given: escape sequences, whole (ECMA-48: CSI; the
# control strings OSC, DCS, SOS, PM and APC up to their terminator; any other ESC sequence),
# in their 7-bit and C1 forms. A control string's body stops at the first control character,
# so the search is linear on any input; what is left of one that does not end there (an
# unterminated OSC) has its introducer replaced, and is shown as text.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: ESC[2J, a colour, a cursor move
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d-\x9f])[^\x00-\x1f\x7f-\x9f]*(?:\x07|\x1b\\|\x9c)"  # OSC...
    r"|\x1b[ -/]*[0-~]"  # any other escape sequence (ESC c resets the terminal)
)
# One-line text: line and page breaks, tabs (a table's columns) become one space.
_BREAKS = re.compile(r"[\t\n\v\f\r\x1c-\x1e\x85\u2028\u2029]")
# Every other C0 or C1 control and DEL: shown as U+FFFD.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Explicit bidirectional embeddings, overrides and isolates (the "Trojan Source" characters,
# CVE-2021-42574): they reorder what follows them on the line, so a table cell could reverse
# its neighbours. Dropped: text without them still reads right to left where it should.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` made inert for a terminal, on one line: each escape sequence and every other
    control character becomes U+FFFD (``\\ufffd``), a line break or tab one space, and explicit
    bidirectional controls are dropped. For anything a site or the database supplies (titles,
    URLs, error messages, log fields) that is printed for a person; data formats (JSON, CSV,
    the log file) keep the text exact."""
    if text.isprintable():  # the common case, in one pass in C
        return text
    text = _SEQUENCE.sub("\ufffd", text)
    text = _BREAKS.sub(" ", text)
    text = _CONTROLS.sub("\ufffd", text)
    return _BIDI.sub("", text)
