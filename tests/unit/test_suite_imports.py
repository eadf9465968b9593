"""The suite's own rule: a test module imports helpers from ``tests.support``, never from
another test module (or conftest), so each test file stands on its own."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_test_module_imports_another() -> None:
    """Every ``tests.*`` import in tests/ (benchmarks aside) names ``tests.support``."""
    offending = {
        f"{path.relative_to(TESTS)}: {name}"
        for path in TESTS.rglob("*.py")
        if "benchmarks" not in path.relative_to(TESTS).parts
        for name in imported_modules(path)
        if name.split(".")[0] == "tests" and not name.startswith("tests.support")
    }
    assert not offending
