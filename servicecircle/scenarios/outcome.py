"""An answered siting question as a :class:`Scenario`: reach and township coverage before/after.

The solvers' :class:`analysis.siting.SitingResult` is turned into per-township and per-county
reach before and after, and the layer's township coverage against the same plan targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from servicecircle.scenarios.problem import SitingProblem, closed_rows
from servicecircle.workflows import WGS84


@dataclass(frozen=True)
class Scenario:
    """One answered siting question: chosen sites, reach and plan status before and after."""

    name: str
    kind: str  # best_k | fewest_share | township_target | what_if
    chosen: gpd.GeoDataFrame  # order, site_id, name, township, gain_weight, gain_points
    closed: tuple[str, ...]
    reach_by_township: pd.DataFrame  # before/after shares per township
    reach_total: pd.DataFrame  # one row per county: before/after
    coverage: pd.DataFrame  # township coverage of the layer vs targets: before/after status
    solver: str
    status: str
    gap: float
    time_s: float
    notes: tuple[str, ...] = ()
    params: dict = field(default_factory=dict)


def scenario_from_result(
    problem, res, *, kind, name, closed, params, extra_points=None, extra_gains=(), open_masks=None
) -> Scenario:
    """A :class:`Scenario` from a solver's result: chosen sites, reach and coverage before/after."""
    from analysis.scenario import reached_after, share_by_group
    from analysis.targets import compare_with_targets

    cands = problem.candidates
    chosen = cands.iloc[list(res.chosen)].copy()
    chosen["gain_weight"] = list(res.marginal_gain)
    if extra_points is not None and len(extra_points):
        ex = extra_points.assign(
            site_id=[f"P{i + 1}" for i in range(len(extra_points))],
            name=extra_points.get(
                "name", pd.Series([f"新增点{i + 1}" for i in range(len(extra_points))])
            ),
            source="地图点选",
            gain_weight=list(extra_gains),
            township_code=_township_of_points(problem, extra_points),
        )
        chosen = pd.concat(
            [chosen, ex[["site_id", "name", "source", "township_code", "gain_weight", "geometry"]]],
            ignore_index=True,
        )
    chosen = gpd.GeoDataFrame(chosen.reset_index(drop=True), geometry="geometry", crs=WGS84)
    chosen.insert(0, "order", range(1, len(chosen) + 1))
    names = problem.run.region.townships.set_index("code")["name"]
    chosen["township"] = chosen["township_code"].map(names).fillna("（区域外）")
    # reach before / after per township
    closed_idx = closed_rows(problem, closed)
    if open_masks is None:
        open_masks = [problem.coverage[j].toarray().ravel().astype(bool) for j in res.chosen]
    before = reached_after(problem.existing) & problem.counted
    after = (
        reached_after(problem.existing, close=closed_idx, open_masks=open_masks) & problem.counted
    )
    w = problem.demand["weight"].to_numpy(dtype=float)
    # every home is in the denominator, as in the reach run: one off the street network is
    # counted and never reached (it cannot be, by any site)
    every_home = np.ones(len(w), dtype=bool)
    groups = problem.demand["township_code"].replace("", "（无乡镇边界）")
    b = share_by_group(before, w, groups, counted=every_home)
    a = share_by_group(after, w, groups, counted=every_home)
    by_t = _before_after(b, a)
    by_t.insert(1, "name", [names.get(c, c) for c in b.index])
    by_t = by_t.drop(columns=["weight_before", "weight_after"])
    county = problem.demand["county_code"].replace("", "（区域外）")
    total = _before_after(
        share_by_group(before, w, county, counted=every_home),
        share_by_group(after, w, county, counted=every_home),
    ).drop(columns=["weight_share_before", "weight_share_after"])
    # township coverage of the layer before / after, against the same targets
    run = problem.run
    summary_after = _summary_after(problem, chosen["township_code"].tolist(), list(closed))
    comp_after = compare_with_targets(summary_after, run.targets)
    comp_before = run.comparison[run.comparison["layer"] == problem.layer]
    keys = ["scope", "code", "unit_level", "target_id"]
    cov = comp_before[
        keys + ["name", "held_to", "units", "covered", "rate", "status", "units_needed"]
    ].merge(
        comp_after[keys + ["covered", "rate", "status", "units_needed"]],
        on=keys,
        how="outer",
        suffixes=("_before", "_after"),
    )
    cov = cov[
        cov["status_before"].isin(["达标", "未达标"]) | cov["status_after"].isin(["达标", "未达标"])
    ]
    return Scenario(
        name=name,
        kind=kind,
        chosen=chosen,
        closed=tuple(closed),
        reach_by_township=by_t,
        reach_total=total,
        coverage=cov.reset_index(drop=True),
        solver=res.solver,
        status=res.status,
        gap=res.gap,
        time_s=res.time_s,
        notes=tuple(res.notes),
        params=dict(
            params,
            minutes=problem.reach.minutes,
            walk_speed_m_s=problem.reach.walk_speed_m_s,
            layer=problem.layer,
        ),
    )


