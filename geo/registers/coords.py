"""Coordinates of register rows: parsing (decimal, degrees-minutes-seconds), the coordinate system used and the conversion to WGS84."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer

from geo._errors import InputError
from geo.crs import (
    guess_xy_crs,
    in_china,
    is_geographic_crs,
    local_metric_crs,
    normalize_crs,
    points_to_wgs84,
    swapped_xy,
)
from geo.registers.columns import _crs_from_headers
from geo.registers.model import REGION_TOLERANCE_M, _Raw, _Work

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


_DMS = re.compile(
    r"^(\d+(?:\.\d+)?)\s*[°度]\s*(?:(\d+(?:\.\d+)?)\s*['′分])?\s*"
    r"(?:(\d+(?:\.\d+)?)\s*(?:\"|″|''|秒))?$"
)


_HEMI = re.compile(r"^(东经|北纬|[NEne])|([NEne]|°)$")


def _parse_coord(text: str) -> float:
    """A coordinate cell as a float (NaN when it is not a number).

    Accepts decimals ("114.305"), full-width digits, a degree sign or hemisphere letter
    ("114.305°E", "东经114.305") and degrees-minutes-seconds ("114°18'18\"").
    """
    t = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if not t:
        return float("nan")
    t = _HEMI.sub("", _HEMI.sub("", t))
    if _NUMBER.match(t):
        return float(t)
    m = _DMS.match(t)
    if m:
        deg, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
        if minutes < 60 and seconds < 60:
            return deg + minutes / 60.0 + seconds / 3600.0
    return float("nan")


@dataclass(frozen=True)
class _XY:
    """Coordinates as read: numbers (NaN when missing or not a number) and the user's text."""

    x: np.ndarray
    y: np.ndarray
    x_text: np.ndarray
    y_text: np.ndarray
    column: str
    origin: str  # 'geometry' | 'columns' | 'none'


def _read_xy(work: _Work, raw: _Raw, text_of: Any) -> _XY:
    n = len(raw.frame)
    cols = work.cols
    geoms = raw.geometry.to_numpy() if raw.geometry is not None else np.array([], dtype=object)
    if any(g is not None and not g.is_empty for g in geoms):
        x, y = np.full(n, np.nan), np.full(n, np.nan)
        x_text = np.full(n, "", dtype=object)
        y_text = np.full(n, "", dtype=object)
        for i, g in enumerate(geoms):
            if g is None or g.is_empty:
                continue
            if g.geom_type != "Point":
                work.note(
                    i,
                    "geometry",
                    g.geom_type,
                    f"几何类型为 {g.geom_type}，不是点；已改用其内部的一个点",
                    "将设施存为点要素",
                    "warning",
                )
                g = g.representative_point()
            x[i], y[i] = g.x, g.y
            x_text[i], y_text[i] = f"{g.x:.10g}", f"{g.y:.10g}"
        return _XY(x, y, x_text, y_text, "geometry", "geometry")
    if "lon" in cols and "lat" in cols:
        x_text, y_text = text_of("lon"), text_of("lat")
        x = np.array([_parse_coord(str(t)) for t in x_text], dtype=np.float64)
        y = np.array([_parse_coord(str(t)) for t in y_text], dtype=np.float64)
        return _XY(x, y, x_text, y_text, f"{cols['lon']}/{cols['lat']}", "columns")
    if "township" not in cols and "code" not in cols:
        raise InputError(
            f"{work.file_name} 既没有坐标列（经度/纬度），也没有乡镇列（所属乡镇或行政区划代码）；"
            f"现有列为 {'、'.join(map(str, raw.frame.columns))}；请补上其中一种，"
            "或用 columns={'lon': ..., 'lat': ...} 指定坐标列"
        )
    work.note(
        -1,
        "经度/纬度",
        "",
        "文件中没有坐标，设施仅按名称归入所属乡镇（街道）",
        "补充经度、纬度两列，以便测算步行可达范围",
        "warning",
    )
    empty = np.full(n, "", dtype=object)
    return _XY(np.full(n, np.nan), np.full(n, np.nan), empty, empty, "经度/纬度", "none")


def _resolve_crs(
    work: _Work, raw: _Raw, xy: _XY, crs_arg: str, crs: object
) -> tuple[str | None, str, np.ndarray, np.ndarray]:
    """The system the coordinates are in, why, and x/y ready for :func:`points_to_wgs84`."""
    x, y = xy.x, xy.y
    ok = np.isfinite(x) & np.isfinite(y) & ~work.dropped
    file_crs_name = normalize_crs(raw.file_crs) if raw.file_crs is not None else None
    if xy.origin == "geometry" and file_crs_name is not None:
        if crs_arg == "auto":
            return file_crs_name, "采用文件自带的坐标系", x, y
        if crs_arg in ("gcj02", "bd09") and not is_geographic_crs(file_crs_name):
            # a projected file whose content is GCJ-02/BD-09: bring it to degrees first
            tr = Transformer.from_crs(raw.file_crs, 4326, always_xy=True)
            x, y = (np.asarray(a, dtype=np.float64) for a in tr.transform(x, y))
        return crs_arg, f"已指定 crs={crs!r}（文件声明为 {file_crs_name}）", x, y
    if crs_arg != "auto":
        return crs_arg, f"已指定 crs={crs!r}", x, y
    if not ok.any():
        return None, "没有坐标", x, y
    hinted, reason = _crs_from_headers(work.cols)
    if hinted is not None:
        return hinted, reason, x, y
    try:
        guessed = guess_xy_crs(x[ok], y[ok])
    except InputError as exc:
        raise InputError(f"{work.file_name}：{exc}") from None
    reason = "根据坐标数值推断"
    if guessed == "wgs84":
        reason += (
            "（经纬度：WGS84、GCJ-02 与 BD-09 数值相近，无法区分；高德/腾讯坐标请指定 "
            "crs='gcj02'，百度坐标请指定 crs='bd09'）"
        )
    return guessed, reason, x, y


