"""Service-area polygons: the streets reached from each facility, buffered; and plain circles."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.reach._checks import EPS_S, check_budget, check_snaps
from analysis.reach.arrays import StreetArrays
from analysis.reach.nearest import NodeTimes
from geo._errors import InputError


def service_areas(
    arrays: StreetArrays,
    node_times: NodeTimes,
    facility_snaps: pd.DataFrame,
    *,
    budget_s: float,
    buffer_m: float = 50.0,
) -> gpd.GeoDataFrame:
    """Each facility's walking service area: its reached streets, buffered.

    A node belongs to the facility nearest to it (``node_times``); from each reached end
    of an edge, the street is walked for the remaining budget (cut with ``substring``), and
    each facility also walks along its own edge directly. The result is a catchment-style
    partition: the union over facilities is the area within ``budget_s`` of any facility.

    Parameters
    ----------
    arrays, node_times
        Street arrays and :func:`nearest_facility` (its ``limit_s`` must be ≥ ``budget_s``).
    facility_snaps
        :func:`snap_points` of the facilities.
    budget_s
        Walking budget in seconds (15 min = 900 s).
    buffer_m
        Half-width of the band drawn around the reached streets.

    Returns
    -------
    geopandas.GeoDataFrame
        Aligned to ``facility_snaps.index`` (empty geometry for unsnapped facilities):
        ``geometry``, ``street_m`` (reached street length), ``method="network"``.
    """
    check_snaps(facility_snaps, "facility_snaps")
    check_budget(budget_s, "budget_s")
    check_budget(buffer_m, "buffer_m")
    if node_times.limit_s + EPS_S < budget_s:
        raise InputError(
            f"node_times were searched only to {node_times.limit_s} s, less than budget_s="
            f"{budget_s}; call nearest_facility with limit_s >= budget_s."
        )
    s = node_times.walk_speed_m_s
    seg_geom, seg_fac = _reached_segments(arrays, node_times, facility_snaps, budget_s=budget_s)
    n_fac = len(facility_snaps)
    geoms = np.full(n_fac, shapely.Polygon(), dtype=object)
    street = np.zeros(n_fac)
    if len(seg_geom):
        order = np.argsort(seg_fac, kind="stable")
        seg_geom, seg_fac = seg_geom[order], seg_fac[order]
        cuts = np.flatnonzero(np.diff(seg_fac)) + 1
        for part, fac in zip(np.split(seg_geom, cuts), seg_fac[np.r_[0, cuts]], strict=True):
            lines = shapely.union_all(part)
            street[fac] = shapely.length(lines)
            if buffer_m > 0:
                # one buffer per piece then a cascaded union: GEOS buffers a whole
                # multi-line ~5x slower; simplifying by buffer/25 changes the area < 0.1 %
                pieces = shapely.simplify(part, buffer_m / 25.0)
                geoms[fac] = shapely.union_all(shapely.buffer(pieces, buffer_m, quad_segs=4))
            else:
                geoms[fac] = lines
    return gpd.GeoDataFrame(
        {
            "street_m": street,
            "budget_min": budget_s / 60.0,
            "walk_speed_m_s": s,
            "method": "network",
        },
        geometry=gpd.GeoSeries(geoms, index=facility_snaps.index, crs=arrays.crs),
        index=facility_snaps.index,
    )


def _reached_segments(
    arrays: StreetArrays, node_times: NodeTimes, facility_snaps: pd.DataFrame, *, budget_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Reached pieces of streets and the facility position each belongs to."""
    s = node_times.walk_speed_m_s
    t = node_times.time_s
    src = node_times.source
    length = arrays.edge_length_m
    geoms = arrays.edge_geometry
    tu, tv = t[arrays.edge_u], t[arrays.edge_v]
    ru = np.where(tu <= budget_s + EPS_S, (budget_s - tu) * s, -1.0)  # metres left at u
    rv = np.where(tv <= budget_s + EPS_S, (budget_s - tv) * s, -1.0)
    out_geom: list[np.ndarray] = []
    out_fac: list[np.ndarray] = []
    # whole edges walked from one end
    for r, fac in ((ru, src[arrays.edge_u]), (rv, src[arrays.edge_v])):
        full = (r >= length) & (fac >= 0)
        out_geom.append(geoms[full])
        out_fac.append(fac[full])
    # partial edges: from u [0, ru], from v [L - rv, L]
    part_u = (ru >= 0) & (ru < length) & (src[arrays.edge_u] >= 0)
    part_v = (rv >= 0) & (rv < length) & (src[arrays.edge_v] >= 0)
    frac_u = np.clip(ru / np.where(length > 0, length, 1.0), 0, 1)
    frac_v = np.clip(rv / np.where(length > 0, length, 1.0), 0, 1)
    pieces = []
    facs = []
    for i in np.flatnonzero(part_u):
        pieces.append(_substring(geoms[i], 0.0, frac_u[i]))
        facs.append(src[arrays.edge_u[i]])
    for i in np.flatnonzero(part_v):
        pieces.append(_substring(geoms[i], 1.0 - frac_v[i], 1.0))
        facs.append(src[arrays.edge_v[i]])
    # each facility's own edge, walked directly in both directions
    use = np.flatnonzero(facility_snaps["snapped"].to_numpy())
    for pos in use:
        row = facility_snaps.iloc[pos]
        own = int(row["edge"])
        left_m = budget_s * s - float(row["access_m"])
        if left_m < 0 or length[own] <= 0:
            continue
        lo = max(0.0, float(row["offset_m"]) - left_m) / length[own]
        hi = min(length[own], float(row["offset_m"]) + left_m) / length[own]
        pieces.append(_substring(geoms[own], lo, hi))
        facs.append(pos)
    if pieces:
        out_geom.append(np.array(pieces, dtype=object))
        out_fac.append(np.array(facs, dtype=np.int64))
    g = np.concatenate(out_geom) if out_geom else np.empty(0, dtype=object)
    f = np.concatenate(out_fac).astype(np.int64) if out_fac else np.empty(0, dtype=np.int64)
    keep = ~shapely.is_empty(g)
    return g[keep], f[keep]


