"""The app's interactive maps (coverage, service circle, siting), with the vendored Leaflet."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo.layers import LAYERS
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
    sources: tuple[str, ...],
) -> folium.Map:
    """The interactive coverage map of one layer (townships shaded covered/uncovered).

    Leaflet comes from the vendored copy (see :func:`_use_vendored_leaflet`), so the map also
    draws where the CDN cannot be reached.
    """
    from analysis.maps import coverage_map
    from geo.settings import ATTRIBUTION_OSM

    townships = run.townships[run.townships.geometry.notna()]
    facilities = run.facilities[run.facilities.geometry.notna()]
    fmap = coverage_map(
        townships,
        facilities,
        title=f"{run.region.name} {LAYERS[layer]}覆盖情况",
        layer=layer,
        basemap=basemap,
        date=dt.date.today().isoformat(),
        sources=sources,
        attribution=ATTRIBUTION_OSM,
    )
    _use_vendored_leaflet(fmap)  # a map built just here: not someone else's input
    return fmap


def reach_folium_map(
    run: CoverageRun,
    reach: ReachRun,
    *,
    basemap: str,
    sources: tuple[str, ...],
) -> folium.Map:
    """The 养老服务中心 map with each centre's walking reach and the unreached residential points."""
    from analysis.maps import coverage_map
    from geo.settings import ATTRIBUTION_OSM

    fmap = coverage_map(
        run.townships[run.townships.geometry.notna()],
        run.facilities[run.facilities.geometry.notna()],
        title=f"{run.region.name} {reach.minutes:g}分钟养老服务圈（步行 {reach.walk_speed_m_s:g} 米/秒）",
        layer="elderly_care",
        basemap=basemap,
        date=dt.date.today().isoformat(),
        sources=(*sources, f"道路：OpenStreetMap；需求点：{reach.demand_source}"),
        attribution=ATTRIBUTION_OSM,
        service_areas=reach.service_areas,
        uncovered_points=reach.uncovered,
    )
    _use_vendored_leaflet(fmap)  # a map built just here: not someone else's input
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
    sources: tuple[str, ...],
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
    fmap = coverage_map(
        run.townships[run.townships.geometry.notna()],
        run.facilities[run.facilities.geometry.notna()],
        title=f"{run.region.name} 养老服务设施选址（点击地图添加拟建点）",
        layer=problem.layer,
        basemap=basemap,
        date=dt.date.today().isoformat(),
        sources=sources,
        attribution=ATTRIBUTION_OSM,
        service_areas=reach.service_areas,
        candidates=gpd.GeoDataFrame(cands, geometry="geometry", crs="EPSG:4326"),
    )
    _use_vendored_leaflet(fmap)  # a map built just here: not someone else's input
    return fmap


@functools.lru_cache(maxsize=4)
def _use_vendored_leaflet(fmap: folium.Map) -> None:
    """Point a map's Leaflet script and stylesheet links at the vendored files, in place.

    ``streamlit_folium`` loads a map's ``default_js``/``default_css`` links in the browser; as
    ``data:`` URLs of ``geo/_vendor`` they load without a CDN (offline, or where jsdelivr is
    blocked). Links that are not vendored are kept. Only for maps built here.
    """
    from geo.export import vendored_data_url

    for attr in ("default_js", "default_css"):
        links = getattr(fmap, attr, None) or []
        setattr(fmap, attr, [(name, vendored_data_url(url) or url) for name, url in links])
