"""Walking time to the nearest facility, for every street node and every demand point
(and the straight-line time, for comparison).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from analysis.reach._checks import EPS_S, check_budget, check_snaps, check_speed
from analysis.reach.arrays import StreetArrays, augmented_adjacency, virtual_edges
from geo._errors import InputError
from geo.settings import WALK_SPEED_M_S


@dataclass(frozen=True, eq=False)
class NodeTimes:
    """Walking time from every street node to its nearest facility.

    Attributes
    ----------
    time_s
        Seconds per node (``inf`` beyond the search limit or with no facility).
    facility
        Index label of the nearest facility per node, ``-1`` where none was reached.
    source
        Position of that facility in ``facility_snaps`` (``-1`` where none).
    walk_speed_m_s
        The speed the times were computed with.
    limit_s
        The search limit in seconds (``inf`` for none).
    """

    time_s: np.ndarray
    facility: np.ndarray
    source: np.ndarray
    walk_speed_m_s: float
    limit_s: float


def nearest_facility(
    arrays: StreetArrays,
    facility_snaps: pd.DataFrame,
    *,
    walk_speed_m_s: float = WALK_SPEED_M_S,
    limit_s: float | None = None,
) -> NodeTimes:
    """Walking time from each street node to the nearest facility: one multi-source Dijkstra.

    Each snapped facility becomes a virtual node joined to both ends of its edge with costs
    ``access + offset`` and ``access + length - offset``; a single
    ``scipy.sparse.csgraph.dijkstra(min_only=True)`` from all of them gives every node's
    time and (from ``sources``) which facility it is.

    Parameters
    ----------
    arrays
        The street arrays.
    facility_snaps
        :func:`snap_points` of the facilities; unsnapped ones are left out.
    walk_speed_m_s
        Walking speed.
    limit_s
        Stop searching beyond this many seconds (faster); None searches the whole graph.
    """
    check_snaps(facility_snaps, "facility_snaps")
    check_speed(walk_speed_m_s)
    limit = np.inf if limit_s is None else float(limit_s)
    if limit_s is not None:
        check_budget(limit, "limit_s")
    n = arrays.n_nodes
    use, rows, cols, cost = virtual_edges(
        arrays, facility_snaps, first_id=n, walk_speed_m_s=walk_speed_m_s
    )
    labels = facility_snaps.index.to_numpy()
    fac_dtype = labels.dtype if labels.dtype.kind in "iu" else object
    if len(use) == 0:
        return NodeTimes(
            time_s=np.full(n, np.inf),
            facility=np.full(n, -1, dtype=fac_dtype),
            source=np.full(n, -1, dtype=np.int64),
            walk_speed_m_s=walk_speed_m_s,
            limit_s=limit,
        )
    graph = augmented_adjacency(
        arrays, rows, cols, cost, n_virtual=len(use), walk_speed_m_s=walk_speed_m_s
    )
    dist, _, sources = dijkstra(
        graph,
        directed=True,
        indices=np.arange(n, n + len(use)),
        min_only=True,
        return_predecessors=True,
        limit=limit + EPS_S if np.isfinite(limit) else np.inf,
    )
    time_s = dist[:n].copy()
    src = sources[:n].astype(np.int64)
    reached = (src >= 0) & np.isfinite(time_s)
    source = np.full(n, -1, dtype=np.int64)
    source[reached] = use[src[reached] - n]
    time_s[~reached] = np.inf
    facility = np.full(n, -1, dtype=fac_dtype)
    facility[reached] = labels[source[reached]]
    return NodeTimes(
        time_s=time_s,
        facility=facility,
        source=source,
        walk_speed_m_s=walk_speed_m_s,
        limit_s=limit,
    )


def demand_times(
    arrays: StreetArrays,
    node_times: NodeTimes,
    demand_snaps: pd.DataFrame,
    facility_snaps: pd.DataFrame,
    *,
    walk_speed_m_s: float = WALK_SPEED_M_S,
) -> pd.DataFrame:
    """Minutes from each demand point to its nearest facility.

    The walk is: access to the street, along the street to either end of the demand's edge,
    on to the facility (node times); or, when demand and facility share an edge, directly
    along it. Access walks at both ends are included.

    Parameters
    ----------
    arrays, node_times
        The street arrays and :func:`nearest_facility` for the same facilities and speed.
    demand_snaps, facility_snaps
        :func:`snap_points` of the demand points and of the facilities.
    walk_speed_m_s
        Walking speed; must equal the one ``node_times`` was computed with.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``demand_snaps.index``: ``minutes`` (``inf`` when no facility is reached
        within the node search limit, NaN for unsnapped demand), ``facility`` (label of the
        nearest facility, -1 where none) and ``snapped``.
    """
    check_snaps(demand_snaps, "demand_snaps")
    check_snaps(facility_snaps, "facility_snaps")
    check_speed(walk_speed_m_s)
    if not np.isclose(walk_speed_m_s, node_times.walk_speed_m_s):
        raise InputError(
            f"walk_speed_m_s={walk_speed_m_s} differs from the {node_times.walk_speed_m_s} m/s "
            "node_times were computed with; pass the same speed to both."
        )
    s = walk_speed_m_s
    snapped = demand_snaps["snapped"].to_numpy(dtype=bool)
    e = np.where(snapped, demand_snaps["edge"].to_numpy(), 0)
    off = demand_snaps["offset_m"].to_numpy()
    acc = demand_snaps["access_m"].to_numpy()
    length = arrays.edge_length_m[e]
    u, v = arrays.edge_u[e], arrays.edge_v[e]
    via_u = node_times.time_s[u] + off / s
    via_v = node_times.time_s[v] + np.maximum(length - off, 0.0) / s
    best = np.minimum(via_u, via_v)
    src = np.where(via_u <= via_v, node_times.source[u], node_times.source[v])
    src = np.where(np.isfinite(best), src, -1)

    # a facility on the demand's own edge: straight along it
    fac_ok = facility_snaps["snapped"].to_numpy(dtype=bool)
    shares = snapped & np.isin(e, facility_snaps["edge"].to_numpy()[fac_ok])
    if shares.any():
        fac = pd.DataFrame(
            {
                "edge": facility_snaps["edge"].to_numpy()[fac_ok],
                "f_off": facility_snaps["offset_m"].to_numpy()[fac_ok],
                "f_acc": facility_snaps["access_m"].to_numpy()[fac_ok],
                "f_pos": np.flatnonzero(fac_ok),
            }
        )
        dem = pd.DataFrame(
            {
                "edge": e[shares],
                "d_off": off[shares],
                "d_acc": acc[shares],
                "d_pos": np.flatnonzero(shares),
            }
        )
        both = dem.merge(fac, on="edge", how="inner")
        if len(both):
            direct = (np.abs(both["d_off"] - both["f_off"]) + both["f_acc"]).to_numpy() / s
            both["t"] = direct
            both = both.sort_values(["d_pos", "t"]).drop_duplicates("d_pos")
            d_pos = both["d_pos"].to_numpy()
            t = both["t"].to_numpy()
            better = t < best[d_pos]
            best[d_pos[better]] = t[better]
            src[d_pos[better]] = both["f_pos"].to_numpy()[better]

    total_s = best + acc / s
    if np.isfinite(node_times.limit_s):
        total_s = np.where(total_s <= node_times.limit_s + EPS_S, total_s, np.inf)
        src = np.where(np.isfinite(total_s), src, -1)
    minutes = np.where(snapped, total_s / 60.0, np.nan)
    labels = facility_snaps.index.to_numpy()
    fac_dtype = labels.dtype if labels.dtype.kind in "iu" else object
    facility = np.full(len(e), -1, dtype=fac_dtype)
    hit = snapped & (src >= 0)
    facility[hit] = labels[src[hit]]
    return pd.DataFrame(
        {"minutes": minutes, "facility": facility, "snapped": snapped},
        index=demand_snaps.index,
    )


def straight_line_minutes(
    facility_points: gpd.GeoSeries | gpd.GeoDataFrame,
    demand_points: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    walk_speed_m_s: float = WALK_SPEED_M_S,
) -> pd.Series:
    """Minutes to the nearest facility as the crow flies (the buffer method), for comparison.

    Labelled "straight-line" wherever shown: it ignores the street network, so it is always
    at most the network time, and the difference shows the detour.

    Returns
    -------
    pandas.Series
        Aligned to ``demand_points.index``; ``inf`` when there is no facility.
    """
    check_speed(walk_speed_m_s)
    fac = (
        facility_points.geometry
        if isinstance(facility_points, gpd.GeoDataFrame)
        else facility_points
    )
    dem = demand_points.geometry if isinstance(demand_points, gpd.GeoDataFrame) else demand_points
    if fac.crs is None or dem.crs is None:
        raise InputError("facility and demand points need a CRS to measure straight-line distance.")
    fac = fac[fac.notna() & ~fac.is_empty]
    if len(fac) == 0:
        return pd.Series(np.inf, index=dem.index, name="minutes_straight")
    metric = dem.estimate_utm_crs() if dem.crs.is_geographic else dem.crs
    f = fac.to_crs(metric)
    d = dem.to_crs(metric)
    tree = cKDTree(np.column_stack([f.x.to_numpy(), f.y.to_numpy()]))
    dist, _ = tree.query(np.column_stack([d.x.to_numpy(), d.y.to_numpy()]))
    return pd.Series(dist / walk_speed_m_s / 60.0, index=dem.index, name="minutes_straight")