def _township_of_points(problem: SitingProblem, points: gpd.GeoDataFrame) -> np.ndarray:
    out = np.full(len(points), "", dtype=object)
    for i, pt in enumerate(points.geometry):
        hit = np.flatnonzero(shapely.contains(problem.township_polygons, pt))
        if len(hit):
            out[i] = problem.township_codes[hit[0]]
    return out


def _before_after(b: pd.DataFrame, a: pd.DataFrame) -> pd.DataFrame:
    """Side by side: :func:`analysis.scenario.share_by_group` before (``b``) and after (``a``)."""
    return pd.DataFrame(
        {
            "code": b.index,
            "points": b["points"].values,
            "reached_before": b["points_reached"].values,
            "reached_after": a["points_reached"].values,
            "share_before": b["share_points"].values,
            "share_after": a["share_points"].values,
            "weight_share_before": b["share_weight"].values,
            "weight_share_after": a["share_weight"].values,
            "weight_before": b["weight_reached"].values,
            "weight_after": a["weight_reached"].values,
        }
    )


def _summary_after(
    problem: SitingProblem, new_townships: list[str], closed: list[str]
) -> pd.DataFrame:
    """The layer's coverage summary after opening sites in ``new_townships`` and closing
    facilities, by adjusting the run's summary (no recount of every facility)."""
    run = problem.run
    layer = problem.layer
    fac = run.facilities[run.facilities["layer"] == layer]
    remaining = fac[~fac["facility_id"].isin(set(closed))]
    covered = set(remaining["township_code"]) | {t for t in new_townships if t}
    covered.discard("")
    counties_with = set(remaining["county_code"]) | {t[:6] for t in new_townships if t}
    towns = run.region.townships
    kind = dict(zip(towns["code"], towns["kind"], strict=True))
    names = dict(zip(towns["code"], towns["name"], strict=True))
    county_names = dict(zip(run.region.counties["code"], run.region.counties["name"], strict=True))
    rows = []
    for r in run.summary[run.summary["layer"] == layer].itertuples(index=False):
        d = r._asdict()
        if r.unit_level == "county":
            members = [c for c in county_names if c.startswith(r.code)]
            unc = [c for c in members if c not in counties_with]
            d["uncovered_codes"], d["uncovered_names"] = unc, [county_names[c] for c in unc]
        else:
            members = [c for c in names if c.startswith(r.code)]
            if r.unit_level == "street_only":
                members = [c for c in members if kind[c] == "街道"]
            unc = [c for c in members if c not in covered]
            d["uncovered_codes"], d["uncovered_names"] = unc, [names[c] for c in unc]
        d["covered"] = r.units - len(d["uncovered_codes"])
        d["rate"] = d["covered"] / r.units if r.units else float("nan")
        rows.append(d)
    return pd.DataFrame(rows, columns=run.summary.columns)
