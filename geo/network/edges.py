"""Edge tables and line layers (u/v columns or bare lines joined at their ends) as walking graphs, and back."""

from __future__ import annotations

import warnings
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo._errors import InputError

_VECTOR_SUFFIXES = (".parquet", ".geoparquet", ".shp", ".gpkg", ".geojson", ".json")


_RESERVED = {"u", "v", "key", "length", "from", "to"}


def graph_from_edges(edges: gpd.GeoDataFrame, *, tolerance_m: float = 1.0) -> nx.MultiGraph:
    """Build an undirected osmnx walking graph from an edge table or a plain line layer.

    Parameters
    ----------
    edges
        Street lines. Either an osmnx-style edge table with ``u``/``v`` (and optionally
        ``key``) columns — geometries are taken to run from ``u`` to ``v`` and are flipped
        where they evidently run the other way — or a plain line layer (the form planning
        institutes hand out), whose nodes are rebuilt from the line end points. Any CRS:
        geographic input is projected to its local UTM zone. Other columns are kept as edge
        attributes.
    tolerance_m
        For a line layer without ``u``/``v``: line ends closer than this (metres) are merged
        into one node (clusters of ends chained within the tolerance become one node placed
        at their mean). Ignored when ``u``/``v`` are given.

    Returns
    -------
    networkx.MultiGraph
        Undirected graph; nodes carry ``x``, ``y``; edges ``geometry`` (u -> v), ``length``
        (metres, from the projected geometry), ``from``/``to`` and the input's attributes.
        ``G.graph["crs"]`` is the projected CRS.

    Raises
    ------
    InputError
        Not a GeoDataFrame, no CRS, no line geometries left, a negative tolerance or
        ``u``/``v`` with missing values.

    Warns
    -----
    UserWarning
        Rows with empty, missing, multi-part, non-line or zero-length geometries are listed
        and dropped; parallel duplicates of the same street in opposite directions are merged.
    """
    import osmnx as ox

    if not isinstance(edges, gpd.GeoDataFrame):
        raise InputError(
            f"edges must be a GeoDataFrame of street lines, got {type(edges).__name__}; "
            "read the layer with geopandas.read_file / read_parquet first."
        )
    if edges.crs is None:
        raise InputError(
            "edges has no CRS, so lengths in metres cannot be measured; set it first, "
            "e.g. edges.set_crs('EPSG:4326') for longitude/latitude or the projected EPSG code."
        )
    if not np.isfinite(tolerance_m) or tolerance_m < 0:
        raise InputError(
            f"tolerance_m must be a non-negative number of metres, got {tolerance_m!r}"
        )

    gdf = _clean_lines(edges)
    if not gdf.crs.is_projected:
        gdf = ox.projection.project_gdf(gdf)

    has_uv = "u" in gdf.columns and "v" in gdf.columns
    if has_uv:
        gdf, nodes_xy = _nodes_from_uv(gdf)
    else:
        gdf, nodes_xy = _nodes_from_ends(gdf, tolerance_m=tolerance_m)

    # a street stored once per direction (osmnx drive tables) is one walkable street
    gdf = _drop_reverse_duplicates(gdf)
    gdf["length"] = shapely.length(gdf.geometry.values)
    zero = gdf["length"].to_numpy() <= 0
    if zero.any():
        _warn_rows(gdf.index[zero], "have zero length after merging their ends", stacklevel=3)
        gdf = gdf.loc[~zero]
    if gdf.empty:
        raise InputError("edges has no usable street lines left after cleaning; check the layer.")

    lo = np.minimum(gdf["u"].to_numpy(), gdf["v"].to_numpy())
    hi = np.maximum(gdf["u"].to_numpy(), gdf["v"].to_numpy())
    # keys unique per unordered pair, so no two edges collide in the undirected graph
    gdf["key"] = pd.DataFrame({"lo": lo, "hi": hi}).groupby(["lo", "hi"]).cumcount().to_numpy()
    gdf_edges = gdf.set_index(["u", "v", "key"])

    used = np.unique(np.r_[gdf["u"].to_numpy(), gdf["v"].to_numpy()])
    xy = nodes_xy.loc[used]
    nodes = gpd.GeoDataFrame(
        {"x": xy["x"].to_numpy(), "y": xy["y"].to_numpy()},
        geometry=gpd.points_from_xy(xy["x"].to_numpy(), xy["y"].to_numpy()),
        index=pd.Index(used, name="osmid"),
        crs=gdf.crs,
    )
    G = ox.convert.graph_from_gdfs(nodes, gdf_edges)
    return _undirected(G)


