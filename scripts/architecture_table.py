"""Rewrite the module table of docs/architecture.md from the modules' docstrings.

Usage: ``python scripts/architecture_table.py`` (from the checkout). Everything above the
heading "## Every module, one line each" is kept as written; the table below it is rebuilt, one
row per module of geo/, analysis/ and servicecircle/ (vendored code aside), each with the first
paragraph of the module's docstring. tests/test_architecture.py checks the doc names exactly the
modules on disk.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
HEADING = "## Every module, one line each"
PACKAGES = ("geo", "analysis", "servicecircle")


def module_rows(package: str) -> list[str]:
    rows = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if "_vendor" in path.parts:
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        first = " ".join(doc.split("\n\n")[0].split()).replace("|", "\\|")
        rows.append(f"| `{path.relative_to(ROOT).as_posix()}` | {first} |")
    return rows


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    head = text.split(HEADING)[0].rstrip() + "\n\n" + HEADING + "\n"
    parts = [head]
    for package in PACKAGES:
        parts.append(f"\n### `{package}/`\n\n| module | owns |\n|---|---|\n")
        parts.append("\n".join(module_rows(package)) + "\n")
    DOC.write_text("".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
