"""County pieces of a street table: the nodes within each county's polygon buffered by a halo.

The halo makes a partitioned run exact. Walking ``minutes`` at the fastest speed scenario
``v`` covers at most ``R = minutes × 60 × v`` metres, access walks included, so every street a
home of county C can use to reach a facility in time lies within ``R`` of C, and so does the
facility. Two more margins keep the *snaps* identical to an unpartitioned run (a point snaps
to its nearest edge, which must be in the piece): every home of C and every facility within
``R + A`` of C (``A`` the largest access walk) has its nearest edge within ``A`` of itself,
hence a point within ``R + 2A`` of C. A piece therefore keeps every segment with an end within
``R + 3A`` of C (an edge shorter than ``2A`` has an end within ``A`` of any of its points) and
every longer segment that crosses the ``R + 2A`` buffer. Facilities within ``R + A`` of C join
its task; only C's own homes are counted there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo._errors import InputError
from geo.crs import local_metric_crs
from servicecircle.batch.store import atomic_path

WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class Halo:
    """The distances of a partition, metres (see the module docstring)."""

    reach_m: float  # R: minutes × 60 × fastest speed
    access_m: float  # A: the largest access walk (snap distance)

    @property
    def facilities_m(self) -> float:
        return self.reach_m + self.access_m

    @property
    def crossing_m(self) -> float:
        return self.reach_m + 2 * self.access_m

    @property
    def nodes_m(self) -> float:
        return self.reach_m + 3 * self.access_m

    def covers(self, other: Halo) -> bool:
        """True when pieces cut with this halo serve a run that needs ``other``."""
        return self.reach_m >= other.reach_m - 1e-6 and self.access_m >= other.access_m - 1e-6

    @property
    def key(self) -> str:
        return f"r{self.reach_m:.0f}-a{self.access_m:.0f}"


def halo_for(*, minutes: float, speeds_m_s: list[float], access_m: float) -> Halo:
    """The halo of a run: ``minutes`` at the fastest of ``speeds_m_s``, snaps up to ``access_m``."""
    if not np.isfinite(minutes) or minutes <= 0:
        raise InputError(f"--minutes must be a positive number of minutes, got {minutes!r}")
    fastest = max(speeds_m_s)
    if not np.isfinite(fastest) or min(speeds_m_s) <= 0:
        raise InputError(f"walking speeds must be positive m/s, got {speeds_m_s}")
    # whole metres, rounded up, so equal runs share one cache folder
    return Halo(float(np.ceil(minutes * 60.0 * fastest)), float(np.ceil(access_m)))


def buffered(polygon: shapely.Geometry, distance_m: float) -> shapely.Geometry:
    """``polygon`` (WGS84) buffered by ``distance_m`` in its local UTM zone, back in WGS84.

    The outline is simplified by at most 1 % of the distance after buffering a little more,
    so the result still contains the exact buffer (Douglas–Peucker moves no vertex further).
    """
    c = polygon.centroid
    metric = local_metric_crs(c.x, c.y)
    tol = max(distance_m * 0.01, 1.0)
    g = gpd.GeoSeries([polygon], crs=WGS84).to_crs(metric)
    grown = g.buffer(distance_m + tol, quad_segs=8).simplify(tol)
    return grown.to_crs(WGS84).iloc[0]


def county_node_mask(table, polygon: shapely.Geometry, halo: Halo) -> np.ndarray:
    """Nodes of ``table`` (a :class:`geo.network.StreetTable`) in the piece of one county."""
    lon, lat = table.lon, table.lat
    near = _within(lon, lat, buffered(polygon, halo.nodes_m))
    keep = near[table.u] | near[table.v]
    # long segments crossing the inner buffer with both ends outside it
    long_ = ~keep & (table.length_m > 2 * halo.access_m)
    if long_.any():
        cross = buffered(polygon, halo.crossing_m)
        idx = np.flatnonzero(long_)
        u, v = table.u[idx], table.v[idx]
        x0, x1 = np.minimum(lon[u], lon[v]), np.maximum(lon[u], lon[v])
        y0, y1 = np.minimum(lat[u], lat[v]), np.maximum(lat[u], lat[v])
        bx0, by0, bx1, by1 = cross.bounds
        box = (x1 >= bx0) & (x0 <= bx1) & (y1 >= by0) & (y0 <= by1)
        idx, u, v = idx[box], u[box], v[box]
        lines = shapely.linestrings(
            np.stack([np.c_[lon[u], lat[u]], np.c_[lon[v], lat[v]]], axis=1)
        )
        keep[idx[shapely.intersects(cross, lines)]] = True
    mask = np.zeros(len(lon), dtype=bool)
    mask[table.u[keep]] = True
    mask[table.v[keep]] = True
    return mask


def _within(lon: np.ndarray, lat: np.ndarray, area: shapely.Geometry) -> np.ndarray:
    """Points inside ``area``: a bounding-box cut first, the exact test on what is left."""
    x0, y0, x1, y1 = area.bounds
    cand = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
    out = np.zeros(len(lon), dtype=bool)
    if len(cand):
        shapely.prepare(area)
        out[cand] = shapely.contains_xy(area, lon[cand], lat[cand])
    return out


def facilities_near(
    facilities: gpd.GeoDataFrame, polygon: shapely.Geometry, halo: Halo
) -> np.ndarray:
    """Positions of the facilities (EPSG:4326 points) within the halo of one county."""
    if facilities.empty:
        return np.zeros(0, dtype=np.int64)
    xy = shapely.get_coordinates(facilities.geometry.values)
    return np.flatnonzero(_within(xy[:, 0], xy[:, 1], buffered(polygon, halo.facilities_m)))


def write_pieces(
    table,
    counties: gpd.GeoDataFrame,
    halo: Halo,
    folder: Path,
) -> dict[str, Path]:
    """Cut ``table`` into one piece per county (``code``, WGS84 ``geometry``) under ``folder``.

    One pass over the street table already read from the ``.osm.pbf``; each piece is written
    as Parquet (``<code>.parquet``, atomically) and a ``pieces.json`` manifest records the halo
    and the node and segment count of every piece. Pieces already written are kept.
    """
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / "pieces.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    paths = {}
    for county in counties.itertuples():
        path = folder / f"{county.code}.parquet"
        paths[county.code] = path
        if path.is_file() and county.code in manifest:
            continue
        piece = table.subset(county_node_mask(table, county.geometry, halo))
        with atomic_path(path) as tmp:
            piece.to_parquet(tmp)
        manifest[county.code] = {"nodes": len(piece.node_id), "segments": len(piece.u)}
    manifest["_halo"] = {"reach_m": halo.reach_m, "access_m": halo.access_m}
    with atomic_path(manifest_path) as tmp:
        Path(tmp).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return paths