def _clean_lines(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Copy of ``edges`` with only single LineStrings; the rest reported and dropped."""
    geoms = edges.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    # a MultiLineString of one part is a line saved by a tool that writes everything as multi
    multi = types == shapely.GeometryType.MULTILINESTRING
    single_part = multi & (shapely.get_num_geometries(geoms) == 1)
    geoms = np.where(single_part, shapely.get_geometry(geoms, 0), geoms)
    types = shapely.get_type_id(geoms)
    multi_part = (types == shapely.GeometryType.MULTILINESTRING) & ~missing
    other = ~missing & ~multi_part & (types != shapely.GeometryType.LINESTRING)
    if missing.any():
        _warn_rows(edges.index[missing], "have an empty or missing geometry")
    if multi_part.any():
        _warn_rows(
            edges.index[multi_part],
            "are multi-part lines (split them with GeoDataFrame.explode() to keep them)",
        )
    if other.any():
        _warn_rows(edges.index[other], "are not lines")
    keep = ~(missing | multi_part | other)
    out = edges.loc[keep].copy()
    out = out.set_geometry(gpd.GeoSeries(geoms[keep], index=out.index, crs=edges.crs))
    length = shapely.length(out.geometry.values)
    zero = length <= 0
    if zero.any():
        _warn_rows(out.index[zero], "have zero length")
        out = out.loc[~zero]
    if out.empty:
        raise InputError(
            "edges has no LineString geometries; give a street line layer (LineString rows)."
        )
    drop = [c for c in ("length", "from", "to") if c in out.columns]
    return out.drop(columns=drop)


def _warn_rows(index: pd.Index, what: str, *, stacklevel: int = 4) -> None:
    """Warn about dropped rows; ``stacklevel`` 4 points at graph_from_edges' caller."""
    shown = ", ".join(map(str, index[:10].tolist()))
    more = f" and {len(index) - 10} more" if len(index) > 10 else ""
    warnings.warn(
        f"{len(index)} street row(s) {what} and were dropped: rows {shown}{more}.",
        UserWarning,
        stacklevel=stacklevel,
    )


def _end_xy(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    first = shapely.get_coordinates(shapely.get_point(geoms, 0))
    last = shapely.get_coordinates(shapely.get_point(geoms, -1))
    return first, last


def _nodes_from_uv(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Node coordinates from the ends of edges that name their ``u``/``v``."""
    for col in ("u", "v"):
        bad = gdf[col].isna().to_numpy()
        if bad.any():
            raise InputError(
                f"edges column {col!r} has missing node ids in rows "
                f"{gdf.index[bad][:10].tolist()}; fill them or drop the u/v columns so nodes "
                "are rebuilt from the line ends."
            )
    u = gdf["u"].to_numpy()
    v = gdf["v"].to_numpy()
    geoms = gdf.geometry.values
    first, last = _end_xy(geoms)
    # Each incidence offers both ends of its line as the node's position. A node's true
    # position is offered by every line touching it, so the most frequent one is trusted
    # when it is offered at least twice and more often than any other.
    cand = pd.DataFrame(
        {
            "node": np.r_[u, u, v, v],
            "x": np.r_[first[:, 0], last[:, 0], first[:, 0], last[:, 0]],
            "y": np.r_[first[:, 1], last[:, 1], first[:, 1], last[:, 1]],
        }
    )
    counts = cand.groupby(["node", "x", "y"], sort=False).size().rename("n").reset_index()
    counts = counts.sort_values(["node", "n"], ascending=[True, False], kind="stable")
    top = counts.drop_duplicates("node").set_index("node")
    second = counts[counts.duplicated("node")].drop_duplicates("node").set_index("node")["n"]
    runner_up = second.reindex(top.index).fillna(0).to_numpy()
    trusted = pd.Series(
        (top["n"].to_numpy() >= 2) & (top["n"].to_numpy() > runner_up), index=top.index
    )
    tx, ty = top["x"], top["y"]
    tu, tv = trusted.loc[u].to_numpy(), trusted.loc[v].to_numpy()
    ux = np.c_[tx.loc[u].to_numpy(), ty.loc[u].to_numpy()]
    vx = np.c_[tx.loc[v].to_numpy(), ty.loc[v].to_numpy()]
    d_keep = np.where(tu, np.hypot(*(first - ux).T), 0) + np.where(tv, np.hypot(*(last - vx).T), 0)
    d_flip = np.where(tu, np.hypot(*(last - ux).T), 0) + np.where(tv, np.hypot(*(first - vx).T), 0)
    # lines are taken to run u -> v (osmnx convention) unless trusted nodes say otherwise
    flip = d_flip < d_keep
    if flip.any():
        geoms = geoms.copy()
        geoms[flip] = shapely.reverse(geoms[flip])
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
        first, last = _end_xy(geoms)
    ends = pd.DataFrame(
        {
            "node": np.r_[u, v],
            "x": np.r_[first[:, 0], last[:, 0]],
            "y": np.r_[first[:, 1], last[:, 1]],
        }
    )
    xy = ends.groupby("node", sort=False)[["x", "y"]].first()
    ok = trusted.reindex(xy.index).to_numpy()
    xy.loc[ok, "x"] = tx.reindex(xy.index).to_numpy()[ok]
    xy.loc[ok, "y"] = ty.reindex(xy.index).to_numpy()[ok]
    return gdf, xy


def _nodes_from_ends(
    gdf: gpd.GeoDataFrame, *, tolerance_m: float
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Rebuild nodes from line ends, merging ends within ``tolerance_m`` (single linkage)."""
    geoms = gdf.geometry.values
    first, last = _end_xy(geoms)
    n = len(gdf)
    pts = np.vstack([first, last])
    tree = cKDTree(pts)
    pairs = tree.query_pairs(r=tolerance_m, output_type="ndarray") if tolerance_m > 0 else None
    if pairs is None or len(pairs) == 0:
        # identical ends always share a node, even with tolerance 0
        _, labels = np.unique(pts, axis=0, return_inverse=True)
        labels = labels.ravel()
    else:
        m = len(pts)
        _, exact = np.unique(pts, axis=0, return_inverse=True)
        exact = exact.ravel()
        rows = np.r_[pairs[:, 0], np.arange(m)]
        cols = np.r_[pairs[:, 1], exact + m]
        graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(2 * m, 2 * m))
        _, comp = connected_components(graph, directed=False)
        _, labels = np.unique(comp[:m], return_inverse=True)
    k = labels.max() + 1
    cx = np.bincount(labels, weights=pts[:, 0], minlength=k) / np.bincount(labels, minlength=k)
    cy = np.bincount(labels, weights=pts[:, 1], minlength=k) / np.bincount(labels, minlength=k)
    u = labels[:n]
    v = labels[n:]
    # move each line's ends onto its node so geometry and graph agree
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    starts = np.r_[0, np.flatnonzero(np.diff(idx)) + 1]
    ends = np.r_[starts[1:] - 1, len(idx) - 1]
    coords[starts, 0], coords[starts, 1] = cx[u], cy[u]
    coords[ends, 0], coords[ends, 1] = cx[v], cy[v]
    new = shapely.linestrings(coords, indices=idx)
    out = gdf.set_geometry(gpd.GeoSeries(new, index=gdf.index, crs=gdf.crs))
    out["u"] = u.astype(np.int64)
    out["v"] = v.astype(np.int64)
    return out, pd.DataFrame({"x": cx, "y": cy}, index=np.arange(k, dtype=np.int64))


def _drop_reverse_duplicates(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    u = gdf["u"].to_numpy()
    v = gdf["v"].to_numpy()
    norm = shapely.to_wkb(shapely.normalize(gdf.geometry.values))
    key = pd.DataFrame({"lo": np.minimum(u, v), "hi": np.maximum(u, v), "g": norm})
    dup = key.duplicated().to_numpy()
    return gdf.loc[~dup].copy() if dup.any() else gdf.copy()


def _undirected(G: nx.MultiDiGraph) -> nx.MultiGraph:
    """``osmnx.convert.to_undirected`` for graphs whose reverse duplicates are already gone.

    osmnx's version compares every parallel pair in Python and needs an ``osmid`` per edge;
    our edge tables were de-duplicated and keyed per unordered node pair beforehand, so the
    conversion is a plain copy of nodes and edges (edge ``from``/``to`` keep the direction).
    """
    Gu = nx.MultiGraph(**G.graph)
    Gu.add_nodes_from(G.nodes(data=True))
    for u, v, d in G.edges(data=True):
        d["from"] = u
        d["to"] = v
    Gu.add_edges_from(G.edges(keys=True, data=True))
    return Gu


def edges_from_graph(G: nx.MultiGraph) -> gpd.GeoDataFrame:
    """The graph's edges as a table with ``u``, ``v``, ``key`` columns, geometry running u -> v.

    Round-trips through :func:`graph_from_edges`; used to cache graphs in the workspace and
    to draw streets on maps.
    """
    rows: list[dict[str, Any]] = []
    xs = nx.get_node_attributes(G, "x")
    ys = nx.get_node_attributes(G, "y")
    for u, v, k, d in G.edges(keys=True, data=True):
        a, b = d.get("from", u), d.get("to", v)
        geom = d.get("geometry")
        if geom is None:
            geom = shapely.LineString([(xs[a], ys[a]), (xs[b], ys[b])])
        row = {c: val for c, val in d.items() if c not in _RESERVED and c != "geometry"}
        row.update(u=a, v=b, key=k, length=d.get("length", geom.length), geometry=geom)
        rows.append(row)
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=G.graph.get("crs"))
    front = ["u", "v", "key"]
    return gdf[front + [c for c in gdf.columns if c not in front]]
