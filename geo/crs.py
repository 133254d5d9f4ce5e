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

from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from servicecircle._errors import InputError

__all__ = [
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

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 obfuscation
_A: Final = 6378245.0
_EE: Final = 0.00669342162296594323
_X_PI: Final = np.pi * 3000.0 / 180.0

#: China in degrees, as used to tell lon from lat (and a swapped pair)
LON_RANGE: Final = (73.0, 136.0)
LAT_RANGE: Final = (3.0, 54.0)

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

_GCJ_MAX_ITER: Final = 30
_GCJ_TOL_DEG: Final = 1e-9


def _pair(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    if x.shape != y.shape:
        raise InputError(
            f"lon and lat must have the same shape, got {x.shape} and {y.shape}; "
            "pass one value per point in each"
        )
    return x, y


def _out_of_china(lon: FloatArray, lat: FloatArray) -> BoolArray:
    """The usual GCJ-02 ``out_of_china`` box: outside it GCJ-02 equals WGS84."""
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta_lat(x: FloatArray, y: FloatArray) -> FloatArray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _delta_lon(x: FloatArray, y: FloatArray) -> FloatArray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 degrees to GCJ-02 (高德/腾讯) degrees.

    Parameters
    ----------
    lon, lat
        WGS84 longitude and latitude in degrees (scalars or arrays of one shape).

    Returns
    -------
    tuple of ndarray
        ``(lon, lat)`` in GCJ-02; points outside the ``out_of_china`` box are returned unchanged.
    """
    x, y = _pair(lon, lat)
    dlat = _delta_lat(x - 105.0, y - 35.0)
    dlon = _delta_lon(x - 105.0, y - 35.0)
    radlat = y / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = _out_of_china(x, y)
    return np.where(outside, x, x + dlon), np.where(outside, y, y + dlat)


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 degrees back to WGS84, by fixed-point iteration of the forward transform.

    The iteration stops when every point's forward image is within 1e-9° of the input
    (well below the required 1e-7°, i.e. about a centimetre); it converges in a handful of steps
    because the offset changes slowly with position.

    Parameters
    ----------
    lon, lat
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    tuple of ndarray
        ``(lon, lat)`` in WGS84.
    """
    gx, gy = _pair(lon, lat)
    return _invert(wgs84_to_gcj02, gx, gy, gx.copy(), gy.copy())


def _invert(
    forward: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    tx: FloatArray,
    ty: FloatArray,
    x: FloatArray,
    y: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Fixed-point inverse of a near-identity shift: find (x, y) with forward(x, y) = (tx, ty)."""
    for _ in range(_GCJ_MAX_ITER):
        fx, fy = forward(x, y)
        dx, dy = fx - tx, fy - ty
        x, y = x - dx, y - dy
        err = np.nanmax(np.abs(np.concatenate([np.ravel(dx), np.ravel(dy)])), initial=0.0)
        if err < _GCJ_TOL_DEG:
            break
    return x, y


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 degrees to BD-09 (百度) degrees.

    Parameters
    ----------
    lon, lat
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    tuple of ndarray
        ``(lon, lat)`` in BD-09.
    """
    x, y = _pair(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 degrees to GCJ-02 degrees.

    The closed-form inverse is refined by a few fixed-point steps on :func:`gcj02_to_bd09`, so
    the round trip is exact to about 1e-9° rather than the closed form's ~1e-6°.

    Parameters
    ----------
    lon, lat
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    tuple of ndarray
        ``(lon, lat)`` in GCJ-02.
    """
    bx, by = _pair(lon, lat)
    x, y = bx - 0.0065, by - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    gx, gy = z * np.cos(theta), z * np.sin(theta)
    return _invert(gcj02_to_bd09, bx, by, gx, gy)


def wgs84_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 degrees to BD-09 degrees (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 degrees to WGS84 degrees (through GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


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


def _in_range(v: FloatArray, bounds: tuple[float, float]) -> BoolArray:
    return (v >= bounds[0]) & (v <= bounds[1])


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
