"""Street networks in and out: OSM extracts (.osm.pbf/.osm) as arrays; edge tables, line layers, OSM XML and GraphML -> walking graphs.

Every reader returns the same thing: an undirected :class:`networkx.MultiGraph` built by osmnx
(``osmnx.convert.graph_from_gdfs``) in a projected CRS (metres), whose nodes carry ``x``/``y``
and whose edges carry a ``geometry`` running from ``u`` to ``v`` and a ``length`` in metres
measured on that geometry. Walking ignores one-way rules, hence undirected.

Nothing here knows about facilities or plans; measures over the graph live in
``analysis/reach/``.
"""

from __future__ import annotations

from geo.network.edges import edges_from_graph, graph_from_edges
from geo.network.files import check_street_file, graph_from_file, graph_from_polygon_online
from geo.network.osm import StreetTable, is_osm_file, street_table_from_osm

__all__ = [
    "StreetTable",
    "check_street_file",
    "is_osm_file",
    "street_table_from_osm",
    "edges_from_graph",
    "graph_from_edges",
    "graph_from_file",
    "graph_from_polygon_online",
]
