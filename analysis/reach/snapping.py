"""Points snapped to their nearest street edge, keeping their position along it."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.reach.arrays import PIECE_M, StreetArrays
from geo._errors import InputError
from geo.settings import SNAP_MAX_M

_SNAP_K = 16  # pieces examined per point before falling back to the STRtree


def snap_points(
    arrays: StreetArrays,
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    max_distance_m: float = SNAP_MAX_M,
) -> pd.DataFrame:
    """Snap points to their nearest street edge.

    Parameters
    ----------
    arrays
        The street arrays.
    points
        Point geometries with a CRS (projected to the graph's CRS when different).
    max_distance_m
        Points farther than this from every street are marked ``snapped=False``.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``points.index``: ``edge`` (position in the edge arrays), ``offset_m``
        (metres along the edge from its ``u`` end), ``access_m`` (straight walk from the
        point to the street) and ``snapped``. Points with a missing geometry or farther than
        ``max_distance_m`` from every street have ``snapped=False``, ``edge=-1`` and NaN
        distances.

    Raises
    ------
    InputError
        No CRS, or geometries that are not points.
    """
    if not isinstance(points, gpd.GeoSeries | gpd.GeoDataFrame):
        raise InputError(
            f"points must be a GeoSeries or GeoDataFrame, got {type(points).__name__}."
        )
    if not np.isfinite(max_distance_m) or max_distance_m < 0:
        raise InputError(f"max_distance_m must be a non-negative number, got {max_distance_m!r}")
    geo = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if len(geo) and geo.crs is None:
        raise InputError(
            "points have no CRS; set it (e.g. .set_crs('EPSG:4326') for longitude/latitude) "
            "so they can be placed on the street graph."
        )
    if len(geo) and geo.crs != arrays.crs:
        geo = geo.to_crs(arrays.crs)
    g = np.asarray(geo.values, dtype=object)
    absent = shapely.is_missing(g) | shapely.is_empty(g)
    kinds = shapely.get_type_id(g)
    not_point = ~absent & (kinds != shapely.GeometryType.POINT)
    if not_point.any():
        rows = geo.index[not_point][:10].tolist()
        raise InputError(
            f"points rows {rows} are not points (e.g. {shapely.get_type_id(g[not_point][0])!r} "
            "type id); pass centroids or representative points, e.g. gdf.representative_point()."
        )
    n = len(g)
    edge = np.full(n, -1, dtype=np.int64)
    access = np.full(n, np.nan)
    offset = np.full(n, np.nan)
    ok = np.flatnonzero(~absent)
    if len(ok):
        pts = shapely.get_coordinates(g[ok])
        e, dist, along, exact = _snap_pieces(arrays, pts, max_distance_m=max_distance_m)
        hit = exact & (dist <= max_distance_m)
        edge[ok[hit]] = e[hit]
        access[ok[hit]] = dist[hit]
        glen = arrays.segments["geom_length_m"][e[hit]]
        frac = np.where(glen > 0, along[hit] / np.where(glen > 0, glen, 1.0), 0.0)
        offset[ok[hit]] = np.clip(frac, 0.0, 1.0) * arrays.edge_length_m[e[hit]]
        rest = ok[~exact]
        if len(rest):
            # the few points the piece search cannot settle: exact nearest line via STRtree
            (src, tgt), d2 = arrays.edge_tree.query_nearest(
                g[rest], max_distance=max_distance_m, return_distance=True, all_matches=False
            )
            edge[rest[src]] = tgt
            access[rest[src]] = d2
            fr = shapely.line_locate_point(arrays.edge_geometry[tgt], g[rest[src]], normalized=True)
            offset[rest[src]] = np.clip(fr, 0.0, 1.0) * arrays.edge_length_m[tgt]
    snapped = np.isfinite(access) & (access <= max_distance_m)
    return pd.DataFrame(
        {"edge": edge, "offset_m": offset, "access_m": access, "snapped": snapped},
        index=points.index,
    )


def _snap_pieces(
    arrays: StreetArrays, pts: np.ndarray, *, max_distance_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nearest straight piece among the ``_SNAP_K`` with the closest midpoints.

    A piece is at least ``|p - midpoint| - half its length`` away, so the answer is exact
    when the best distance found is within that bound of the k-th midpoint; ``exact`` is
    False for the points where it is not (they go to the STRtree).
    """
    seg = arrays.segments
    n_seg = len(seg["edge"])
    k = min(_SNAP_K, n_seg)
    half = PIECE_M / 2 + 1e-6
    dmid, cand = arrays.segment_tree.query(pts, k=k, distance_upper_bound=max_distance_m + half)
    dmid = dmid.reshape(len(pts), k)
    cand = cand.reshape(len(pts), k)
    valid = cand < n_seg
    c = np.where(valid, cand, 0)
    ax, ay, bx, by = seg["ax"][c], seg["ay"][c], seg["bx"][c], seg["by"][c]
    dx, dy = bx - ax, by - ay
    px, py = pts[:, 0:1], pts[:, 1:2]
    len2 = dx * dx + dy * dy
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / np.where(len2 > 0, len2, 1.0), 0.0, 1.0)
    d = np.hypot(ax + t * dx - px, ay + t * dy - py)
    d = np.where(valid, d, np.inf)
    best = np.argmin(d, axis=1)
    rows = np.arange(len(pts))
    dist = d[rows, best]
    bc = c[rows, best]
    along = seg["start_m"][bc] + t[rows, best] * np.sqrt(len2[rows, best])
    # every piece left out has its midpoint beyond dmid[:, -1] (inf when fewer than k lie
    # within the search bound, in which case the bound itself limits them)
    outside = np.where(np.isfinite(dmid[:, -1]), dmid[:, -1], max_distance_m + half)
    exact = dist <= outside - half
    exact |= ~np.isfinite(dmid[:, -1]) & ~np.isfinite(dist)  # nothing within max_distance_m
    return seg["edge"][bc], dist, along, exact
