"""Street networks in and out: OSM extracts (.osm.pbf/.osm) as arrays; edge tables, line layers, OSM XML and GraphML -> walking graphs.

An OpenStreetMap extract (``.osm.pbf``, ``.osm``) is read into a :class:`StreetTable`: plain
node and segment arrays under osmnx's ``walk`` semantics, no graph object (the path for a
province). Every other reader returns an undirected :class:`networkx.MultiGraph` built by osmnx
(``osmnx.convert.graph_from_gdfs``) in a projected CRS (metres), whose nodes carry ``x``/``y``
and whose edges carry a ``geometry`` running from ``u`` to ``v`` and a ``length`` in metres
measured on that geometry. Walking ignores one-way rules, hence undirected.

Names are imported on first use, so reading an extract (or a county worker unpickling a
:class:`StreetTable`) does not pay for geopandas, networkx and osmnx.

Nothing here knows about facilities or plans; measures over the graph live in
``analysis/reach/``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geo.network.edges import edges_from_graph, graph_from_edges
    from geo.network.files import check_street_file, graph_from_file, graph_from_polygon_online
    from geo.network.osm import StreetTable, is_osm_file, street_table_from_osm

_WHERE = {
    "StreetTable": "geo.network.osm",
    "is_osm_file": "geo.network.osm",
    "street_table_from_osm": "geo.network.osm",
    "check_street_file": "geo.network.files",
    "graph_from_file": "geo.network.files",
    "graph_from_polygon_online": "geo.network.files",
    "edges_from_graph": "geo.network.edges",
    "graph_from_edges": "geo.network.edges",
}

__all__ = [
    "StreetTable",
    "check_street_file",
    "edges_from_graph",
    "graph_from_edges",
    "graph_from_file",
    "graph_from_polygon_online",
    "is_osm_file",
    "street_table_from_osm",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'geo.network' has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