def _substring(line: shapely.LineString, start: float, end: float) -> shapely.Geometry:
    from shapely.ops import substring

    if end <= start:
        return shapely.Point(line.interpolate(start, normalized=True))
    return substring(line, start, end, normalized=True)


def union_service_area(areas: gpd.GeoDataFrame) -> shapely.Geometry:
    """The area within the budget of any facility: the union of :func:`service_areas`."""
    if not isinstance(areas, gpd.GeoDataFrame):
        raise InputError("areas must be the GeoDataFrame returned by service_areas.")
    return shapely.union_all(areas.geometry.values)


def buffer_areas(
    facility_points: gpd.GeoSeries | gpd.GeoDataFrame, *, radius_m: float
) -> gpd.GeoDataFrame:
    """Straight-line circles around facilities, for comparison with the street-based areas.

    Parameters
    ----------
    facility_points
        Facility points with a CRS (buffered in their local UTM zone when geographic).
    radius_m
        Circle radius, usually ``walk_speed_m_s * budget_s`` (900 m for 15 min at 1 m/s).

    Returns
    -------
    geopandas.GeoDataFrame
        Aligned to the input, in its CRS, with ``method="straight-line"`` and ``radius_m``.
    """
    check_budget(radius_m, "radius_m")
    geo = (
        facility_points.geometry
        if isinstance(facility_points, gpd.GeoDataFrame)
        else facility_points
    )
    if geo.crs is None:
        raise InputError("facility_points have no CRS; set it so metres can be measured.")
    work = geo if geo.crs.is_projected else geo.to_crs(geo.estimate_utm_crs())
    circles = work.buffer(radius_m)
    if not geo.crs.is_projected:
        circles = circles.to_crs(geo.crs)
    return gpd.GeoDataFrame(
        {"radius_m": float(radius_m), "method": "straight-line"},
        geometry=circles.values,
        index=geo.index,
        crs=geo.crs,
    )
