"""The walking street network: built once per file, or downloaded and cached in the workspace."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import shapely

from geo._errors import InputError


@dataclass(frozen=True)
class Streets:
    """A walking street graph, its compiled arrays, and where it came from."""

    graph: object  # networkx.MultiGraph (osmnx-compatible, projected, lengths in metres)
    arrays: object  # analysis.reach.StreetArrays
    source: str
    components: dict


def load_streets(path: Path | None = None, *, tolerance_m: float = 1.0) -> Streets:
    """Build the walking graph (osmnx) from a street file; default: the bundle's Wuhan streets.

    Built once per process for a given file (its size and modification time are part of the
    key, so an edited file is rebuilt); the graph and arrays are never modified afterwards.
    """
    from geo.bundle import bundle_path

    p = Path(path) if path is not None else bundle_path("streets_wuhan")
    if not p.is_file():
        raise InputError(f"street network file {str(p)!r} does not exist")
    stat = p.stat()
    return _load_streets(
        str(p.resolve()), stat.st_size, stat.st_mtime_ns, tolerance_m, path is None
    )


@lru_cache(maxsize=2)
def _load_streets(path: str, _size: int, _mtime: int, tolerance_m: float, bundled: bool) -> Streets:
    from analysis.reach import arrays_from_graph
    from geo.network import graph_from_file, keep_largest_component, largest_component_report

    graph = graph_from_file(Path(path), tolerance_m=tolerance_m)
    report = largest_component_report(graph)
    if report.get("components", 1) > 1:
        graph = keep_largest_component(graph)
    source = (
        "OpenStreetMap 武汉中心城区道路（reference bundle, © OpenStreetMap contributors）"
        if bundled
        else Path(path).name
    )
    streets = Streets(graph, arrays_from_graph(graph), source, report)
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
    from geo.network import largest_component_report

    return Streets(graph, arrays_from_graph(graph), source, largest_component_report(graph))
