"""Scenarios kept: their tables, side-by-side comparison, save to and reopen from the workspace."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from geo._errors import InputError
from servicecircle.scenarios.outcome import Scenario
from servicecircle.workflows import WGS84


def scenario_tables(sc: Scenario) -> dict[str, pd.DataFrame]:
    """A scenario's tables for the workspace and Excel."""
    chosen = pd.DataFrame(sc.chosen.drop(columns="geometry")).assign(
        lon=sc.chosen.geometry.x, lat=sc.chosen.geometry.y
    )
    return {
        "chosen": chosen,
        "reach_by_township": sc.reach_by_township,
        "reach_total": sc.reach_total,
        "coverage": sc.coverage,
    }


def compare_scenarios(scenarios: Sequence[Scenario]) -> pd.DataFrame:
    """Side by side: sites, reach before/after, township status after, solver and gap."""
    rows = []
    for sc in scenarios:
        tot = sc.reach_total
        pts = tot["points"].sum()
        rows.append(
            {
                "scenario": sc.name,
                "kind": sc.kind,
                "sites": len(sc.chosen),
                "closed": len(sc.closed),
                "share_before": tot["reached_before"].sum() / pts if pts else float("nan"),
                "share_after": tot["reached_after"].sum() / pts if pts else float("nan"),
                "weight_after": tot["weight_after"].sum(),
                "status_after": "、".join(
                    f"{r.held_to}:{r.status_after}"
                    for r in sc.coverage[sc.coverage["scope"] == "county"].itertuples()
                    if isinstance(r.held_to, str)
                ),
                "solver": sc.solver,
                "gap": sc.gap,
                "time_s": sc.time_s,
            }
        )
    return pd.DataFrame(rows)


_SCENARIO_FIELDS = ("name", "kind", "closed", "solver", "status", "gap", "time_s", "notes")


def save_scenario(ws, sc: Scenario, *, label: str = "") -> int:
    """Save a scenario (inputs in its params, all its tables) as a 'siting' run; returns its id."""
    meta = {f: getattr(sc, f) for f in _SCENARIO_FIELDS}
    meta["closed"], meta["notes"] = list(sc.closed), list(sc.notes)
    meta["gap"] = None if sc.gap != sc.gap else sc.gap
    return ws.save_run(
        "siting",
        {"scenario": meta, "inputs": sc.params},
        scenario_tables(sc),
        label=label or sc.name,
    )


def load_scenario(ws, run_id: int) -> Scenario:
    """Reopen a saved scenario, e.g. to compare it side by side with today's."""
    run = ws.load_run(run_id)
    if run.kind != "siting" or "scenario" not in run.params:
        raise InputError(
            f"workspace run {run_id} is a {run.kind!r} run, not a saved siting scenario"
        )
    meta = run.params["scenario"]
    t = run.tables
    chosen = gpd.GeoDataFrame(
        t["chosen"].drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(t["chosen"]["lon"], t["chosen"]["lat"]),
        crs=WGS84,
    )
    return Scenario(
        name=meta["name"],
        kind=meta["kind"],
        chosen=chosen,
        closed=tuple(meta["closed"]),
        reach_by_township=t["reach_by_township"],
        reach_total=t["reach_total"],
        coverage=t["coverage"],
        solver=meta["solver"],
        status=meta["status"],
        gap=float("nan") if meta["gap"] is None else float(meta["gap"]),
        time_s=float(meta["time_s"]),
        notes=tuple(meta["notes"]),
        params=run.params["inputs"],
    )
