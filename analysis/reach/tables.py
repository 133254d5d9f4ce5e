"""Street arrays from a :class:`geo.network.StreetTable` (an OSM extract read as arrays),
projected to metres, with no graph object on the way.
"""

from __future__ import annotations

from analysis.reach.arrays import StreetArrays, arrays_from_edges
from geo.network.osm import StreetTable


def arrays_from_street_table(table: StreetTable, *, crs: str | None = None) -> StreetArrays:
    """Compile a WGS84 street table into :class:`StreetArrays` in a projected CRS.

    Parameters
    ----------
    table
        From :func:`geo.network.street_table_from_osm` (or a piece of one, ``subset``).
    crs
        The projected CRS; default the WGS84 / UTM zone of the nodes' median.

    Notes
    -----
    Segment lengths stay the great-circle metres of the table (osmnx's ``length``), so times
    are those of an osmnx graph of the same file; the projected coordinates serve snapping,
    and segments are straight between their nodes.
    """
    x, y, target = table.projected(crs)
    return arrays_from_edges(
        node_ids=table.node_id,
        x=x,
        y=y,
        edge_u=table.u,
        edge_v=table.v,
        edge_length_m=table.length_m,
        crs=target,
    )
