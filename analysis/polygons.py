"""How far approximate township polygons are from real ones: area misassigned, facilities moved.

The approximation (Voronoi cells of township seats, clipped to the county) is measured against
real polygons of the same 9-digit codes, both in one metric CRS:

* ``area_share_misassigned`` = Σ area(approx_i − real_i) ÷ Σ area(approx_i) over the codes both
  have: the share of the approximated area credited to the wrong township;
* ``facilities_moved`` = facilities whose township under the approximation differs from the one
  under the real polygons (counted among facilities that lie in some polygon of both).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo._errors import InputError


@dataclass(frozen=True)
class PolygonAgreement:
    """The approximation against the real polygons (see the module docstring)."""

    area_share_misassigned: float
    per_township: pd.DataFrame  # code, area_km2 (approx), wrong_km2, share_wrong
    facilities_moved: int
    facilities_compared: int
    moved: pd.DataFrame  # the facilities that change township: index of the input, from, to


def polygon_agreement(
    approx: gpd.GeoDataFrame,
    real: gpd.GeoDataFrame,
    *,
    metric_crs: str,
    facilities: gpd.GeoDataFrame | None = None,
) -> PolygonAgreement:
    """Compare ``approx`` with ``real`` (both with ``code`` and polygons) in ``metric_crs``."""
    for frame, what in ((approx, "approx"), (real, "real")):
        if "code" not in frame.columns or frame.crs is None:
            raise InputError(f"{what} polygons need a 'code' column and a CRS")
    a = approx[approx.geometry.notna()][["code", "geometry"]].to_crs(metric_crs)
    r = real[real.geometry.notna()][["code", "geometry"]].to_crs(metric_crs)
    a = a.dissolve(by="code")
    r = r.dissolve(by="code")
    common = a.index.intersection(r.index)
    if common.empty:
        raise InputError("approx and real polygons share no township code; compare like with like")
    wrong = a.loc[common].geometry.difference(r.loc[common].geometry, align=True).area
    area = a.loc[common].geometry.area
    per = pd.DataFrame(
        {
            "code": list(common),
            "area_km2": (area / 1e6).to_numpy(),
            "wrong_km2": (wrong / 1e6).to_numpy(),
        }
    )
    per["share_wrong"] = per["wrong_km2"] / per["area_km2"]
    share = float(wrong.sum() / area.sum())
    moved = pd.DataFrame(columns=["from", "to"])
    compared = 0
    if facilities is not None and len(facilities):
        pts = facilities[facilities.geometry.notna()][["geometry"]].to_crs(metric_crs)
        by_a = _within(pts, a.reset_index())
        by_r = _within(pts, r.reset_index())
        both = (by_a != "") & (by_r != "")
        compared = int(both.sum())
        diff = both & (by_a != by_r)
        moved = pd.DataFrame({"from": by_a[diff], "to": by_r[diff]})
    return PolygonAgreement(share, per, len(moved), compared, moved)


def _within(points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame) -> pd.Series:
    joined = gpd.sjoin(points, polygons[["code", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined["code"].reindex(points.index).fillna("").astype(str)
