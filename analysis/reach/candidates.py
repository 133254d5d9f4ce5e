"""Reach of candidate sites: the candidate-by-demand coverage matrix and one what-if site."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from analysis.reach._checks import EPS_S, SNAP_COLUMNS, check_budget, check_snaps, check_speed
from analysis.reach.arrays import StreetArrays, augmented_adjacency, virtual_edges
from geo._errors import InputError
from geo.settings import WALK_SPEED_M_S


def coverage_matrix(
    arrays: StreetArrays,
    candidate_snaps: pd.DataFrame,
    demand_snaps: pd.DataFrame,
    *,
    minutes: float,
    walk_speed_m_s: float = WALK_SPEED_M_S,
    batch_size: int = 128,
) -> csr_matrix:
    """Which demand points each candidate site reaches within ``minutes`` (bounded searches).

    Parameters
    ----------
    arrays
        The street arrays.
    candidate_snaps, demand_snaps
        :func:`snap_points` of the candidate sites and of the demand points.
    minutes
        Walking budget.
    walk_speed_m_s
        Walking speed.
    batch_size
        Candidates per bounded ``dijkstra`` call; memory is ``batch_size × nodes`` floats.

    Returns
    -------
    scipy.sparse.csr_matrix
        Boolean ``n_candidates × n_demand`` in the order of the two inputs' rows; unsnapped
        candidates have empty rows and unsnapped demand empty columns.
    """
    check_snaps(candidate_snaps, "candidate_snaps")
    check_snaps(demand_snaps, "demand_snaps")
    check_speed(walk_speed_m_s)
    check_budget(minutes, "minutes")
    if batch_size < 1:
        raise InputError(f"batch_size must be a positive integer, got {batch_size!r}")
    n = arrays.n_nodes
    budget_s = float(minutes) * 60.0
    s = walk_speed_m_s
    use, rows, cols, cost = virtual_edges(arrays, candidate_snaps, first_id=n, walk_speed_m_s=s)
    n_cand = len(candidate_snaps)
    n_dem = len(demand_snaps)
    d_ok = np.flatnonzero(demand_snaps["snapped"].to_numpy(dtype=bool))
    if len(use) == 0 or len(d_ok) == 0:
        return csr_matrix((n_cand, n_dem), dtype=bool)
    graph = augmented_adjacency(arrays, rows, cols, cost, n_virtual=len(use), walk_speed_m_s=s)
    de = demand_snaps["edge"].to_numpy()[d_ok]
    d_off = demand_snaps["offset_m"].to_numpy()[d_ok]
    d_acc = demand_snaps["access_m"].to_numpy()[d_ok]
    d_len = arrays.edge_length_m[de]
    du, dv = arrays.edge_u[de], arrays.edge_v[de]
    tail_u = (d_off + d_acc) / s
    tail_v = (np.maximum(d_len - d_off, 0.0) + d_acc) / s
    # demand on a candidate's own edge: direct walk along it
    c_edge = candidate_snaps["edge"].to_numpy()[use]
    c_off = candidate_snaps["offset_m"].to_numpy()[use]
    c_acc = candidate_snaps["access_m"].to_numpy()[use]
    same = pd.DataFrame({"edge": c_edge, "c": np.arange(len(use))}).merge(
        pd.DataFrame({"edge": de, "d": np.arange(len(d_ok))}), on="edge"
    )
    direct_t = (
        np.abs(c_off[same["c"].to_numpy()] - d_off[same["d"].to_numpy()])
        + c_acc[same["c"].to_numpy()]
        + d_acc[same["d"].to_numpy()]
    ) / s
    direct_hit = direct_t <= budget_s + EPS_S

    out_rows: list[np.ndarray] = []
    out_cols: list[np.ndarray] = []
    limit = budget_s + EPS_S
    for start in range(0, len(use), batch_size):
        idx = np.arange(start, min(start + batch_size, len(use)))
        dist = dijkstra(graph, directed=True, indices=n + idx, limit=limit)
        t = np.minimum(dist[:, du] + tail_u, dist[:, dv] + tail_v)
        r, c = np.nonzero(t <= limit)
        out_rows.append(use[idx[r]])
        out_cols.append(d_ok[c])
    sel = direct_hit
    out_rows.append(use[same["c"].to_numpy()[sel]])
    out_cols.append(d_ok[same["d"].to_numpy()[sel]])
    r = np.concatenate(out_rows)
    c = np.concatenate(out_cols)
    m = csr_matrix((np.ones(len(r), dtype=bool), (r, c)), shape=(n_cand, n_dem))
    m.sum_duplicates()
    return m.astype(bool)


@dataclass(frozen=True, eq=False)
class PointReach:
    """What one site reaches within a budget (from :func:`reach_from_point`).

    Attributes
    ----------
    nodes
        Positions of the reached street nodes.
    time_s
        Walking seconds to each of those nodes.
    demand_reached
        Boolean Series aligned to the demand snaps passed in (None when none were passed).
    """

    nodes: np.ndarray
    time_s: np.ndarray
    demand_reached: pd.Series | None


def reach_from_point(
    arrays: StreetArrays,
    snap: pd.Series | pd.DataFrame,
    *,
    minutes: float,
    walk_speed_m_s: float = WALK_SPEED_M_S,
    demand_snaps: pd.DataFrame | None = None,
) -> PointReach:
    """Bounded local search from one site (a what-if answered in milliseconds).

    Only nodes within the straight-line radius ``speed × budget − access`` of the snapped
    point can be reached (a street path is never shorter than the straight line), so the
    search runs on that sub-network alone.

    Parameters
    ----------
    arrays
        The street arrays.
    snap
        One row of :func:`snap_points` (Series, or a one-row DataFrame).
    minutes, walk_speed_m_s
        Budget and speed.
    demand_snaps
        Optional :func:`snap_points` of demand points to test.
    """
    check_speed(walk_speed_m_s)
    check_budget(minutes, "minutes")
    if isinstance(snap, pd.DataFrame):
        if len(snap) != 1:
            raise InputError(f"snap must be a single snapped point, got {len(snap)} rows.")
        snap = snap.iloc[0]
    if not isinstance(snap, pd.Series) or not set(SNAP_COLUMNS) <= set(snap.index):
        raise InputError("snap must be one row of snap_points (edge, offset_m, access_m, snapped).")
    s = walk_speed_m_s
    budget_s = float(minutes) * 60.0
    empty = PointReach(
        nodes=np.empty(0, dtype=np.int64),
        time_s=np.empty(0),
        demand_reached=None if demand_snaps is None else pd.Series(False, index=demand_snaps.index),
    )
    if not bool(snap["snapped"]):
        return empty
    e = int(snap["edge"])
    off = float(snap["offset_m"])
    acc = float(snap["access_m"])
    radius = budget_s * s - acc
    if radius < 0:
        return empty
    on_street = shapely.line_interpolate_point(
        arrays.edge_geometry[e], off / max(arrays.edge_length_m[e], 1e-12), normalized=True
    )
    px, py = shapely.get_x(on_street), shapely.get_y(on_street)
    local = np.asarray(arrays.node_tree.query_ball_point([px, py], r=radius + 1e-6), dtype=np.int64)
    local.sort()
    k = len(local)
    sub = arrays.adjacency[local][:, local]
    where = np.full(arrays.n_nodes, -1, dtype=np.int64)
    where[local] = np.arange(k)
    u, v, length = arrays.edge_u[e], arrays.edge_v[e], arrays.edge_length_m[e]
    cols, costs = [], []
    for node, metres in ((u, off), (v, max(length - off, 0.0))):
        if where[node] >= 0:
            cols.append(where[node])
            costs.append((acc + metres) / s)
    nodes = np.empty(0, dtype=np.int64)
    times = np.empty(0)
    if cols:
        indptr = np.r_[sub.indptr, sub.indptr[-1] + len(cols)]
        graph = csr_matrix(
            (np.r_[sub.data / s, costs], np.r_[sub.indices, cols], indptr), shape=(k + 1, k + 1)
        )
        dist = dijkstra(graph, directed=True, indices=k, limit=budget_s + EPS_S)[:k]
        hit = np.isfinite(dist)
        nodes, times = local[hit], dist[hit]
    reached = None
    if demand_snaps is not None:
        check_snaps(demand_snaps, "demand_snaps")
        full = np.full(arrays.n_nodes, np.inf)
        full[nodes] = times
        ok = demand_snaps["snapped"].to_numpy(dtype=bool)
        de = np.where(ok, demand_snaps["edge"].to_numpy(), 0)
        d_off = demand_snaps["offset_m"].to_numpy()
        d_acc = demand_snaps["access_m"].to_numpy()
        d_len = arrays.edge_length_m[de]
        t = np.minimum(
            full[arrays.edge_u[de]] + d_off / s,
            full[arrays.edge_v[de]] + np.maximum(d_len - d_off, 0.0) / s,
        )
        t = np.where(de == e, np.minimum(t, (np.abs(d_off - off) + acc) / s), t)
        t = t + d_acc / s
        reached = pd.Series(ok & (t <= budget_s + EPS_S), index=demand_snaps.index)
    return PointReach(nodes=nodes, time_s=times, demand_reached=reached)
