"""The 15-minute walking reach over real streets, answered by compiled shortest paths.

The street graph is turned once into arrays (:func:`arrays_from_graph`): a symmetric CSR
matrix of edge lengths in metres, the edge table and an STRtree of edge geometries. Points
(facilities, homes, candidate sites) are snapped to their nearest *edge*, not node, and keep
their position along it, so a home in the middle of a 600 m block is not moved to a corner.

Times are walking seconds = metres / ``walk_speed_m_s``; a point counts as reached within a
budget when its time is ``<= budget`` (a 900 m walk at 1 m/s is inside 15 minutes). Points
farther than ``max_distance_m`` from any street are ``off_network``: not reached, and still in
every share's denominator. Every connected piece of the network is kept: a facility serves the
homes of its own piece.

All searches run in ``scipy.sparse.csgraph.dijkstra`` (C): one multi-source pass with a
virtual source per facility for the whole city, bounded (``limit=``) batched passes for the
candidate-site coverage matrix, and a local search inside a Euclidean disc for one what-if site.

Rooms
-----
* ``arrays`` – the compiled street graph.
* ``tables`` – the same from an OSM extract read as arrays (no graph).
* ``snapping`` – points onto edges.
* ``nearest`` – times to the nearest facility.
* ``groups`` – shares reached per township, every point counted (reached, unreached, off_network).
* ``pieces`` – the connected pieces of the network (all kept) and who stands on which.
* ``areas`` – service-area polygons.
* ``candidates`` – the coverage matrix and one what-if site.
* ``_checks`` – the argument checks they share.
"""

from __future__ import annotations

from analysis.reach.areas import buffer_areas, service_areas, union_service_area
from analysis.reach.arrays import StreetArrays, arrays_from_edges, arrays_from_graph
from analysis.reach.candidates import PointReach, coverage_matrix, reach_from_point
from analysis.reach.groups import STATUSES, reach_by_group, reach_status
from analysis.reach.nearest import NodeTimes, demand_times, nearest_facility, straight_line_minutes
from analysis.reach.pieces import PiecesReport, piece_of_points, pieces_report, street_pieces
from analysis.reach.snapping import snap_points
from analysis.reach.tables import arrays_from_street_table

__all__ = [
    "NodeTimes",
    "PiecesReport",
    "STATUSES",
    "PointReach",
    "StreetArrays",
    "arrays_from_edges",
    "arrays_from_graph",
    "arrays_from_street_table",
    "buffer_areas",
    "coverage_matrix",
    "demand_times",
    "nearest_facility",
    "piece_of_points",
    "pieces_report",
    "reach_by_group",
    "reach_status",
    "reach_from_point",
    "service_areas",
    "snap_points",
    "straight_line_minutes",
    "street_pieces",
    "union_service_area",
]
