"""The walking reach of a scenario's new sites: the "after" layer of the before/after maps."""

from __future__ import annotations

import geopandas as gpd

from servicecircle.scenarios.outcome import Scenario
from servicecircle.scenarios.problem import SitingProblem
from servicecircle.workflows import WGS84


def new_site_areas(
    problem: SitingProblem, sc: Scenario, *, buffer_m: float = 50.0
) -> gpd.GeoDataFrame:
    """The walking reach of a scenario's new sites (the map's "after" layer), EPSG:4326."""
    from analysis import reach as engine

    if len(sc.chosen) == 0:
        return gpd.GeoDataFrame({"name": []}, geometry=[], crs=WGS84)
    sites = sc.chosen.reset_index(drop=True)
    snaps = engine.snap_points(problem.streets.arrays, sites)
    ok = snaps["snapped"].to_numpy(dtype=bool)
    sites, snaps = sites[ok].reset_index(drop=True), snaps[ok].reset_index(drop=True)
    budget_s = problem.reach.minutes * 60.0
    times = engine.nearest_facility(
        problem.streets.arrays,
        snaps,
        walk_speed_m_s=problem.reach.walk_speed_m_s,
        limit_s=budget_s + 1.0,
    )
    areas = engine.service_areas(
        problem.streets.arrays, times, snaps, budget_s=budget_s, buffer_m=buffer_m
    )
    areas = areas.assign(site_id=sites["site_id"].values, name=sites["name"].values)
    return areas[~areas.geometry.is_empty].to_crs(WGS84)