def _to_wgs84(
    work: _Work,
    xy: _XY,
    x: np.ndarray,
    y: np.ndarray,
    crs_used: str | None,
    region: shapely.Geometry | None,
) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat (NaN where unusable), repairing swapped rows and rejecting points outside
    China or ``region``."""
    n = len(x)
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    ok = np.isfinite(x) & np.isfinite(y) & ~work.dropped
    if crs_used is None or not ok.any():
        return lon, lat

    def shown(i: int) -> str:
        return f"{xy.x_text[i]}, {xy.y_text[i]}"

    swapped = swapped_xy(x, y, crs=crs_used) & ok
    for i in np.flatnonzero(swapped).tolist():
        work.note(
            i,
            xy.column,
            shown(i),
            "经纬度填反，已自动交换",
            "核对经纬度列：经度在前，国内经度约为 73–136",
            "repaired",
        )
    x, y = np.where(swapped, y, x), np.where(swapped, x, y)
    lon[ok], lat[ok] = points_to_wgs84(x[ok], y[ok], crs=crs_used)
    china = in_china(lon, lat)
    fix = (
        "核对坐标（国内经度约为 73–136，纬度约为 3–54）"
        if is_geographic_crs(crs_used)
        else f"核对坐标，或用 crs= 指定正确的坐标系（本次按 {crs_used} 换算）"
    )
    for i in np.flatnonzero(ok & ~china).tolist():
        reason = f"点位 ({lon[i]:.6f}, {lat[i]:.6f}) 位于中国境外"
        work.note(i, xy.column, shown(i), reason, fix, "rejected")
    ok &= china
    if region is not None and ok.any():
        metric = local_metric_crs(*region.representative_point().coords[0])
        to_m = Transformer.from_crs(4326, metric, always_xy=True)
        region_m = shapely.transform(region, lambda c: np.column_stack(to_m.transform(*c.T)))
        px, py = to_m.transform(lon[ok], lat[ok])
        dist = np.atleast_1d(shapely.distance(shapely.points(px, py), region_m))
        for i, d in zip(np.flatnonzero(ok).tolist(), dist.tolist(), strict=True):
            if d > REGION_TOLERANCE_M:
                reason = f"点位 ({lon[i]:.6f}, {lat[i]:.6f}) 位于区县边界外 {d:,.0f} 米"
                work.note(
                    i,
                    xy.column,
                    shown(i),
                    reason,
                    "核对坐标或所属区县",
                    "rejected",
                )
    return lon, lat


def _check_missing_xy(work: _Work, xy: _XY, lon: np.ndarray, has_town: np.ndarray) -> None:
    """Rows without usable coordinates: kept by township name (warning) or rejected."""
    if xy.origin == "none":
        return  # the whole file is name-only: reported once
    lon_header, lat_header = work.cols.get("lon", "经度"), work.cols.get("lat", "纬度")
    for i in np.flatnonzero(~work.dropped & ~np.isfinite(lon)).tolist():
        bad = [
            (h, str(t))
            for h, t, v in (
                (lon_header, xy.x_text[i], xy.x[i]),
                (lat_header, xy.y_text[i], xy.y[i]),
            )
            if t and not np.isfinite(v)
        ]
        if not xy.x_text[i] and not xy.y_text[i]:
            reason, column, value = "缺少坐标", xy.column, ""
        elif bad:
            column = "/".join(h for h, _ in bad)
            value = ", ".join(t for _, t in bad)
            reason = f"坐标 {value!r} 不是数字"
        elif np.isfinite(xy.x[i]) and np.isfinite(xy.y[i]):
            continue  # numbers that map nowhere: already rejected as outside China
        else:
            column, value = xy.column, f"{xy.x_text[i]}, {xy.y_text[i]}"
            reason = "坐标不完整"
        if has_town[i]:
            work.note(
                i,
                column,
                value,
                f"{reason}；该设施仅按名称计入所属乡镇（街道）",
                "补填经度和纬度（十进制度，如 114.305），以便测算步行可达范围",
                "warning",
            )
        else:
            work.note(
                i,
                column,
                value,
                f"{reason}，且未填所属乡镇",
                "补填十进制度坐标（如 114.305 / 30.593），或补填所属乡镇",
                "rejected",
            )
