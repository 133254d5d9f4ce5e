"""The house's layers (docs/architecture.md), enforced: geo -> analysis -> servicecircle -> app.py.

The import contracts live in pyproject.toml and run as ``lint-imports`` in scripts/test.sh; these
tests show that they pass on the tree, that a back-edge really breaks them, and that every room
stays small.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("geo", "analysis", "servicecircle")
LINT = Path(sys.executable).parent / "lint-imports"
MAX_LINES = 450


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--config", str(root / "pyproject.toml")],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root), "PATH": str(LINT.parent)},
        timeout=300,
    )


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the three packages and the contracts, to break on purpose."""
    root = tmp_path_factory.mktemp("house")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_contracts_are_kept_on_the_tree() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_a_back_edge_from_geo_breaks_the_layers(tree_copy: Path) -> None:
    settings = tree_copy / "geo" / "settings.py"
    original = settings.read_text(encoding="utf-8")
    settings.write_text(original + "\nimport servicecircle.cli  # back-edge\n", encoding="utf-8")
    try:
        result = _lint(tree_copy)
    finally:
        settings.write_text(original, encoding="utf-8")
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and "geo.settings -> servicecircle.cli" in result.stdout


def test_io_in_analysis_breaks_its_contract(tree_copy: Path) -> None:
    module = tree_copy / "analysis" / "_io_probe.py"
    module.write_text("import duckdb\n", encoding="utf-8")
    try:
        result = _lint(tree_copy)
    finally:
        module.unlink()
    assert result.returncode != 0
    assert "analysis is not allowed to import duckdb" in result.stdout


def test_app_imports_only_servicecircle_of_the_project() -> None:
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    project = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            project += [a.name for a in node.names if a.name.split(".")[0] in PACKAGES]
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.split(".")[0] in PACKAGES
        ):
            project.append(node.module)
    assert project, "app.py should use the servicecircle package"
    assert all(name.split(".")[0] == "servicecircle" for name in project), project


def test_every_room_is_small() -> None:
    big = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "_vendor" in path.parts:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                big[str(path.relative_to(ROOT))] = lines
    assert not big, f"rooms over {MAX_LINES} lines: {big}"
    assert len((ROOT / "app.py").read_text(encoding="utf-8").splitlines()) <= 500


def test_the_picture_names_every_module() -> None:
    """docs/architecture.md lists each module of the three packages, and no module that is gone."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    on_disk = {
        p.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if "_vendor" not in p.parts
    }

    listed = set(re.findall(r"^\| `([\w/]+\.py)` \|", text, flags=re.MULTILINE))
    assert on_disk - listed == set(), "modules missing from docs/architecture.md"
    assert listed - on_disk == set(), "docs/architecture.md lists modules that do not exist"
