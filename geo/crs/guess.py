"""Guessing the coordinate system of bare x/y columns: degrees, swapped pairs, Gauss–Krüger metres with or without zone."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pyproj import CRS

from geo._errors import InputError
from geo.crs.systems import is_geographic_crs
from geo.crs.webmaps import LAT_RANGE, LON_RANGE, BoolArray, FloatArray, _in_range, _pair


def _gk_zone(v: FloatArray) -> FloatArray:
    """Zone number written in front of a Gauss–Krüger easting (NaN when there is none).

    An easting with a prefix has 8 digits before the point: ``zone * 1e6 + 500 000 ± 400 000``.
    """
    zone = np.floor(v / 1e6)
    rest = v - zone * 1e6
    ok = (v >= 1e7) & (v < 1e8) & (rest >= 1e5) & (rest <= 9e5)
    ok &= _in_range(zone, (25, 45)) | _in_range(zone, (13, 23))
    return np.where(ok, zone, np.nan)


def _northing(v: FloatArray) -> BoolArray:
    """Plausible Gauss–Krüger northing in China (3°–54° N is about 0.33–6.0 million metres)."""
    return _in_range(v, (2e5, 6.2e6))


def swapped_xy(x: npt.ArrayLike, y: npt.ArrayLike, *, crs: str | int | CRS) -> BoolArray:
    """Which rows have x and y the wrong way round.

    For degrees: x looks like a Chinese latitude (3–54) and y like a longitude (73–136), while
    the pair read the right way does not fit China. For Gauss–Krüger metres: the zone-prefixed
    easting is in y and a northing in x (the surveyors' X = north convention).

    Parameters
    ----------
    x, y
        Coordinates as given.
    crs
        The system the rows are in (see :func:`points_to_wgs84`).

    Returns
    -------
    ndarray of bool
        One flag per row; NaN rows are False.
    """
    xs, ys = _pair(x, y)
    if is_geographic_crs(crs):
        right = _in_range(xs, LON_RANGE) & _in_range(ys, LAT_RANGE)
        swapped = _in_range(xs, LAT_RANGE) & _in_range(ys, LON_RANGE)
        return swapped & ~right
    prefixed_y = ~np.isnan(_gk_zone(ys))
    prefixed_x = ~np.isnan(_gk_zone(xs))
    return prefixed_y & ~prefixed_x & _northing(xs)


def _gk_epsg(zone: int) -> str:
    if 25 <= zone <= 45:
        return f"EPSG:{4513 + zone - 25}"
    return f"EPSG:{4491 + zone - 13}"


def guess_xy_crs(x: npt.ArrayLike, y: npt.ArrayLike) -> str:
    """Guess the coordinate system of a register's x/y columns from their values.

    Rows with x and y swapped count as evidence too (see :func:`swapped_xy` to find them).

    Parameters
    ----------
    x, y
        The values of the x (longitude/easting) and y (latitude/northing) columns; NaN ignored.

    Returns
    -------
    str
        'wgs84' for degrees (GCJ-02/BD-09 degrees cannot be told from WGS84 by value: the caller
        must say so), or 'EPSG:nnnn' for CGCS2000 Gauss–Krüger metres with a zone number in front
        of the easting: 3° zones 25–45 -> EPSG:4513–4533, 6° zones 13–23 -> EPSG:4491–4501.

    Raises
    ------
    InputError
        When there are no numbers, or the metres carry no zone number (then the central meridian
        cannot be known), or the values fit neither.
    """
    xs, ys = _pair(x, y)
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if xs.size == 0:
        raise InputError("没有可用于判断坐标系的数值坐标；请核对经纬度列，或明确指定坐标系（crs=）")
    degrees = (np.abs(xs) <= 180.0) & (np.abs(ys) <= 180.0)
    if degrees.mean() > 0.5:
        return "wgs84"
    zone_x = _gk_zone(xs)
    zone_y = _gk_zone(ys)
    zx_ok = ~np.isnan(zone_x) & _northing(ys)
    zy_ok = ~np.isnan(zone_y) & _northing(xs)
    zone = np.where(zx_ok, zone_x, np.where(zy_ok, zone_y, np.nan))
    found = zone[~np.isnan(zone)]
    sample = f"x={xs[0]:.10g}, y={ys[0]:.10g}"
    if found.size > 0.5 * xs.size:
        values, counts = np.unique(found.astype(int), return_counts=True)
        return _gk_epsg(int(values[np.argmax(counts)]))
    metres = (np.abs(xs) > 180.0) & (np.abs(ys) > 180.0)
    if metres.mean() > 0.5:
        raise InputError(
            f"坐标 {sample} 是以米为单位的投影坐标，但横坐标前没有带号，无法判断投影；"
            "请用 crs= 指定 EPSG 代码，例如 CGCS2000 3度带中央经线114°E 为 'EPSG:4547'"
            "（EPSG:4534 + (中央经线 - 75) / 3），UTM 50N 为 'EPSG:32650'"
        )
    raise InputError(
        f"坐标 {sample} 既不是经纬度（度），也不是高斯-克吕格投影坐标（米）；请核对坐标列，"
        "或明确指定坐标系：'wgs84'、'gcj02'（高德/腾讯）、'bd09'（百度）或 EPSG 代码"
    )
