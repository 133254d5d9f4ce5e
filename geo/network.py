"""Street networks in and out: edge tables, line layers, OSM XML and GraphML -> walking graphs.

Every reader returns the same thing: an undirected :class:`networkx.MultiGraph` built by osmnx
(``osmnx.convert.graph_from_gdfs``) in a projected CRS (metres), whose nodes carry ``x``/``y``
and whose edges carry a ``geometry`` running from ``u`` to ``v`` and a ``length`` in metres
measured on that geometry. Walking ignores one-way rules, hence undirected.

Nothing here knows about facilities or plans; measures over the graph live in
``analysis/reach.py``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from servicecircle._errors import DataMissingError, InputError

__all__ = [
    "edges_from_graph",
    "graph_from_edges",
    "graph_from_file",
    "graph_from_polygon_online",
    "keep_largest_component",
    "largest_component_report",
]

_XML_SUFFIXES = (".osm", ".osm.xml", ".xml", ".osm.bz2")
_VECTOR_SUFFIXES = (".parquet", ".geoparquet", ".shp", ".gpkg", ".geojson", ".json")
_RESERVED = {"u", "v", "key", "length", "from", "to"}


# --------------------------------------------------------------------------------------------
# edge tables / line layers
# --------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------------------------
def graph_from_file(path: str | Path, *, tolerance_m: float = 1.0) -> nx.MultiGraph:
    """Read a street network file into an undirected, projected walking graph.

    Parameters
    ----------
    path
        ``.osm`` / ``.osm.xml`` / ``.xml`` / ``.osm.bz2`` (OSM XML, read by
        ``osmnx.graph_from_xml`` with simplification, keeping the largest component),
        ``.graphml`` (saved by osmnx), or a line layer / edge table
        ``.parquet`` / ``.geoparquet`` / ``.shp`` / ``.gpkg`` / ``.geojson``.
    tolerance_m
        End-merging tolerance for line layers, see :func:`graph_from_edges`.

    Returns
    -------
    networkx.MultiGraph
        As :func:`graph_from_edges`.

    Raises
    ------
    DataMissingError
        The file does not exist.
    InputError
        An unsupported suffix, including ``.osm.pbf`` (convert it to ``.osm`` first).
    """
    import osmnx as ox

    p = Path(path)
    name = p.name.lower()
    if name.endswith(".osm.pbf") or name.endswith(".pbf"):
        raise InputError(
            f"{p}: .osm.pbf files cannot be read directly; convert it to OSM XML first, e.g. "
            f"`osmium cat {p.name} -o {p.name[: -len('.pbf')]}` (or cut an area with "
            "`osmium extract`), then pass the .osm file."
        )
    if not p.is_file():
        raise DataMissingError(f"street network file {str(p)!r} does not exist; check the path.")
    if name.endswith(_XML_SUFFIXES):
        with warnings.catch_warnings():
            # osmnx warns that XML it did not write itself may behave unexpectedly
            warnings.simplefilter("ignore", UserWarning)
            G = ox.graph_from_xml(p, simplify=True, retain_all=False)
        return _walking_graph(G)
    if name.endswith(".graphml"):
        return _walking_graph(ox.load_graphml(p))
    if name.endswith((".parquet", ".geoparquet")):
        return graph_from_edges(gpd.read_parquet(p), tolerance_m=tolerance_m)
    if name.endswith(_VECTOR_SUFFIXES):
        return graph_from_edges(gpd.read_file(p), tolerance_m=tolerance_m)
    raise InputError(
        f"{p}: unsupported street network format {''.join(p.suffixes) or '(no suffix)'!r}; "
        f"use one of {', '.join(_XML_SUFFIXES + ('.graphml',) + _VECTOR_SUFFIXES)}."
    )


def _walking_graph(G: nx.MultiGraph | nx.MultiDiGraph) -> nx.MultiGraph:
    """Project, make undirected and measure lengths on the projected geometry."""
    import osmnx as ox

    crs = G.graph.get("crs")
    if crs is None:
        raise InputError("the graph has no 'crs' graph attribute; save it with osmnx.")
    if not ox.projection.is_projected(crs):
        G = ox.projection.project_graph(G)
    if G.is_directed():
        if all("osmid" in d for _, _, d in G.edges(data=True)):
            G = ox.convert.to_undirected(G)
        else:
            G = nx.MultiGraph(G)
    xs = nx.get_node_attributes(G, "x")
    ys = nx.get_node_attributes(G, "y")
    for u, v, d in G.edges(data=True):
        geom = d.get("geometry")
        a, b = d.get("from", u), d.get("to", v)
        if a not in xs or b not in xs:  # GraphML stores from/to as text
            a, b = u, v
        if geom is None:
            geom = shapely.LineString([(xs[a], ys[a]), (xs[b], ys[b])])
        else:
            start = shapely.get_coordinates(geom)[0]
            if np.hypot(start[0] - xs[a], start[1] - ys[a]) > np.hypot(
                start[0] - xs[b], start[1] - ys[b]
            ):
                a, b = b, a
        d["geometry"] = geom
        d["from"], d["to"] = a, b
        d["length"] = float(geom.length)
    return nx.MultiGraph(G) if G.is_directed() else G


def graph_from_polygon_online(
    polygon_wgs84: shapely.Polygon | shapely.MultiPolygon, *, network_type: str = "walk"
) -> nx.MultiGraph:
    """Download the street network inside a WGS84 polygon from OpenStreetMap (needs internet).

    Parameters
    ----------
    polygon_wgs84
        Study area in longitude/latitude (EPSG:4326). GCJ-02 / BD-09 outlines from Chinese web
        maps must be converted to WGS84 first, or the network is shifted by hundreds of metres.
    network_type
        osmnx network type; ``"walk"`` includes footways and ignores one-way rules.

    Returns
    -------
    networkx.MultiGraph
        As :func:`graph_from_edges`. Attribution: © OpenStreetMap contributors (ODbL).
    """
    import osmnx as ox

    if not isinstance(polygon_wgs84, shapely.Polygon | shapely.MultiPolygon):
        raise InputError(
            f"polygon_wgs84 must be a shapely Polygon or MultiPolygon, got "
            f"{type(polygon_wgs84).__name__}."
        )
    minx, miny, maxx, maxy = polygon_wgs84.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InputError(
            f"polygon_wgs84 bounds {polygon_wgs84.bounds} are not longitude/latitude; "
            "reproject the polygon to EPSG:4326 first."
        )
    G = ox.graph_from_polygon(polygon_wgs84, network_type=network_type, simplify=True)
    return _walking_graph(G)


# --------------------------------------------------------------------------------------------
# components and export
# --------------------------------------------------------------------------------------------
def largest_component_report(G: nx.MultiGraph) -> dict[str, int]:
    """How many connected pieces the street graph has and what keeping the largest drops.

    Returns
    -------
    dict
        ``components``, ``nodes``, ``nodes_kept``, ``nodes_dropped``, ``edges_dropped``.
    """
    comps = list(nx.connected_components(G.to_undirected(as_view=True)))
    if not comps:
        return {
            "components": 0,
            "nodes": 0,
            "nodes_kept": 0,
            "nodes_dropped": 0,
            "edges_dropped": 0,
        }
    largest = max(comps, key=len)
    kept_edges = G.subgraph(largest).number_of_edges()
    return {
        "components": len(comps),
        "nodes": G.number_of_nodes(),
        "nodes_kept": len(largest),
        "nodes_dropped": G.number_of_nodes() - len(largest),
        "edges_dropped": G.number_of_edges() - kept_edges,
    }


def keep_largest_component(G: nx.MultiGraph) -> nx.MultiGraph:
    """A copy of ``G`` restricted to its largest connected component (input untouched)."""
    comps = list(nx.connected_components(G.to_undirected(as_view=True)))
    if len(comps) <= 1:
        return G.copy()
    largest = max(comps, key=len)
    return G.subgraph(largest).copy()


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
