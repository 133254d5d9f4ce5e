"""OpenStreetMap extracts (``.osm.pbf``, ``.osm``) read straight into street arrays, no graph.

The walkable ways follow osmnx's ``walk`` network type exactly (the Overpass filter of
``osmnx._overpass._get_network_filter("walk")``, whose clauses are unanchored, case-sensitive
regular expressions): a way with a ``highway`` tag is kept unless ``area`` matches ``yes``,
``access`` matches ``private``, ``highway`` matches one of the excluded kinds (``motor``
covers motorway and motorway_link), ``foot`` matches ``no``, ``service`` matches ``private``
or any ``sidewalk*`` tag says ``separate``. Every pair of consecutive way nodes is one segment
(no simplification; repeated consecutive nodes are dropped as osmnx does), walked both ways,
measured as osmnx measures it (great circle, earth radius 6 371 009 m).

The file is read once by pyosmium (libosmium, C++) with the node-location cache on; only the
ways with a ``highway`` key reach Python, one call per way, never per node
(:mod:`geo.network.osm_ways`), and all arithmetic runs in numpy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from geo._errors import DataMissingError, InputError

if TYPE_CHECKING:
    import osmium

EARTH_RADIUS_M = 6_371_009.0  # osmnx.distance.EARTH_RADIUS_M

# osmnx 2.x ``_get_network_filter("walk")`` (with settings.default_access), clause by clause:
# a way is dropped when the tag is present and the pattern is found in its value.
WALK_EXCLUDE: tuple[tuple[str, str], ...] = (
    ("area", "yes"),
    ("access", "private"),
    (
        "highway",
        "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|proposed|"
        "raceway|razed|rest_area|services",
    ),
    ("foot", "no"),
    ("service", "private"),
    ("sidewalk", "separate"),
    ("sidewalk:both", "separate"),
    ("sidewalk:left", "separate"),
    ("sidewalk:right", "separate"),
)

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.xml", ".osm.bz2", ".osm.gz", ".o5m")
_META_KEY = b"servicecircle.street_table"


@dataclass(frozen=True, eq=False)
class StreetTable:
    """Walkable street segments of an OSM extract as plain arrays (WGS84, no graph).

    Attributes
    ----------
    node_id
        OSM node ids (int64), unique; only nodes used by a segment.
    lon, lat
        WGS84 degrees of each node.
    u, v
        Positions into the node arrays (not ids) of each segment's ends: consecutive way
        nodes, one row per segment.
    length_m
        Great-circle length of each segment in metres.
    """

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray

    @property
    def n_nodes(self) -> int:
        return len(self.node_id)

    @property
    def n_segments(self) -> int:
        return len(self.u)

    def subset(self, node_mask: np.ndarray) -> StreetTable:
        """The segments whose both ends are in ``node_mask`` (bool per node), nodes renumbered.

        Nodes left without a segment are dropped, so the result keeps the invariant that every
        node is used.
        """
        mask = np.asarray(node_mask, dtype=bool)
        if mask.shape != (self.n_nodes,):
            raise InputError(
                f"node_mask has shape {mask.shape}; it needs one boolean per node ({self.n_nodes})."
            )
        keep = mask[self.u] & mask[self.v]
        u, v = self.u[keep], self.v[keep]
        used = np.zeros(self.n_nodes, dtype=bool)
        used[u] = True
        used[v] = True
        new_pos = np.cumsum(used) - 1
        return StreetTable(
            node_id=self.node_id[used],
            lon=self.lon[used],
            lat=self.lat[used],
            u=new_pos[u].astype(np.int64),
            v=new_pos[v].astype(np.int64),
            length_m=self.length_m[keep],
        )

    def projected(self, crs: str | None = None) -> tuple[np.ndarray, np.ndarray, str]:
        """Node coordinates in metres: ``(x, y, crs)``; default CRS the local UTM zone."""
        from pyproj import Transformer

        from geo.crs import local_metric_crs

        target = crs or local_metric_crs(self.lon, self.lat)
        tr = Transformer.from_crs("EPSG:4326", target, always_xy=True)
        x, y = tr.transform(self.lon, self.lat)
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float), target

    def to_parquet(self, path: str | Path) -> Path:
        """Write one Parquet file (node columns and segment columns, padded to one length)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        n, m = self.n_nodes, self.n_segments
        rows = max(n, m)

        def col(a: np.ndarray, typ: pa.DataType) -> pa.Array:
            if len(a) == rows:
                return pa.array(a, type=typ)
            pad = np.zeros(rows - len(a), dtype=a.dtype)
            valid = np.r_[np.ones(len(a), dtype=bool), np.zeros(rows - len(a), dtype=bool)]
            return pa.array(np.r_[a, pad], type=typ, mask=~valid)

        table = pa.table(
            {
                "node_id": col(self.node_id, pa.int64()),
                "lon": col(self.lon, pa.float64()),
                "lat": col(self.lat, pa.float64()),
                "u": col(self.u, pa.int64()),
                "v": col(self.v, pa.int64()),
                "length_m": col(self.length_m, pa.float64()),
            }
        )
        meta = json.dumps({"version": 1, "n_nodes": n, "n_segments": m}).encode()
        table = table.replace_schema_metadata({_META_KEY: meta})
        out = Path(path)
        pq.write_table(table, out)
        return out

    @classmethod
    def from_parquet(cls, path: str | Path) -> StreetTable:
        """Read a file written by :meth:`to_parquet`."""
        import pyarrow.parquet as pq

        p = Path(path)
        if not p.is_file():
            raise DataMissingError(f"street table {str(p)!r} does not exist; check the path.")
        table = pq.read_table(p)
        raw = (table.schema.metadata or {}).get(_META_KEY)
        if raw is None:
            raise InputError(
                f"{p}: not a street table written by StreetTable.to_parquet (no "
                f"{_META_KEY.decode()!r} metadata)."
            )
        meta = json.loads(raw)
        n, m = int(meta["n_nodes"]), int(meta["n_segments"])

        def arr(name: str, k: int, dtype: type) -> np.ndarray:
            return np.asarray(
                table.column(name).slice(0, k).to_numpy(zero_copy_only=False), dtype=dtype
            )

        return cls(
            node_id=arr("node_id", n, np.int64),
            lon=arr("lon", n, np.float64),
            lat=arr("lat", n, np.float64),
            u=arr("u", m, np.int64),
            v=arr("v", m, np.int64),
            length_m=arr("length_m", m, np.float64),
        )


