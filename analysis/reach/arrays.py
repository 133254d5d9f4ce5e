"""A street graph compiled once into arrays (CSR adjacency, edge table, search trees), plus the
virtual-source edges every search adds to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

from geo._errors import InputError


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
        The edges cut into straight pieces of at most ``PIECE_M`` metres, for fast exact
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
    return arrays_from_edges(
        node_ids=node_ids,
        x=x,
        y=y,
        edge_u=eu,
        edge_v=ev,
        edge_length_m=length,
        edge_geometry=geoms,
        crs=crs,
    )


def arrays_from_edges(
    *,
    node_ids: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    edge_u: np.ndarray,
    edge_v: np.ndarray,
    edge_length_m: np.ndarray,
    crs: Any,
    edge_geometry: np.ndarray | None = None,
) -> StreetArrays:
    """Compile plain node and edge arrays into :class:`StreetArrays`, with no graph object.

    The path for large inputs (a province read straight from ``.osm.pbf``): node coordinates in
    metres of the projected ``crs``, edges as positions into the node arrays.

    Parameters
    ----------
    node_ids, x, y
        One entry per node; ``x``/``y`` in metres.
    edge_u, edge_v
        Node positions (not ids) of each edge's ends.
    edge_length_m
        Edge lengths in metres (>= 0).
    crs
        The projected CRS of ``x``/``y``.
    edge_geometry
        Optional LineStrings running from ``edge_u`` to ``edge_v`` (reversed here where they run
        the other way); ``None`` entries, or no array at all, mean straight lines.

    Raises
    ------
    InputError
        Geographic or missing CRS, no edges, non-finite coordinates, edge ends outside the node
        arrays, or negative/non-finite lengths.
    """
    from pyproj import CRS

    if crs is None or not CRS.from_user_input(crs).is_projected:
        raise InputError(
            "street arrays need a projected CRS in metres (got "
            f"{None if crs is None else CRS.from_user_input(crs).name!r})."
        )
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(node_ids)
    if len(x) != n or len(y) != n:
        raise InputError(f"node arrays differ in length: ids {n}, x {len(x)}, y {len(y)}.")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        bad = np.asarray(node_ids)[~(np.isfinite(x) & np.isfinite(y))][:5].tolist()
        raise InputError(f"nodes {bad} have no finite x/y coordinates.")
    eu = np.asarray(edge_u, dtype=np.int64)
    ev = np.asarray(edge_v, dtype=np.int64)
    length = np.asarray(edge_length_m, dtype=float)
    m = len(eu)
    if m == 0:
        raise InputError("graph has no edges; a street network needs at least one street.")
    if len(ev) != m or len(length) != m:
        raise InputError(f"edge arrays differ in length: u {m}, v {len(ev)}, length {len(length)}.")
    if eu.min() < 0 or ev.min() < 0 or eu.max() >= n or ev.max() >= n:
        raise InputError("edge ends must be positions into the node arrays (0 .. n_nodes - 1).")
    if not np.all(np.isfinite(length)) or (length < 0).any():
        bad = np.flatnonzero(~np.isfinite(length) | (length < 0))[:5]
        raise InputError(f"graph edges at positions {bad.tolist()} have invalid lengths.")
    if edge_geometry is None:
        geoms = np.full(m, None, dtype=object)
    else:
        geoms = np.asarray(edge_geometry, dtype=object).copy()
    missing = shapely.is_missing(geoms)
    if missing.any():
        # straight lines, built from u to v
        geoms[missing] = shapely.linestrings(
            np.stack(
                [
                    np.c_[x[eu[missing]], y[eu[missing]]],
                    np.c_[x[ev[missing]], y[ev[missing]]],
                ],
                axis=1,
            )
        )
    given = np.flatnonzero(~missing)
    if len(given):
        # a given geometry must run u -> v so offsets along it are measured from u
        start = shapely.get_coordinates(shapely.get_point(geoms[given], 0))
        d_u = np.hypot(start[:, 0] - x[eu[given]], start[:, 1] - y[eu[given]])
        d_v = np.hypot(start[:, 0] - x[ev[given]], start[:, 1] - y[ev[given]])
        flip = given[d_v < d_u]
        if len(flip):
            geoms[flip] = shapely.reverse(geoms[flip])

    adjacency = _symmetric_csr(eu, ev, length, n=n)
    segments = _pieces(geoms)
    return StreetArrays(
        node_ids=np.asarray(node_ids),
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


PIECE_M = 50.0  # longest straight piece kept for snapping


def _pieces(geoms: np.ndarray) -> dict[str, np.ndarray]:
    """Cut lines into straight pieces of at most ``PIECE_M`` m (for exact KD-tree snapping)."""
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    same = idx[1:] == idx[:-1]
    a, b, edge = coords[:-1][same], coords[1:][same], idx[:-1][same]
    seg = np.hypot(*(b - a).T)
    cum = np.cumsum(seg) - seg  # along-everything start of each segment
    first = np.r_[0, np.flatnonzero(np.diff(edge)) + 1]
    start = cum - np.repeat(cum[first], np.diff(np.r_[first, len(edge)]))
    k = np.maximum(np.ceil(seg / PIECE_M).astype(np.int64), 1)
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
    # one int64 key per (row, col): one sort, then the minimum of each run of equal keys
    key = rows * np.int64(n) + cols
    order = np.argsort(key)
    key, vals = key[order], vals[order]
    if len(key) == 0:
        return csr_matrix((n, n))
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    vals = np.minimum.reduceat(vals, start)
    key = key[start]
    rows, cols = key // n, key % n
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=n))]
    # built from (data, indices, indptr): explicit zero lengths stay edges
    return csr_matrix((vals, cols, indptr), shape=(n, n))


def virtual_edges(
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


def augmented_adjacency(
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
