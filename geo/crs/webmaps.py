"""GCJ-02 (高德/腾讯) and BD-09 (百度) web-map coordinates to and from WGS84, vectorised."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt

from geo._errors import InputError

FloatArray = npt.NDArray[np.float64]


BoolArray = npt.NDArray[np.bool_]


# Krasovsky 1940 ellipsoid, as used by the GCJ-02 obfuscation
_A: Final = 6378245.0


_EE: Final = 0.00669342162296594323


_X_PI: Final = np.pi * 3000.0 / 180.0


#: China in degrees, as used to tell lon from lat (and a swapped pair)
LON_RANGE: Final = (73.0, 136.0)


LAT_RANGE: Final = (3.0, 54.0)


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


def _in_range(v: FloatArray, bounds: tuple[float, float]) -> BoolArray:
    return (v >= bounds[0]) & (v <= bounds[1])
