"""The 15-minute walking reach over real streets, answered by compiled shortest paths.

The street graph is turned once into arrays (:func:`arrays_from_graph`): a symmetric CSR
matrix of edge lengths in metres, the edge table and an STRtree of edge geometries. Points
(facilities, homes, candidate sites) are snapped to their nearest *edge*, not node, and keep
their position along it, so a home in the middle of a 600 m block is not moved to a corner.

Times are walking seconds = metres / ``walk_speed_m_s``; a point counts as reached within a
budget when its time is ``<= budget`` (a 900 m walk at 1 m/s is inside 15 minutes). Points
farther than ``max_distance_m`` from any street are reported as unsnapped and never counted.

All searches run in ``scipy.sparse.csgraph.dijkstra`` (C): one multi-source pass with a
virtual source per facility for the whole city, bounded (``limit=``) batched passes for the
candidate-site coverage matrix, and a local search inside a Euclidean disc for one what-if site.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from servicecircle._errors import InputError
from servicecircle.settings import SNAP_MAX_M, WALK_SPEED_M_S

__all__ = [
    "NodeTimes",
    "PointReach",
    "StreetArrays",
    "arrays_from_graph",
    "buffer_areas",
    "coverage_matrix",
    "demand_times",
    "nearest_facility",
    "reach_by_group",
    "reach_from_point",
    "service_areas",
    "snap_points",
    "union_service_area",
]

#: seconds of slack when comparing a float time with a budget (sums of lengths round)
_EPS_S = 1e-9
_SNAP_COLUMNS = ("edge", "offset_m", "access_m", "snapped")


# --------------------------------------------------------------------------------------------
# arrays
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class StreetArrays:
    """A street graph as arrays, built once by :func:`arrays_from_graph`.

    Attributes
    ----------
    node_ids
        Graph node ids; position ``i`` in every node array is ``node_ids[i]``.
    x, y
        Node coordinates in metres (projected ``crs``).
    adjacency
        Symmetric ``n × n`` CSR matrix of edge lengths in metres (shortest of parallel edges).
    edge_u, edge_v
        Node positions of each edge's ends; its geometry runs from ``edge_u`` to ``edge_v``.
    edge_length_m
        Edge lengths in metres (the graph's ``length``).
    edge_geometry
        Shapely LineStrings of the edges.
    edge_tree
        STRtree over ``edge_geometry`` for snapping.
    node_tree
        KD-tree over node coordinates for local searches.
    segments
        The edges cut into straight pieces of at most ``_PIECE_M`` metres, for fast exact
        snapping: ``edge``, ``ax``, ``ay``, ``bx``, ``by``, ``start_m`` (along the geometry).
    segment_tree
        KD-tree over the pieces' midpoints.
    crs
        The projected CRS of the coordinates.
    """

    node_ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    adjacency: csr_matrix
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_geometry: np.ndarray
    edge_tree: shapely.STRtree
    node_tree: cKDTree
    segments: dict[str, np.ndarray]
    segment_tree: cKDTree
    crs: Any

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)


def arrays_from_graph(G: nx.MultiGraph | nx.MultiDiGraph) -> StreetArrays:
    """Compile a projected street graph into :class:`StreetArrays` (edges walked both ways).

    Parameters
    ----------
    G
        Graph from :mod:`geo.network`: nodes with ``x``/``y`` in metres, edges with ``length``
        (metres) and optionally ``geometry`` (straight lines are used where it is missing).

    Raises
    ------
    InputError
        No CRS or a geographic CRS, no edges, or edges without ``length``.
    """
    crs = G.graph.get("crs")
    if crs is None:
        raise InputError("graph has no 'crs' attribute; build it with geo.network.graph_from_*.")
    from pyproj import CRS

    if not CRS.from_user_input(crs).is_projected:
        raise InputError(
            f"graph CRS {CRS.from_user_input(crs).name!r} is geographic; lengths and snapping "
            "need metres: project it (osmnx.projection.project_graph) or use geo.network."
        )
    if G.number_of_edges() == 0:
        raise InputError("graph has no edges; a street network needs at least one street.")
    node_ids = np.fromiter(G.nodes, dtype=object, count=len(G))
    if all(isinstance(n, int | np.integer) for n in node_ids):
        node_ids = node_ids.astype(np.int64)
    pos = {n: i for i, n in enumerate(G.nodes)}
    x = np.array([d.get("x", np.nan) for _, d in G.nodes(data=True)], dtype=float)
    y = np.array([d.get("y", np.nan) for _, d in G.nodes(data=True)], dtype=float)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        bad = node_ids[~(np.isfinite(x) & np.isfinite(y))][:5].tolist()
        raise InputError(f"graph nodes {bad} have no x/y coordinates; build it with geo.network.")

    m = G.number_of_edges()
    eu = np.empty(m, dtype=np.int64)
    ev = np.empty(m, dtype=np.int64)
    length = np.empty(m, dtype=float)
    geoms = np.empty(m, dtype=object)
    for i, (u, v, d) in enumerate(G.edges(data=True)):
        a, b = d.get("from", u), d.get("to", v)
        if a not in pos or b not in pos:
            a, b = u, v
        eu[i], ev[i] = pos[a], pos[b]
        if "length" not in d:
            raise InputError(
                f"graph edge ({u}, {v}) has no 'length'; build the graph with geo.network."
            )
        length[i] = d["length"]
        geoms[i] = d.get("geometry")
    missing = np.array([g is None for g in geoms])
    if missing.any():
        geoms[missing] = shapely.linestrings(
            np.stack(
                [
                    np.c_[x[eu[missing]], y[eu[missing]]],
                    np.c_[x[ev[missing]], y[ev[missing]]],
                ],
                axis=1,
            )
        )
    geoms = np.asarray(geoms, dtype=object)
    # geometry must run u -> v so offsets along it are measured from u
    start = shapely.get_coordinates(shapely.get_point(geoms, 0))
    d_u = np.hypot(start[:, 0] - x[eu], start[:, 1] - y[eu])
    d_v = np.hypot(start[:, 0] - x[ev], start[:, 1] - y[ev])
    flip = d_v < d_u
    if flip.any():
        geoms[flip] = shapely.reverse(geoms[flip])
    if not np.all(np.isfinite(length)) or (length < 0).any():
        bad = np.flatnonzero(~np.isfinite(length) | (length < 0))[:5]
        raise InputError(f"graph edges at positions {bad.tolist()} have invalid lengths.")

    adjacency = _symmetric_csr(eu, ev, length, n=len(node_ids))
    segments = _pieces(geoms)
    return StreetArrays(
        node_ids=node_ids,
        x=x,
        y=y,
        adjacency=adjacency,
        edge_u=eu,
        edge_v=ev,
        edge_length_m=length,
        edge_geometry=geoms,
        edge_tree=shapely.STRtree(geoms),
        node_tree=cKDTree(np.c_[x, y]),
        segments=segments,
        segment_tree=cKDTree(
            np.c_[(segments["ax"] + segments["bx"]) / 2, (segments["ay"] + segments["by"]) / 2]
        ),
        crs=crs,
    )


_PIECE_M = 50.0  # longest straight piece kept for snapping
_SNAP_K = 16  # pieces examined per point before falling back to the STRtree


def _pieces(geoms: np.ndarray) -> dict[str, np.ndarray]:
    """Cut lines into straight pieces of at most ``_PIECE_M`` m (for exact KD-tree snapping)."""
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    same = idx[1:] == idx[:-1]
    a, b, edge = coords[:-1][same], coords[1:][same], idx[:-1][same]
    seg = np.hypot(*(b - a).T)
    cum = np.cumsum(seg) - seg  # along-everything start of each segment
    first = np.r_[0, np.flatnonzero(np.diff(edge)) + 1]
    start = cum - np.repeat(cum[first], np.diff(np.r_[first, len(edge)]))
    k = np.maximum(np.ceil(seg / _PIECE_M).astype(np.int64), 1)
    rep = np.repeat(np.arange(len(seg)), k)
    j = np.arange(len(rep)) - np.repeat(np.cumsum(k) - k, k)
    t0, t1 = j / k[rep], (j + 1) / k[rep]
    d = (b - a)[rep]
    pa = a[rep] + d * t0[:, None]
    pb = a[rep] + d * t1[:, None]
    return {
        "edge": edge[rep],
        "ax": pa[:, 0],
        "ay": pa[:, 1],
        "bx": pb[:, 0],
        "by": pb[:, 1],
        "start_m": start[rep] + seg[rep] * t0,
        "geom_length_m": shapely.length(geoms),
    }


def _symmetric_csr(u: np.ndarray, v: np.ndarray, w: np.ndarray, *, n: int) -> csr_matrix:
    """Both directions, self-loops dropped, the minimum kept among parallel edges."""
    loop = u == v
    rows = np.r_[u[~loop], v[~loop]]
    cols = np.r_[v[~loop], u[~loop]]
    vals = np.r_[w[~loop], w[~loop]]
    order = np.lexsort((vals, cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    first = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])]
    rows, cols, vals = rows[first], cols[first], vals[first]
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=n))]
    # built from (data, indices, indptr): explicit zero lengths stay edges
    return csr_matrix((vals, cols, indptr), shape=(n, n))


# --------------------------------------------------------------------------------------------
# snapping
# --------------------------------------------------------------------------------------------
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
    half = _PIECE_M / 2 + 1e-6
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


def _check_snaps(snaps: pd.DataFrame, name: str) -> None:
    if not isinstance(snaps, pd.DataFrame) or not set(_SNAP_COLUMNS) <= set(snaps.columns):
        raise InputError(
            f"{name} must be the DataFrame returned by snap_points (columns "
            f"{', '.join(_SNAP_COLUMNS)})."
        )


def _check_speed(walk_speed_m_s: float) -> None:
    if not np.isfinite(walk_speed_m_s) or walk_speed_m_s <= 0:
        raise InputError(
            f"walk_speed_m_s must be a positive speed in metres per second, got "
            f"{walk_speed_m_s!r} (planning convention 1.0; older walkers 0.8)."
        )


def _check_budget(value: float, name: str) -> None:
    if not np.isfinite(value) or value < 0:
        raise InputError(f"{name} must be a non-negative finite number, got {value!r}.")


def _virtual_edges(
    arrays: StreetArrays, snaps: pd.DataFrame, *, first_id: int, walk_speed_m_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Edges from one virtual node per snapped point to both ends of its edge, in seconds.

    Returns (positions of the snapped points, virtual rows, target nodes, costs).
    """
    use = np.flatnonzero(snaps["snapped"].to_numpy())
    e = snaps["edge"].to_numpy()[use]
    off = snaps["offset_m"].to_numpy()[use]
    acc = snaps["access_m"].to_numpy()[use]
    length = arrays.edge_length_m[e]
    virt = first_id + np.arange(len(use))
    rows = np.r_[virt, virt]
    cols = np.r_[arrays.edge_u[e], arrays.edge_v[e]]
    cost = np.r_[acc + off, acc + np.maximum(length - off, 0.0)] / walk_speed_m_s
    return use, rows, cols, cost


def _augmented(
    arrays: StreetArrays,
    rows: np.ndarray,
    cols: np.ndarray,
    cost: np.ndarray,
    *,
    n_virtual: int,
    walk_speed_m_s: float,
) -> csr_matrix:
    """Street adjacency in seconds plus out-edges of ``n_virtual`` virtual nodes."""
    n = arrays.n_nodes
    adj = arrays.adjacency
    order = np.lexsort((cols, rows))
    rows, cols, cost = rows[order], cols[order], cost[order]
    counts = np.bincount(rows - n, minlength=n_virtual)
    indptr = np.r_[adj.indptr, adj.indptr[-1] + np.cumsum(counts)]
    data = np.r_[adj.data / walk_speed_m_s, cost]
    indices = np.r_[adj.indices, cols]
    return csr_matrix((data, indices, indptr), shape=(n + n_virtual, n + n_virtual))


# --------------------------------------------------------------------------------------------
# nearest facility for every node
# --------------------------------------------------------------------------------------------
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
    _check_snaps(facility_snaps, "facility_snaps")
    _check_speed(walk_speed_m_s)
    limit = np.inf if limit_s is None else float(limit_s)
    if limit_s is not None:
        _check_budget(limit, "limit_s")
    n = arrays.n_nodes
    use, rows, cols, cost = _virtual_edges(
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
    graph = _augmented(arrays, rows, cols, cost, n_virtual=len(use), walk_speed_m_s=walk_speed_m_s)
    dist, _, sources = dijkstra(
        graph,
        directed=True,
        indices=np.arange(n, n + len(use)),
        min_only=True,
        return_predecessors=True,
        limit=limit + _EPS_S if np.isfinite(limit) else np.inf,
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
    _check_snaps(demand_snaps, "demand_snaps")
    _check_snaps(facility_snaps, "facility_snaps")
    _check_speed(walk_speed_m_s)
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
        total_s = np.where(total_s <= node_times.limit_s + _EPS_S, total_s, np.inf)
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


# --------------------------------------------------------------------------------------------
# shares by group
# --------------------------------------------------------------------------------------------
def reach_by_group(
    minutes: pd.Series,
    *,
    budget_min: float,
    weights: pd.Series | None = None,
    groups: pd.Series,
) -> pd.DataFrame:
    """Share of points (and of their weight, e.g. residents aged 60+) within the budget.

    Parameters
    ----------
    minutes
        Minutes to the nearest facility per point (NaN = unsnapped, ``inf`` = not reached).
    budget_min
        The walking budget in minutes (reached when ``minutes <= budget_min``).
    weights
        Non-negative weight per point aligned to ``minutes``; None weighs each point 1.
    groups
        Group label per point (township, county) aligned to ``minutes``.

    Returns
    -------
    pandas.DataFrame
        Indexed by group: ``points`` (snapped points), ``points_reached``, ``share_points``,
        ``weight``, ``weight_reached``, ``share_weight`` (of snapped points) and
        ``unsnapped`` (points that could not be placed on a street: reported, not counted).
    """
    _check_budget(float(budget_min), "budget_min")
    if not isinstance(minutes, pd.Series) or not isinstance(groups, pd.Series):
        raise InputError("minutes and groups must be pandas Series aligned to the same points.")
    if not groups.index.equals(minutes.index):
        raise InputError(
            "groups is not aligned to minutes (different index); build both from the same "
            "points, e.g. groups = points['township'] and minutes = demand_times(...)['minutes']."
        )
    if weights is None:
        w = pd.Series(1.0, index=minutes.index)
    else:
        if not isinstance(weights, pd.Series) or not weights.index.equals(minutes.index):
            raise InputError("weights must be a Series aligned to minutes (same index).")
        w = pd.to_numeric(weights, errors="coerce").astype(float)
        bad = w.isna() | (w < 0)
        if bad.any():
            rows = w.index[bad][:10].tolist()
            raise InputError(
                f"weights must be non-negative numbers; rows {rows} have "
                f"{weights[bad].head(3).tolist()}: fill or drop them."
            )
    m = pd.to_numeric(minutes, errors="coerce").astype(float)
    snapped = m.notna()
    reached = snapped & (m <= budget_min + _EPS_S / 60.0)
    frame = pd.DataFrame(
        {
            "points": snapped.astype(np.int64),
            "points_reached": reached.astype(np.int64),
            "weight": w.where(snapped, 0.0),
            "weight_reached": w.where(reached, 0.0),
            "unsnapped": (~snapped).astype(np.int64),
            "group": groups,
        }
    )
    out = frame.groupby("group", dropna=False, sort=True).sum()
    out.index.name = groups.name
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_points"] = out["points_reached"] / out["points"].where(out["points"] > 0)
        out["share_weight"] = out["weight_reached"] / out["weight"].where(out["weight"] > 0)
    return out[
        [
            "points",
            "points_reached",
            "share_points",
            "weight",
            "weight_reached",
            "share_weight",
            "unsnapped",
        ]
    ]


# --------------------------------------------------------------------------------------------
# service areas
# --------------------------------------------------------------------------------------------
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
    _check_snaps(facility_snaps, "facility_snaps")
    _check_budget(budget_s, "budget_s")
    _check_budget(buffer_m, "buffer_m")
    if node_times.limit_s + _EPS_S < budget_s:
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
    ru = np.where(tu <= budget_s + _EPS_S, (budget_s - tu) * s, -1.0)  # metres left at u
    rv = np.where(tv <= budget_s + _EPS_S, (budget_s - tv) * s, -1.0)
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
    _check_budget(radius_m, "radius_m")
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


# --------------------------------------------------------------------------------------------
# candidate sites
# --------------------------------------------------------------------------------------------
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
    _check_snaps(candidate_snaps, "candidate_snaps")
    _check_snaps(demand_snaps, "demand_snaps")
    _check_speed(walk_speed_m_s)
    _check_budget(minutes, "minutes")
    if batch_size < 1:
        raise InputError(f"batch_size must be a positive integer, got {batch_size!r}")
    n = arrays.n_nodes
    budget_s = float(minutes) * 60.0
    s = walk_speed_m_s
    use, rows, cols, cost = _virtual_edges(arrays, candidate_snaps, first_id=n, walk_speed_m_s=s)
    n_cand = len(candidate_snaps)
    n_dem = len(demand_snaps)
    d_ok = np.flatnonzero(demand_snaps["snapped"].to_numpy(dtype=bool))
    if len(use) == 0 or len(d_ok) == 0:
        return csr_matrix((n_cand, n_dem), dtype=bool)
    graph = _augmented(arrays, rows, cols, cost, n_virtual=len(use), walk_speed_m_s=s)
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
    direct_hit = direct_t <= budget_s + _EPS_S

    out_rows: list[np.ndarray] = []
    out_cols: list[np.ndarray] = []
    limit = budget_s + _EPS_S
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
    _check_speed(walk_speed_m_s)
    _check_budget(minutes, "minutes")
    if isinstance(snap, pd.DataFrame):
        if len(snap) != 1:
            raise InputError(f"snap must be a single snapped point, got {len(snap)} rows.")
        snap = snap.iloc[0]
    if not isinstance(snap, pd.Series) or not set(_SNAP_COLUMNS) <= set(snap.index):
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
        dist = dijkstra(graph, directed=True, indices=k, limit=budget_s + _EPS_S)[:k]
        hit = np.isfinite(dist)
        nodes, times = local[hit], dist[hit]
    reached = None
    if demand_snaps is not None:
        _check_snaps(demand_snaps, "demand_snaps")
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
        reached = pd.Series(ok & (t <= budget_s + _EPS_S), index=demand_snaps.index)
    return PointReach(nodes=nodes, time_s=times, demand_reached=reached)


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
    _check_speed(walk_speed_m_s)
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
