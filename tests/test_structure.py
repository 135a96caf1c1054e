"""Readable in one pass (issue 13): no module in tasks/ over 300 lines and no function over 60 lines,
unless docs/architecture.md names it under "Size exceptions" with its reason."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 300, 60


def _exceptions() -> set[str]:
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    _, _, section = text.partition("## Size exceptions")
    section = section.split("\n## ", 1)[0]
    return set(re.findall(r"^- `([^`]+)`", section, re.M))


def _sizes() -> tuple[list[str], list[str]]:
    long_modules, long_functions = [], []
    for path in sorted((REPO / "tasks").rglob("*.py")):
        name = str(path.relative_to(REPO))
        source = path.read_text(encoding="utf-8")
        if len(source.splitlines()) > MAX_MODULE_LINES:
            long_modules.append(name)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                    long_functions.append(f"{name}:{node.name}")
    return long_modules, long_functions


def test_modules_and_functions_stay_small():
    allowed = _exceptions()
    modules, functions = _sizes()
    too_long = [m for m in modules if m not in allowed] + [f for f in functions if f not in allowed]
    assert not too_long, f"over {MAX_MODULE_LINES} / {MAX_FUNCTION_LINES} lines: {too_long}"
