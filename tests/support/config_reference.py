"""docs/configuration.md, generated from the settings types (``ingest/settings/types.py``).

Each table is a msgspec struct; each key is one of its fields: the type and the default come
from the field, the meaning from the comment lines right above it in the source, and a table's
introduction from its class docstring. The value types (durations, URLs, ...) are described by
their own classes' docstrings in ``ingest/settings/values.py``.

    python -m tests.support.config_reference           # write docs/configuration.md
    python -m tests.support.config_reference --check   # exit 1 when it is stale

``tests/unit/test_config_reference.py`` fails when the committed file is stale, or when a
field has no comment to document it.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
import zoneinfo
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi

from ingest import __version__
from ingest.settings import types
from ingest.settings.values import encode_value

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "docs" / "configuration.md"
COMMAND = "python -m tests.support.config_reference"

INTRO = f"""\
# Configuration

<!-- Generated from the settings types (ingest/settings/) by `{COMMAND}` (`make docs`).
     Do not edit: change the types' comments and docstrings, then run it again. -->

One TOML file: `--config PATH` (before or after the command name), else `$INGEST_CONFIG`, else
`config/ingest.toml` in the working directory, else the built-in defaults (the real site).
`$INGEST_DATABASE_URL` overrides `[database] url`. [`config/ingest.toml`](../config/ingest.toml)
lists every key with its default and a comment.

The file is decoded once with msgspec into typed settings: durations become time spans, time
zones and URLs are checked, and a `cron` is checked as APScheduler reads it without loading
APScheduler. Unknown keys, wrong types, malformed URLs and a `listing_path` that does not name
the day are refused at start with one line naming the key, in the table it was written in, and
the site (exit 2), such as `http.concurency: unknown key` or
`sites[1].http.concurency: unknown key (site 'beta')`.