def is_osm_file(path: str | Path) -> bool:
    """Whether the file name says OpenStreetMap data pyosmium reads (pbf, XML, o5m)."""
    return Path(path).name.lower().endswith(OSM_SUFFIXES)


def great_circle_m(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Haversine metres, the same formula and radius as ``osmnx.distance.great_circle``."""
    out = np.empty(len(lat1))
    step = 1 << 20  # in slices, so a province's temporaries stay small
    for i in range(0, len(out), step):
        sl = slice(i, i + step)
        y1 = np.deg2rad(lat1[sl])
        y2 = np.deg2rad(lat2[sl])
        dy = y2 - y1
        dx = np.deg2rad(lon2[sl]) - np.deg2rad(lon1[sl])
        h = np.sin(dy / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin(dx / 2) ** 2
        h = np.minimum(1, h)
        out[sl] = 2 * np.arcsin(np.sqrt(h)) * EARTH_RADIUS_M
    return out


_WALK_RE = tuple((k, re.compile(p)) for k, p in WALK_EXCLUDE)


def is_walkable(tags: Mapping[str, str] | osmium.osm.TagList) -> bool:
    """osmnx ``walk`` semantics for one way's tags (a mapping, or pyosmium's tag list)."""
    get = tags.get
    if get("highway") is None:
        return False
    for key, pattern in _WALK_RE:
        value = get(key)
        if value is not None and pattern.search(value):
            return False
    return True


def street_table_from_osm(
    path: str | Path, *, bbox: tuple[float, float, float, float] | None = None
) -> StreetTable:
    """Read the walkable streets of an OSM extract (``.osm.pbf`` or ``.osm`` XML) into arrays.

    Parameters
    ----------
    path
        The extract, e.g. ``jiangxi-latest.osm.pbf`` from an OSM mirror.
    bbox
        Optional ``(west, south, east, north)`` in WGS84 degrees: keep the segments with both
        ends inside.

    Returns
    -------
    StreetTable
        Nodes used by walkable segments, and the segments. Segments with an end whose node
        is missing from the file (a clipped extract) are left out.

    Raises
    ------
    DataMissingError
        The file does not exist.
    InputError
        Not an OSM file, an unreadable file, a bad ``bbox``, or no walkable street in it.
    """
    p = Path(path)
    if not p.is_file():
        raise DataMissingError(f"OSM file {str(p)!r} does not exist; check the path.")
    if not is_osm_file(p):
        raise InputError(f"{p}: not an OpenStreetMap file ({', '.join(OSM_SUFFIXES)} expected).")
    if bbox is not None:
        w, s, e, n = (float(b) for b in bbox)
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            raise InputError(
                f"bbox {bbox} is not (west, south, east, north) in WGS84 degrees with "
                "west < east and south < north."
            )
    from geo.network.osm_ways import read_way_nodes, segments_from_way_nodes

    refs, lon, lat, starts = read_way_nodes(p, is_walkable)
    node_id, node_lon, node_lat, u, v, a = segments_from_way_nodes(
        refs, lon, lat, starts, bbox=bbox
    )
    del refs, lon, lat, starts
    if len(a) == 0:
        where = "" if bbox is None else f" inside bbox {bbox}"
        raise InputError(
            f"{p}: no walkable street{where} (osmnx 'walk' ways with a highway tag); "
            "check that the file is the right area and holds ways, not just nodes."
        )
    length = great_circle_m(node_lat[u], node_lon[u], node_lat[v], node_lon[v])
    return StreetTable(node_id=node_id, lon=node_lon, lat=node_lat, u=u, v=v, length_m=length)
