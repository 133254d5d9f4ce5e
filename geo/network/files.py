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
        ``osmnx.graph_from_xml`` with simplification, every connected piece kept),
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
            G = ox.graph_from_xml(p, simplify=True, retain_all=True)  # every piece kept
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


def check_street_file(path: str | Path) -> str:
    """Check a street file before anything expensive runs; return its kind.

    Reads only what says whether the file can be used: an OSM extract's header (pyosmium), a
    GeoParquet schema, a vector layer's geometry type (pyogrio), a GraphML's first bytes.

    Returns
    -------
    str
        ``"osm"``, ``"graphml"``, ``"parquet"`` or ``"vector"``.

    Raises
    ------
    DataMissingError
        The file does not exist.
    InputError
        An unsupported suffix, or a file that is not what its suffix says.
    """
    from geo.network.osm import is_osm_file

    p = Path(path)
    if not p.is_file():
        raise DataMissingError(
            f"道路文件 {str(p)!r} 不存在；请检查路径（--streets） (street file does not exist)"
        )
    name = p.name.lower()
    if is_osm_file(p):
        import osmium

        try:
            reader = osmium.io.Reader(str(p), osmium.osm.NOTHING)
            try:
                reader.header()  # parses the file's header block: a broken file fails here
            finally:
                reader.close()
        except RuntimeError as err:
            raise InputError(
                f"{p.name}：不是可读的 OpenStreetMap 文件（{err}）；请重新下载 .osm.pbf"
            ) from err
        return "osm"
    if name.endswith(".graphml"):
        if b"graphml" not in p.open("rb").read(4096).lower():
            raise InputError(f"{p.name}：不是 GraphML 文件；请用 osmnx.save_graphml 保存")
        return "graphml"
    if name.endswith((".parquet", ".geoparquet")):
        import pyarrow.parquet as pq

        try:
            schema = pq.read_schema(p)
        except (OSError, ValueError) as err:  # ArrowInvalid is a ValueError
            raise InputError(f"{p.name}：不是可读的 Parquet 文件（{err}）") from err
        if b"geo" not in (schema.metadata or {}):
            raise InputError(
                f"{p.name}：没有几何列（不是 GeoParquet；现有列：{'、'.join(schema.names)}）；"
                "道路表需要线几何（geometry），可选 u/v 节点列"
            )
        return "parquet"
    if name.endswith(_VECTOR_SUFFIXES):
        import pyogrio

        try:
            info = pyogrio.read_info(p)
        except (RuntimeError, OSError, ValueError) as err:  # pyogrio's DataSourceError
            raise InputError(f"{p.name}：无法读取（{err}）") from err
        kind = str(info.get("geometry_type") or "")
        if "LineString" not in kind:
            raise InputError(
                f"{p.name}：几何类型为 {kind or '（无）'}，道路需要线（LineString）图层"
            )
        return "vector"
    raise InputError(
        f"{p}: unsupported street network format {''.join(p.suffixes) or '(no suffix)'!r}; "
        f"use .osm.pbf, .osm, .graphml or one of {', '.join(_VECTOR_SUFFIXES)}."
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
    G = ox.graph_from_polygon(
        polygon_wgs84, network_type=network_type, simplify=True, retain_all=True
    )  # every connected piece kept
    return _walking_graph(G)
