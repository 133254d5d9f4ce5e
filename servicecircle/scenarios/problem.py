"""The siting problem: candidates and demand snapped, candidate × demand coverage built once."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from geo._errors import InputError
from servicecircle.workflows import WGS84, CoverageRun, ReachRun, Streets, group_of


@dataclass(frozen=True)
class SitingProblem:
    """Everything a siting question needs, built once per scenario family and reused."""

    run: CoverageRun
    reach: ReachRun
    streets: Streets
    layer: str
    facilities: gpd.GeoDataFrame  # existing sites of the layer (reset index)
    candidates: gpd.GeoDataFrame  # site_id, name, source, township_code, snapped
    demand: gpd.GeoDataFrame  # from the reach run (reset index)
    coverage: csr_matrix  # candidates × demand, within the budget
    existing: csr_matrix  # facilities × demand, within the budget
    demand_snaps: pd.DataFrame
    counted: np.ndarray  # demand points on the network (snapped)
    build_s: float
    township_polygons: np.ndarray  # shapely polygons of the region's townships (for clicks)
    township_codes: np.ndarray  # their codes, aligned


def siting_problem(
    run: CoverageRun,
    reach: ReachRun,
    streets: Streets,
    candidates: gpd.GeoDataFrame,
    *,
    layer: str = "elderly_care",
    snap_max_m: float = 300.0,
) -> SitingProblem:
    """Snap candidates and demand, and build the candidate × demand coverage matrix once."""
    from analysis import reach as engine

    t0 = time.perf_counter()
    if candidates is None or len(candidates) == 0:
        raise InputError(
            "the candidate list is empty: upload candidates, click the map, or "
            "generate them (seats / residential / grid)"
        )
    cands = candidates.reset_index(drop=True).to_crs(WGS84)
    if "site_id" not in cands.columns:
        cands.insert(0, "site_id", [f"C{i + 1:03d}" for i in range(len(cands))])
    if "name" not in cands.columns:
        cands["name"] = cands["site_id"]
    arrays = streets.arrays
    demand = reach.demand.reset_index(drop=True)
    dsnap = engine.snap_points(arrays, demand, max_distance_m=snap_max_m)
    csnap = engine.snap_points(arrays, cands, max_distance_m=snap_max_m)
    fac = run.facilities[(run.facilities["layer"] == layer) & run.facilities.geometry.notna()]
    fac = fac.reset_index(drop=True)
    fsnap = engine.snap_points(arrays, fac, max_distance_m=snap_max_m)
    kw = {"minutes": reach.minutes, "walk_speed_m_s": reach.walk_speed_m_s}
    cov = engine.coverage_matrix(arrays, csnap, dsnap, **kw)
    existing = engine.coverage_matrix(arrays, fsnap, dsnap, **kw)
    cands = cands.assign(
        township_code=group_of(cands, run.region.townships).values,
        snapped=csnap["snapped"].values,
    )
    towns = run.region.townships[run.region.townships.geometry.notna()]
    return SitingProblem(
        run=run,
        reach=reach,
        streets=streets,
        layer=layer,
        facilities=fac,
        candidates=cands,
        demand=demand,
        coverage=csr_matrix(cov),
        existing=csr_matrix(existing),
        demand_snaps=dsnap,
        counted=dsnap["snapped"].to_numpy(dtype=bool),
        build_s=time.perf_counter() - t0,
        township_polygons=np.asarray(towns.geometry.values),
        township_codes=towns["code"].to_numpy(dtype=object),
    )


def unreachable_candidates(problem: SitingProblem) -> pd.DataFrame:
    """Candidates farther than the snapping distance from any street: reported, never chosen."""
    c = problem.candidates
    return pd.DataFrame(c.loc[~c["snapped"], ["site_id", "name"]])


def closed_rows(problem: SitingProblem, close: Sequence[str]) -> list[int]:
    """Rows of ``problem.facilities`` for the facility ids in ``close`` (InputError if unknown)."""
    ids = problem.facilities["facility_id"].tolist()
    unknown = [c for c in close if c not in ids]
    if unknown:
        raise InputError(f"cannot close {unknown}: not an existing {problem.layer} facility id")
    return [ids.index(c) for c in close]
