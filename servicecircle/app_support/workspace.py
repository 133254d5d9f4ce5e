"""The per-session DuckDB workspace: where it lives, and saving imports, runs and scenarios."""

from __future__ import annotations

import tempfile
from collections.abc import MutableMapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from geo._errors import InputError
from geo.layers import LAYERS

if TYPE_CHECKING:
    from servicecircle.workflows import (
        CoverageRun,
        Imported,
    )


#: the session-state key of the per-session workspace file
WORKSPACE_STATE_KEY: Final = "servicecircle_workspace"

#: the prefix of the session folders under the system temp folder
SESSION_PREFIX: Final = "servicecircle-session-"

#: session folders older than this are removed when a new session starts (hours)
STALE_AFTER_H: Final = 24.0


def remove_stale_workspaces(
    *, root: Path | None = None, older_than_h: float = STALE_AFTER_H
) -> list[Path]:
    """Remove session folders left by earlier sessions or servers; returns those removed."""
    import shutil
    import time

    base = Path(root or tempfile.gettempdir())
    cutoff = time.time() - older_than_h * 3600
    removed = []
    for folder in base.glob(f"{SESSION_PREFIX}*"):
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
                removed.append(folder)
        except OSError:
            continue  # another server's folder in use or already gone: leave it
    return removed


def session_workspace(state: MutableMapping[str, Any]) -> Path:
    """The DuckDB workspace file of one browser session, created on first use.

    Each session gets its own temporary folder, so users of one app never see each other's
    imports. The folder goes when the server stops; folders older than a day (left by a
    server that was killed) go when a new session starts. The path is kept in ``state`` (``st.session_state``) under
    :data:`WORKSPACE_STATE_KEY`.
    """
    path = state.get(WORKSPACE_STATE_KEY)
    if path is None or not Path(path).parent.is_dir():
        import atexit
        import shutil

        remove_stale_workspaces()
        folder = Path(tempfile.mkdtemp(prefix=SESSION_PREFIX))
        atexit.register(shutil.rmtree, folder, True)  # the server's exit removes it
        path = folder / "workspace.duckdb"
        state[WORKSPACE_STATE_KEY] = path
    return Path(path)


def save_to_workspace(
    path: Path,
    *,
    imported: Imported,
    run: CoverageRun,
    layers: Sequence[str | None],
    label: str = "",
) -> tuple[list[int], int, int]:
    """Save the imported registers and the coverage run into the session's workspace.

    Parameters
    ----------
    path
        The session's workspace file (:func:`session_workspace`).
    imported, run
        What :func:`cached_import` and :func:`cached_coverage` returned.
    layers
        The layer each register was imported as (None: from its rows), in ``imported.parts``
        order. A register mixing layers is saved once per layer (its report with the first).
    label
        Shown in the run list.

    Returns
    -------
    tuple
        The import ids, how many of them were already there (same file content and layer), and
        the run id.
    """
    from geo.workspace import Workspace

    if len(layers) != len(imported.parts):
        raise InputError(
            f"layers has {len(layers)} entries but {len(imported.parts)} registers were "
            "imported; pass one layer (or None) per register."
        )
    ids: list[int] = []
    duplicates = 0
    with Workspace.open(path) as ws:
        for part, declared in zip(imported.parts, layers):
            present = sorted(set(part.facilities["layer"].dropna().astype(str)))
            keys = [declared] if declared else present
            if not keys:  # every row rejected and no declared layer: keep the report
                keys = [next(iter(LAYERS))]
            for i, layer in enumerate(keys):
                rows = part.facilities[part.facilities["layer"].astype(object) == layer]
                report = part.report if i == 0 else part.report.iloc[0:0]
                outcome = ws.save_import(rows, report, part.source, layer=layer)
                ids.append(outcome.import_id)
                duplicates += int(outcome.duplicate)
        run_id = ws.save_run(
            "coverage",
            run.params,
            {"comparison": run.comparison, "summary": run.summary},
            label=label,
        )
    return ids, duplicates, run_id


def workspace_runs(path: Path) -> pd.DataFrame:
    """The runs saved in a session's workspace (empty before the first save)."""
    from geo.workspace import Workspace

    if not path.is_file():
        return pd.DataFrame(columns=["run_id", "kind", "created_at", "label"])
    with Workspace.open(path) as ws:
        return ws.runs()


def runs_table(runs: pd.DataFrame) -> pd.DataFrame:
    """The saved runs as the planner reads them: number, kind, label and time, in Chinese."""
    from servicecircle.app_support.choices import RUN_KINDS

    return pd.DataFrame(
        {
            "记录编号": runs["run_id"].astype(int),
            "类型": runs["kind"].map(RUN_KINDS).fillna(runs["kind"]).astype(str),
            "名称": runs["label"].astype(str),
            "保存时间（UTC）": pd.to_datetime(runs["created_at"]).dt.strftime("%Y-%m-%d %H:%M:%S"),
        }
    )


def save_scenarios(path: Path, scenarios: Sequence[Any], *, label: str = "") -> list[int]:
    """Save each scenario as a 'siting' run (its tables) in the session's workspace."""
    from geo.workspace import Workspace
    from servicecircle.scenarios import scenario_tables

    ids = []
    with Workspace.open(path) as ws:
        for sc in scenarios:
            ids.append(
                ws.save_run(
                    "siting",
                    dict(sc.params, name=sc.name, kind=sc.kind, solver=sc.solver),
                    scenario_tables(sc),
                    label=label or sc.name,
                )
            )
    return ids
