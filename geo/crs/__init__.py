"""Coordinate systems met in Chinese facility registers, and conversion to WGS84.

Registers arrive in

* **WGS84** (GPS, OpenStreetMap) and **CGCS2000** (EPSG:4490, 天地图 and survey data) — the two
  differ by well under a metre, so CGCS2000 degrees are treated as WGS84;
* **GCJ-02** (the "Mars" coordinates of 高德 and 腾讯 maps) — WGS84 plus a smooth, deliberate
  offset of a few hundred metres inside China;
* **BD-09** (百度 maps) — GCJ-02 with a further rotation-like shift;
* **CGCS2000 Gauss–Krüger** metres (EPSG:4491–4554), with or without the zone number written in
  front of the easting.

All transforms are vectorised over numpy arrays: array-likes in, a ``(lon, lat)`` pair of float
arrays out. NaN in gives NaN out. Nothing happens at import.
"""

from __future__ import annotations

from geo.crs.guess import guess_xy_crs, swapped_xy
from geo.crs.systems import (
    in_china,
    is_geographic_crs,
    local_metric_crs,
    normalize_crs,
    points_to_wgs84,
)
from geo.crs.webmaps import (
    LAT_RANGE,
    LON_RANGE,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

__all__ = [
    "LAT_RANGE",
    "LON_RANGE",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "guess_xy_crs",
    "in_china",
    "is_geographic_crs",
    "local_metric_crs",
    "normalize_crs",
    "points_to_wgs84",
    "swapped_xy",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]
