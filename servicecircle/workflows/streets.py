"""The walking street network: built once per file, or downloaded and cached in the workspace.

OpenStreetMap extracts (``.osm.pbf``, ``.osm``) are read straight into arrays (pyosmium, no
networkx graph: the path for a province); other files (edge tables, line layers, GraphML) and
downloads go through an osmnx-compatible graph. Every connected piece of the network is kept.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import shapely

from geo._errors import InputError


@dataclass(frozen=True)
class Streets:
    """A walking street network: its compiled arrays, the graph when one was built, its
    connected pieces (all kept) and where it came from."""

    graph: object  # networkx.MultiGraph (osmnx-compatible, projected); None for OSM extracts
    arrays: object  # analysis.reach.StreetArrays
    source: str
    components: dict  # pieces, nodes, largest_piece_nodes, sizes (largest first, up to 20)


def components_of(arrays) -> dict:
    """How many connected pieces the network has and how big they are (none is dropped)."""
    import numpy as np

    from analysis.reach import street_pieces

    labels = street_pieces(arrays)
    sizes = np.sort(np.bincount(labels))[::-1] if len(labels) else np.zeros(0, dtype=np.int64)
    return {
        "pieces": int(len(sizes)),
        "nodes": int(len(labels)),
        "largest_piece_nodes": int(sizes[0]) if len(sizes) else 0,
        "sizes": [int(v) for v in sizes[:20]],
    }


def load_streets(path: Path | None = None, *, tolerance_m: float = 1.0) -> Streets:
    """The walking network of a street file; default: the bundle's Wuhan streets.

    ``.osm.pbf`` / ``.osm`` extracts are read into arrays with no graph (osmnx ``walk``
    semantics, see :mod:`geo.network.osm`); other formats are built into a graph (osmnx) and
    compiled. Built once per process for a given file (its size and modification time are part
    of the key, so an edited file is rebuilt); never modified afterwards.
    """
    from geo.bundle import bundle_path
    from geo.network import check_street_file

    p = Path(path) if path is not None else bundle_path("streets_wuhan")
    if not p.is_file():
        raise InputError(f"street network file {str(p)!r} does not exist")
    check_street_file(p)
    stat = p.stat()
    return _load_streets(
        str(p.resolve()), stat.st_size, stat.st_mtime_ns, tolerance_m, path is None
    )


@lru_cache(maxsize=2)
def _load_streets(path: str, _size: int, _mtime: int, tolerance_m: float, bundled: bool) -> Streets:
    from analysis.reach import arrays_from_graph, arrays_from_street_table
    from geo.network import graph_from_file, is_osm_file, street_table_from_osm

    source = (
        "OpenStreetMap 武汉中心城区道路（reference bundle, © OpenStreetMap contributors）"
        if bundled
        else Path(path).name
    )
    if is_osm_file(path):
        arrays = arrays_from_street_table(street_table_from_osm(path))
        streets = Streets(None, arrays, f"{source}（OpenStreetMap, walk）", components_of(arrays))
    else:
        graph = graph_from_file(Path(path), tolerance_m=tolerance_m)
        arrays = arrays_from_graph(graph)
        streets = Streets(graph, arrays, source, components_of(arrays))
    # the graph lives for the whole process: move it out of the cyclic garbage collector's way,
    # or each full collection walks its ~10^6 objects (0.5 s pauses in interactive what-ifs)
    gc.collect()
    gc.freeze()
    return streets


def load_streets_online(
    polygon_wgs84: shapely.Polygon | shapely.MultiPolygon,
    *,
    workspace,  # geo.workspace.Workspace
    network_type: str = "walk",
    download=None,
) -> Streets:
    """Streets inside a polygon from OpenStreetMap (osmnx ``graph_from_polygon``, needs the
    internet), cached in the workspace: a second call for the same polygon and network type
    rebuilds the graph from the cached edge table and does not download again.

    ``download`` defaults to :func:`geo.network.graph_from_polygon_online`.
    """
    import hashlib

    from analysis.reach import arrays_from_graph
    from geo.network import edges_from_graph, graph_from_edges, graph_from_polygon_online

    key = hashlib.sha1(f"{network_type}:{polygon_wgs84.wkt}".encode()).hexdigest()[:16]
    name = f"streets_osm_{key}"
    cached = workspace.load_layer(name)
    if cached is not None and len(cached):
        graph = graph_from_edges(cached)
        source = f"OpenStreetMap ({network_type}, cached in the workspace as {name})"
    else:
        graph = (download or graph_from_polygon_online)(polygon_wgs84, network_type=network_type)
        edges = edges_from_graph(graph)
        workspace.save_layer(
            name,
            edges,
            kind="street_edges",
            params={"network_type": network_type, "polygon": polygon_wgs84.wkt},
        )
        source = f"OpenStreetMap ({network_type}, downloaded with osmnx)"
    arrays = arrays_from_graph(graph)
    return Streets(graph, arrays, source, components_of(arrays))
