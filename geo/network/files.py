"""Street files by format (OSM XML, GraphML, edge tables, line layers) and the online osmnx download, as walking graphs."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from geo._errors import DataMissingError, InputError
from geo.network.edges import _VECTOR_SUFFIXES, graph_from_edges

_XML_SUFFIXES = (".osm", ".osm.xml", ".xml", ".osm.bz2")


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
        An unsupported suffix, or ``.osm.pbf`` (read by :func:`geo.network.street_table_from_osm`
        into arrays instead: a province is too big for a graph).
    """
    import osmnx as ox

    p = Path(path)
    name = p.name.lower()
    if name.endswith(".pbf"):
        raise InputError(
            f"{p}: an .osm.pbf extract is read into arrays, not into a networkx graph: use "
            "geo.network.street_table_from_osm (and analysis.reach.arrays_from_street_table), "
            "or pass it to `servicecircle reach --streets`, which reads it that way."
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
