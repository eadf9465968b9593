"""The configuration examples of the docs, read where they are written, so the tests that run
them hold the docs to the truth."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[2] / "docs"


def toml_block(page: str, containing: str) -> str:
    """The one ```toml block of ``docs/<page>`` that contains ``containing``, dedented."""
    text = (DOCS / page).read_text(encoding="utf-8")
    blocks = [
        "\n".join(line[len(indent) :] for line in body.splitlines())
        for indent, body in re.findall(
            r"^( *)```toml\n(.*?)\n\1```", text, re.DOTALL | re.MULTILINE
        )
        if containing in body
    ]
    assert len(blocks) == 1, f"docs/{page}: {len(blocks)} toml blocks contain {containing!r}"
    return blocks[0] + "\n"


def toml_config(page: str, containing: str) -> dict[str, Any]:
    return tomllib.loads(toml_block(page, containing))
