"""The app's interactive maps (coverage, service circle, siting), drawn over the local basemap."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo.layers import LAYERS
from servicecircle.app_support.basemap import finish_map, split_big_layers, tile_basemap
from servicecircle.app_support.siting import clicks_frame

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from servicecircle.workflows import (
        CoverageRun,
        ReachRun,
    )


def coverage_folium_map(
    run: CoverageRun,
    *,
    layer: str,
    basemap: str,
    sources: tuple[str, ...] = (),
) -> folium.Map:
    """The interactive coverage map of one layer (townships shaded covered/uncovered).

    Leaflet comes from the vendored copy (see :func:`_use_vendored_leaflet`), so the map also
    draws where the CDN cannot be reached; the basemap is local (see :mod:`.basemap`) unless
    tiles are chosen, and falls back to it when tiles fail. The app shows the sources under
    the map (``sources`` here stay off the map so its box covers nothing).
    """
    from analysis.maps import coverage_map
    from geo.settings import ATTRIBUTION_OSM

    townships = run.townships[run.townships.geometry.notna()]
    facilities, many = split_big_layers(run.facilities[run.facilities.geometry.notna()])
    fmap = coverage_map(
        townships,
        facilities,
        title=f"{run.region.name} {LAYERS[layer]}覆盖情况",
        layer=layer,
        basemap=tile_basemap(basemap),
        date=dt.date.today().isoformat(),
        sources=sources,
        attribution=ATTRIBUTION_OSM,
    )
    finish_map(fmap, run, basemap=basemap, many=many)
    return fmap


def reach_folium_map(
    run: CoverageRun,
    reach: ReachRun,
    *,
    basemap: str,
    sources: tuple[str, ...] = (),
    streets: Any | None = None,
    for_page: bool = True,
) -> folium.Map:
    """The 养老服务中心 map with each centre's walking reach and the unreached residential points."""
    from analysis.maps import coverage_map
    from geo.settings import ATTRIBUTION_OSM

    facilities, many = split_big_layers(run.facilities[run.facilities.geometry.notna()])
    fmap = coverage_map(
        run.townships[run.townships.geometry.notna()],
        facilities,
        title=f"{run.region.name} {reach.minutes:g}分钟养老服务圈（步行 {reach.walk_speed_m_s:g} 米/秒）",
        layer="elderly_care",
        basemap=tile_basemap(basemap),
        date=dt.date.today().isoformat(),
        sources=sources,
        attribution=ATTRIBUTION_OSM,
        service_areas=reach.service_areas,
        uncovered_points=reach.uncovered,
    )
    finish_map(fmap, run, basemap=basemap, many=many, streets=streets, for_page=for_page)
    return fmap


def candidates_for_map(problem: Any, scenario: Any | None) -> gpd.GeoDataFrame:
    """Candidates with ``selected`` marking the latest scenario's sites (and its clicked ones)."""
    import geopandas as gpd

    cands = problem.candidates[["site_id", "name", "geometry"]]
    chosen = set() if scenario is None else set(scenario.chosen["site_id"].astype(str))
    out = cands.assign(selected=cands["site_id"].isin(chosen).values)
    if scenario is not None:
        extra = scenario.chosen[~scenario.chosen["site_id"].isin(cands["site_id"])]
        if len(extra):
            out = pd.concat(
                [out, extra[["site_id", "name", "geometry"]].assign(selected=True)],
                ignore_index=True,
            )
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")


def siting_folium_map(
    problem: Any,
    *,
    clicks: Sequence[tuple[float, float]],
    scenario: Any | None,
    basemap: str,
    sources: tuple[str, ...] = (),
    streets: Any | None = None,
    for_page: bool = True,
) -> folium.Map:
    """The siting map: coverage, existing reach, candidates, chosen sites and clicked sites."""
    import geopandas as gpd

    from analysis.maps import coverage_map
    from geo.settings import ATTRIBUTION_OSM

    run, reach = problem.run, problem.reach
    cands = candidates_for_map(problem, scenario)
    if clicks:
        pts = clicks_frame(clicks)
        cands = pd.concat(
            [cands, pts.assign(site_id=pts["name"], selected=True)], ignore_index=True
        )
    facilities, many = split_big_layers(run.facilities[run.facilities.geometry.notna()])
    fmap = coverage_map(
        run.townships[run.townships.geometry.notna()],
        facilities,
        title=f"{run.region.name} 养老服务设施选址（点击地图添加拟建点）",
        layer=problem.layer,
        basemap=tile_basemap(basemap),
        date=dt.date.today().isoformat(),
        sources=sources,
        attribution=ATTRIBUTION_OSM,
        service_areas=reach.service_areas,
        candidates=gpd.GeoDataFrame(cands, geometry="geometry", crs="EPSG:4326"),
    )
    finish_map(fmap, run, basemap=basemap, many=many, streets=streets, for_page=for_page)
    return fmap
