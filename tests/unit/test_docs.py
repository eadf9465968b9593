"""The documentation stays true: docs/configuration.md is the settings types' own reference,
the Layout map names every module, and every relative link in README.md and docs/ resolves."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support import config_reference

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    ROOT / "README.md",
    ROOT / "deploy" / "README.md",
    ROOT / "tests" / "benchmarks" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
]


def test_configuration_reference_is_current() -> None:
    """docs/configuration.md is generated from the settings types (ingest/settings/); edit them."""
    committed = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == config_reference.render(), (
        "docs/configuration.md is stale: regenerate it with "
        f"`.venv/bin/{config_reference.COMMAND}` (or `make docs`) and commit it"
    )


def test_every_settings_field_is_documented() -> None:
    """Each key of the file has a comment above its field in ingest/settings/types.py."""
    assert config_reference.undocumented() == []


_ENTRY = re.compile(r"((?:[\w.]+\.py|\w+/)(?:, [\w.]+\.py)*)(?:\s{2,}|$)")


def mapped_modules(block: str) -> set[str]:
    """The paths the map names: a line's leading names (``a.py``, ``b.py`` or ``folder/``),
    nested under the folder of the nearest line indented less; wrapped text is skipped."""
    found: set[str] = set()
    folders: list[tuple[int, str]] = []
    for line in block.splitlines():
        text = line.lstrip()
        entry = _ENTRY.match(text)
        if entry is None:
            continue
        indent = len(line) - len(text)
        while folders and folders[-1][0] >= indent:
            folders.pop()
        prefix = "".join(name for _, name in folders)
        for name in entry.group(1).split(", "):
            if name.endswith("/"):
                folders.append((indent, name))
            found.add(prefix + name)
    return found


def test_layout_map_names_every_module() -> None:
    """docs/architecture.md's Layout map names every module under ingest/, and no other."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("## Layout map", 1)[1].split("```", 2)[1]
    mapped = {path for path in mapped_modules(block) if path.startswith("ingest/")}
    actual = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "ingest").rglob("*.py")
        if path.name != "__init__.py"
    }
    folders = {p for p in mapped if p.endswith("/")}
    assert not actual - mapped, (
        f"add to the Layout map in docs/architecture.md: {sorted(actual - mapped)}"
    )
    gone = sorted(mapped - actual - folders)
    assert not gone, f"the Layout map in docs/architecture.md names modules that are gone: {gone}"


def test_relative_links_resolve() -> None:
    broken = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#", 1)[0]).resolve()
            if not path.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken


def test_readme_stays_short() -> None:
    """The README is the front door; the manual lives in docs/."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= 250, f"README.md has {lines} lines: move detail into docs/"
