"""Which coordinate system a register's coordinates are in, and why: a header hint, the file's own CRS, the values, and for degrees a test of WGS84 / GCJ-02 / BD-09 against the declared townships' polygons."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import shapely
from pyproj import Transformer

from geo._errors import InputError
from geo.crs import (
    LAT_RANGE,
    LON_RANGE,
    guess_xy_crs,
    is_geographic_crs,
    normalize_crs,
    points_to_wgs84,
    swapped_xy,
)
from geo.registers.columns import _crs_from_headers
from geo.registers.model import _Raw, _Work

#: the degree systems a register in China may silently be in
WEB_SYSTEMS: Final = ("wgs84", "gcj02", "bd09")

_LABELS: Final = {"wgs84": "WGS84", "gcj02": "GCJ-02（高德/腾讯）", "bd09": "BD-09（百度）"}

#: the fix printed when the system of degrees cannot be told
UNCERTAIN_FIX: Final = (
    "在坐标列名中写明坐标系（如“经度(高德)”“bd_lng”），或导入时指定 crs=gcj02（高德/腾讯）"
    "或 crs=bd09（百度）；命令行写 FILE,crs=gcj02"
)


@dataclass(frozen=True)
class CrsChoice:
    """The system chosen for a file's coordinates, why, and whether the choice is sure."""

    crs: str | None
    reason: str
    certain: bool
    x: np.ndarray
    y: np.ndarray


def _in_range(v: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (v >= bounds[0]) & (v <= bounds[1])


def _plausible(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rows whose numbers can be a coordinate in China: degrees (either order) or metres."""
    deg = (_in_range(x, LON_RANGE) & _in_range(y, LAT_RANGE)) | (
        _in_range(x, LAT_RANGE) & _in_range(y, LON_RANGE)
    )
    metres = (np.abs(x) > 1e5) & (np.abs(y) > 1e5)
    return deg | metres


def web_system_scores(x: np.ndarray, y: np.ndarray, areas: np.ndarray) -> dict[str, int]:
    """For each of WGS84, GCJ-02 and BD-09: how many points fall in their own area.

    Parameters
    ----------
    x, y
        Degrees as given (a swapped pair already put right); NaN ignored.
    areas
        One (Multi)Polygon in WGS84 per point (its declared township, or the county), or None.
    """
    has = np.array([a is not None for a in areas], dtype=bool) & np.isfinite(x) & np.isfinite(y)
    scores = {}
    for system in WEB_SYSTEMS:
        lon, lat = points_to_wgs84(x[has], y[has], crs=system)
        inside = shapely.contains_xy(np.asarray(list(areas[has]), dtype=object), lon, lat)
        scores[system] = int(np.count_nonzero(inside))
    return scores


def _web_choice(
    x: np.ndarray, y: np.ndarray, ok: np.ndarray, towns: np.ndarray, region: object
) -> tuple[str, str, bool]:
    """WGS84, GCJ-02 or BD-09 by the points that land in their declared township (else in the
    county); sure only when one system places clearly more points right than the others."""
    swapped = swapped_xy(x, y, crs="wgs84")
    xs, ys = np.where(swapped, y, x), np.where(swapped, x, y)
    evidence, what = towns.copy(), "所属乡镇（街道）边界"
    evidence[~ok] = None
    n = int(sum(a is not None for a in evidence))
    if n < 3 and region is not None:
        evidence = np.array([region if k else None for k in ok], dtype=object)
        n, what = int(ok.sum()), "区县边界"
    if n < 3:
        return (
            "wgs84",
            "经纬度；没有乡镇或区县边界可用来区分 WGS84、GCJ-02 与 BD-09，按 WGS84 读取",
            False,
        )
    scores = web_system_scores(xs, ys, evidence)
    ranked = sorted(WEB_SYSTEMS, key=lambda s: (-scores[s], WEB_SYSTEMS.index(s)))
    best, second = ranked[0], ranked[1]
    margin = scores[best] - scores[second]
    shown = "，".join(f"按 {_LABELS[s]} 有 {scores[s]} 个" for s in WEB_SYSTEMS)
    detail = f"{n} 个点位与其{what}比对：{shown}落在边界内"
    if margin >= max(2, math.ceil(0.1 * n)):
        return best, f"根据点位推断为 {_LABELS[best]}（{detail}）", True
    return "wgs84", f"无法确定是否为高德/百度坐标，按 WGS84 读取（{detail}）", False


def choose_crs(
    work: _Work,
    raw: _Raw,
    x: np.ndarray,
    y: np.ndarray,
    origin: str,
    crs_arg: str,
    crs: object,
    *,
    towns: np.ndarray,
    region: shapely.Geometry | None,
) -> CrsChoice:
    """The system the coordinates are in, why, and x/y ready for :func:`points_to_wgs84`.

    ``towns`` holds each row's declared township polygon (None when unknown): WGS84, GCJ-02 and
    BD-09 degrees are told apart by which puts the most points inside them.
    """
    ok = np.isfinite(x) & np.isfinite(y) & ~work.dropped & ~work.rejected
    file_crs_name = normalize_crs(raw.file_crs) if raw.file_crs is not None else None
    if origin == "geometry" and file_crs_name is not None:
        if crs_arg == "auto":
            if file_crs_name in ("wgs84", "cgcs2000") and ok.any():
                system, why, sure = _web_choice(x, y, ok, towns, region)
                if sure and system != "wgs84":
                    return CrsChoice(system, f"文件声明为 {file_crs_name}，但{why}", True, x, y)
            return CrsChoice(file_crs_name, "采用文件自带的坐标系", True, x, y)
        if crs_arg in ("gcj02", "bd09") and not is_geographic_crs(file_crs_name):
            # a projected file whose content is GCJ-02/BD-09: bring it to degrees first
            tr = Transformer.from_crs(raw.file_crs, 4326, always_xy=True)
            x, y = (np.asarray(a, dtype=np.float64) for a in tr.transform(x, y))
        return CrsChoice(crs_arg, f"已指定 crs={crs!r}（文件声明为 {file_crs_name}）", True, x, y)
    if crs_arg != "auto":
        return CrsChoice(crs_arg, f"已指定 crs={crs!r}", True, x, y)
    if not ok.any():
        return CrsChoice(None, "没有坐标", True, x, y)
    hinted, reason = _crs_from_headers(work.cols)
    if hinted is not None:
        return CrsChoice(hinted, reason, True, x, y)
    usable = ok & _plausible(x, y)
    if not usable.any():
        return CrsChoice(None, "没有一行坐标像经纬度或投影坐标", True, x, y)
    try:
        guessed = guess_xy_crs(x[usable], y[usable])
    except InputError as exc:
        raise InputError(f"{work.file_name}：{exc}") from None
    if guessed != "wgs84":
        return CrsChoice(guessed, "根据坐标数值推断（横坐标前的带号）", True, x, y)
    system, why, sure = _web_choice(x, y, usable, towns, region)
    return CrsChoice(system, why, sure, x, y)


def note_uncertain(work: _Work, choice: CrsChoice, column: str) -> None:
    """The loud file-level warning when the system of degrees is a guess."""
    if choice.crs is None or choice.certain:
        return
    work.note(
        -1,
        column,
        "",
        "坐标系未能确定："
        + choice.reason
        + "；若实为高德/腾讯坐标，点位约偏 500 米，百度坐标约偏 1 公里",
        UNCERTAIN_FIX,
        "warning",
    )
