"""The worked-example notebook runs top to bottom (its code cells, in order) and is stripped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "walkthrough.ipynb"


def test_notebook_outputs_are_stripped():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)


@pytest.mark.slow
def test_notebook_runs(bundle, capsys):
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    scope: dict = {}
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), str(NOTEBOOK), "exec"), scope)  # noqa: S102
    assert len(scope["best"].chosen) == 5
    assert "江岸区" in capsys.readouterr().out
