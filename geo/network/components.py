"""Connected pieces of a street graph, and a graph's edges as a GeoDataFrame."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import networkx as nx
import shapely

from geo.network.edges import _RESERVED


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
