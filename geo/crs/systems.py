"""Coordinate systems by name or EPSG code, points of any of them to WGS84, China's extent, a local metric CRS."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo._errors import InputError
from geo.crs.webmaps import BoolArray, FloatArray, _in_range, _pair, bd09_to_wgs84, gcj02_to_wgs84

#: names accepted for the degree systems that need no pyproj transform (lower-cased)
_ALIASES: Final[dict[str, str]] = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "wgs 84": "wgs84",
    "gps": "wgs84",
    "epsg:4326": "wgs84",
    "4326": "wgs84",
    "cgcs2000": "cgcs2000",
    "cgcs-2000": "cgcs2000",
    "epsg:4490": "cgcs2000",
    "4490": "cgcs2000",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj": "gcj02",
    "amap": "gcj02",
    "高德": "gcj02",
    "腾讯": "gcj02",
    "火星坐标": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "bd09ll": "bd09",
    "baidu": "bd09",
    "百度": "bd09",
}


def normalize_crs(crs: str | int | CRS) -> str:
    """A canonical name for a register's coordinate system.

    Parameters
    ----------
    crs
        'wgs84', 'cgcs2000', 'gcj02', 'bd09' (many spellings, e.g. 'GCJ-02', '高德', 'EPSG:4326'),
        an EPSG integer, a :class:`pyproj.CRS` or any string pyproj understands.

    Returns
    -------
    str
        'wgs84', 'cgcs2000', 'gcj02', 'bd09', or an 'EPSG:nnnn' / WKT string for pyproj.

    Raises
    ------
    InputError
        When pyproj does not understand the value either.
    """
    if isinstance(crs, CRS):
        epsg = crs.to_epsg()
        text = f"EPSG:{epsg}" if epsg else crs.to_wkt()
    elif isinstance(crs, bool):
        raise InputError(f"crs={crs!r} is not a coordinate system; pass e.g. 'wgs84' or 'gcj02'")
    elif isinstance(crs, int):
        text = f"EPSG:{crs}"
    else:
        text = str(crs).strip()
    alias = _ALIASES.get(text.lower())
    if alias is not None:
        return alias
    try:
        parsed = CRS.from_user_input(text)
    except CRSError:
        raise InputError(
            f"crs={crs!r} 不是可识别的坐标系；请使用 'wgs84'、'cgcs2000'、'gcj02'（高德/腾讯）、"
            "'bd09'（百度）或 EPSG 代码，如 'EPSG:4547'"
        ) from None
    epsg = parsed.to_epsg()
    if epsg == 4326 or parsed.to_authority() == ("OGC", "CRS84"):
        return "wgs84"
    if epsg == 4490:
        return "cgcs2000"
    return f"EPSG:{epsg}" if epsg else parsed.to_wkt()


def is_geographic_crs(crs: str | int | CRS) -> bool:
    """True when the (normalised) system is in degrees: WGS84, CGCS2000, GCJ-02, BD-09 or any
    geographic pyproj CRS."""
    name = normalize_crs(crs)
    if name in ("wgs84", "cgcs2000", "gcj02", "bd09"):
        return True
    return bool(CRS.from_user_input(name).is_geographic)


def points_to_wgs84(
    x: npt.ArrayLike, y: npt.ArrayLike, *, crs: str | int | CRS
) -> tuple[FloatArray, FloatArray]:
    """Convert register coordinates to WGS84 longitude/latitude.

    Parameters
    ----------
    x, y
        Easting/longitude and northing/latitude, in the order "x then y" whatever the CRS's
        official axis order (so Gauss–Krüger eastings go in ``x``).
    crs
        'wgs84' / 'EPSG:4326'; 'cgcs2000' / 'EPSG:4490' — CGCS2000 and WGS84 (ITRF-aligned) agree
        to within a metre in China, far below register precision, so CGCS2000 degrees are
        returned unchanged; 'gcj02' (高德/腾讯); 'bd09' (百度); or any CRS pyproj understands,
        e.g. CGCS2000 Gauss–Krüger 3° zones with the zone number in front of the easting
        (EPSG:4513–4533, easting like 38 500 000), 3° zones without it (EPSG:4534–4554, the
        code names the central meridian), 6° zones with (4491–4501) or without (4502–4512) it.

    Returns
    -------
    tuple of ndarray
        ``(lon, lat)`` in WGS84 degrees.

    Raises
    ------
    InputError
        When ``crs`` is not understood or x and y differ in shape.
    """
    xs, ys = _pair(x, y)
    name = normalize_crs(crs)
    if name in ("wgs84", "cgcs2000"):
        return xs.copy(), ys.copy()
    if name == "gcj02":
        return gcj02_to_wgs84(xs, ys)
    if name == "bd09":
        return bd09_to_wgs84(xs, ys)
    transformer = Transformer.from_crs(CRS.from_user_input(name), 4326, always_xy=True)
    lon, lat = transformer.transform(xs, ys)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def in_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> BoolArray:
    """Rough test that WGS84 points lie in China.

    A bounding box (73.4–135.1 °E, 3.8–53.6 °N) minus a few obvious non-Chinese areas: the
    open Pacific/East China Sea east of 123.5 °E south of 39.5 °N, the Philippines, mainland
    South-East Asia south of Yunnan/Guangxi, India south of Tibet, Mongolia, Kazakhstan and
    Russia north of Xinjiang. It is meant to catch garbage and swapped or mistyped values, not
    to draw the border.

    Parameters
    ----------
    lon, lat
        WGS84 degrees.

    Returns
    -------
    ndarray of bool
        One flag per point; NaN is False.
    """
    x, y = _pair(lon, lat)
    box = _in_range(x, (73.4, 135.1)) & _in_range(y, (3.8, 53.6))
    not_china = (
        ((x > 123.5) & (y < 39.5))  # East China Sea / Pacific / Japan
        | ((x > 119.5) & (y < 21.8))  # Philippines
        | ((x < 106.0) & (y < 21.0))  # Vietnam, Laos, Thailand, Myanmar
        | ((x < 97.3) & (y < 26.5))  # Myanmar, India
        | ((x < 78.0) & (y < 35.0))  # India, Pakistan
        | ((x > 92.0) & (x < 111.0) & (y > 45.5))  # Mongolia
        | ((x < 79.0) & (y > 41.5))  # Kazakhstan, Kyrgyzstan
        | ((x < 120.0) & (y > 50.5))  # Russia
    )
    return box & ~not_china


def local_metric_crs(lon: npt.ArrayLike, lat: npt.ArrayLike) -> str:
    """The WGS84 / UTM zone (EPSG:326nn north, 327nn south) holding the points' median.

    Parameters
    ----------
    lon, lat
        WGS84 degrees of one point or many.

    Returns
    -------
    str
        E.g. 'EPSG:32650' for Wuhan (114.3 °E).

    Raises
    ------
    InputError
        When there is no finite point.
    """
    x, y = _pair(lon, lat)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        raise InputError("no finite lon/lat to choose a metric CRS from; check the coordinates")
    mx = float(np.median(x[ok]))
    my = float(np.median(y[ok]))
    zone = int(np.floor((mx + 180.0) / 6.0)) % 60 + 1
    return f"EPSG:{(32600 if my >= 0 else 32700) + zone}"