**Several sites.** One `[site]` table, or an array of `[[sites]]` tables (not both), each with
the keys of [`[site]` / `[[sites]]`](#site--sites); `name` and `base_url` are required there and
names are unique. Each site may override any `[http]` key in its own `[sites.http]` (sites on
one host share the strictest of their politeness limits: see
[What it fetches](architecture.md#what-it-fetches-and-how-politely)), and `interval`, `cron` and
`lookback_days` in `[sites.schedule]`. The README has an example with two sites.
"""

# Classes outside ingest.settings.values, described here.
_NAMED: dict[type, tuple[str, str]] = {
    zoneinfo.ZoneInfo: (
        "time zone",
        'An IANA time zone name, such as `"Asia/Damascus"`; an unknown name is refused.',
    ),
}


@dataclass(frozen=True)
class Table:
    heading: str  # "[http]", "[sites.schedule]", "[alerts.sites.NAME]"
    cls: type[msgspec.Struct]
    note: str  # the comment of the field that holds the table


def _comments(cls: type) -> dict[str, str]:
    """Each field's comment: the ``#`` lines right above it in the class body, joined."""
    lines, _ = inspect.getsourcelines(cls)
    text = textwrap.dedent("".join(lines))
    tree = ast.parse(text)
    source = text.splitlines()
    found: dict[str, str] = {}
    body = tree.body[0]
    assert isinstance(body, ast.ClassDef)
    for node in body.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            above: list[str] = []
            index = node.lineno - 2
            while index >= 0 and source[index].strip().startswith("#"):
                above.insert(0, source[index].strip().lstrip("#").strip())
                index -= 1
            found[node.target.id] = " ".join(above)
    return found


def _markdown(text: str) -> str:
    text = text.replace("``", "`")
    text = re.sub(r"docs/([a-z_]+)\.md", r"[\1.md](\1.md)", text)
    return text.replace("|", "\\|")


def _anchor(heading: str) -> str:
    text = heading.lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _doc(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    return "" if doc.startswith(("A config table", "Struct(")) else doc


def _tables() -> list[Table]:
    """Every table a config file may hold, in the order of the Settings fields."""
    found: list[Table] = []

    def walk(prefix: str, cls: type[msgspec.Struct], note: str) -> None:
        found.append(Table(prefix, cls, note))
        notes = _comments(cls)
        for field in msgspec.structs.fields(cls):
            info = mi.type_info(field.type)
            if isinstance(info, mi.StructType):
                walk(f"{prefix}.{field.name}", info.cls, notes[field.name])
            elif isinstance(info, mi.DictType) and isinstance(info.value_type, mi.StructType):
                walk(f"{prefix}.{field.name}.NAME", info.value_type.cls, notes[field.name])
            elif isinstance(info, mi.VarTupleType) and isinstance(info.item_type, mi.StructType):
                walk(f"{prefix}.{field.name}", info.item_type.cls, notes[field.name])

    notes = _comments(types.Settings)
    for field in msgspec.structs.fields(types.Settings):
        info = mi.type_info(field.type)
        if isinstance(info, mi.StructType):
            walk(field.name, info.cls, notes[field.name])
        elif isinstance(info, mi.VarTupleType) and isinstance(info.item_type, mi.StructType):
            walk("sites", info.item_type.cls, notes[field.name])
        # Anything else (``source``: where the settings came from) is no key of the file.
    return found


def _canonical(tables: list[Table]) -> dict[type, Table]:
    """Where each struct's keys are listed: the table of fewest dots (``[http]``, not
    ``[sites.http]``); the others point there."""
    home: dict[type, Table] = {}
    for table in tables:
        known = home.get(table.cls)
        if known is None or known.heading.count(".") > table.heading.count("."):
            home[table.cls] = table
    return home


def _title(table: Table) -> str:
    if table.heading == "sites":
        return "`[site]` / `[[sites]]`"
    if table.heading == "sites.layouts":
        return "`[[site.layouts]]` / `[[sites.layouts]]`"
    return f"`[{table.heading}]`"


def _custom_name(cls: type) -> str:
    if cls in _NAMED:
        return _NAMED[cls][0]
    return re.sub(r"(?<!^)([A-Z])", r" \1", cls.__name__).lower()


def _type(info: Any, used: set[type]) -> str:
    if isinstance(info, mi.UnionType):
        kinds = [t for t in info.types if not isinstance(t, mi.NoneType)]
        return " or ".join(_type(kind, used) for kind in kinds)
    if isinstance(info, mi.IntType | mi.FloatType):
        name = "integer" if isinstance(info, mi.IntType) else "number"
        bounds = []
        for attr, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
            value = getattr(info, attr)
            if value is not None:
                bounds.append(f"{sign} {value}")
        return f"{name} {', '.join(bounds)}".strip()
    if isinstance(info, mi.StrType):
        return "string"
    if isinstance(info, mi.BoolType):
        return "boolean"
    if isinstance(info, mi.LiteralType):
        return ", ".join(f'`"{value}"`' for value in info.values)
    if isinstance(info, mi.CustomType):
        used.add(info.cls)
        name = _custom_name(info.cls)
        return f"[{name}](#{_anchor(name)})"
    if isinstance(info, mi.DictType):
        return "table"
    if isinstance(info, mi.DateType):
        return "date"
    raise TypeError(f"no rendering for {info!r}")


def _default(field: msgspec.structs.FieldInfo) -> str:
    if field.required:
        return "required"
    given = field.default is not msgspec.NODEFAULT
    value = field.default if given else field.default_factory()
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, timedelta | zoneinfo.ZoneInfo):
        return f'`"{encode_value(value)}"`'
    if isinstance(value, str):
        return f'`"{value.replace(__version__, "<version>")}"`'
    if isinstance(value, dict | tuple) and not value:
        return "none"
    return f"`{value!r}`"


def _section(table: Table, home: dict[type, Table], used: set[type]) -> list[str]:
    out = [f"## {_title(table)}", ""]
    canonical = home[table.cls]
    doc = _doc(table.cls)
    # The comment of the field holding the table, unless the class's docstring says it.
    if table.note and (canonical is not table or not doc):
        out += [_markdown(table.note), ""]
    if canonical is not table:
        out += [f"The keys of [{_title(canonical)}](#{_anchor(_title(canonical))}).", ""]
        return out
    if doc:
        out += [_markdown(doc), ""]
    notes = _comments(table.cls)
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for field in msgspec.structs.fields(table.cls):
        info = mi.type_info(field.type)
        if (
            isinstance(info, mi.StructType)
            or (isinstance(info, mi.DictType) and isinstance(info.value_type, mi.StructType))
            or (isinstance(info, mi.VarTupleType) and isinstance(info.item_type, mi.StructType))
        ):
            continue  # a table of its own, below
        meaning = _markdown(notes[field.name])
        rows.append(f"| `{field.name}` | {_type(info, used)} | {_default(field)} | {meaning} |")
    return [*out, *rows, ""]


def undocumented() -> list[str]:
    """Keys of the file whose field has no comment above it."""
    missing = []
    for table in _tables():
        for name, note in _comments(table.cls).items():
            if not note:
                missing.append(f"{table.heading}.{name}")
    return missing


def render() -> str:
    tables = _tables()
    home = _canonical(tables)
    used: set[type] = set()
    out = [INTRO]
    for table in tables:
        out += _section(table, home, used)
    out += ["## Value types", ""]
    for cls in sorted(used, key=_custom_name):
        name = _custom_name(cls)
        text = _NAMED[cls][1] if cls in _NAMED else _markdown(_doc(cls))
        out += [f"### {name}", "", text, ""]
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run `{COMMAND}`", file=sys.stderr)
            return 1
        return 0
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
