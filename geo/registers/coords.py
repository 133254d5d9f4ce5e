"""Coordinates of register rows: parsing (decimal, degrees-minutes-seconds), the coordinate system used and the conversion to WGS84."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo._errors import InputError
from geo.crs import (
    in_china,
    is_geographic_crs,
    local_metric_crs,
    points_to_wgs84,
    swapped_xy,
)
from geo.registers.model import REGION_TOLERANCE_M, _Raw, _Work

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


#: hemisphere words and letters before or after a coordinate
_HEMI = re.compile(r"^(东经|北纬|[NESWnesw])\s*|\s*(东经|北纬|[NESWnesw])$")


#: separators between degrees, minutes and seconds: ° 度 ' ′ ’ 分 " ″ ” 秒, colons, spaces
_DMS_SEP = re.compile(r"[°º˚度'′’‘`分\"″”“秒:\s]+")


#: a cell holding both coordinates: two numbers (or DMS texts) split by , ， ; ； / | 、 or a tab
_PAIR_SEP = re.compile(r"\s*[,，;；/|、\t]\s*")


def _parse_coord(text: str) -> float:
    """A coordinate cell as a float (NaN when it is not a number).

    Accepts decimals ("114.305"), full-width digits, a degree sign or hemisphere letter
    ("114.305°E", "东经114.305") and degrees-minutes(-seconds) written with ° ′ ″ (or ' "),
    度分秒, colons or spaces ("114°18′18″", "114:18:18", "114 18 18.5", "30度36分"): minutes
    and seconds must be below 60 and only the last part may have decimals.
    """
    t = unicodedata.normalize("NFKC", str(text)).strip()
    if not t:
        return float("nan")
    t = _HEMI.sub("", t).strip()
    if _NUMBER.match(t):
        return float(t)
    parts = [p for p in _DMS_SEP.split(t) if p]
    if not 1 <= len(parts) <= 3 or not all(_NUMBER.match(p) for p in parts):
        return float("nan")
    if len(parts) == 1:  # "114.3°"
        return float(parts[0])
    if any(p.startswith(("+", "-")) for p in parts[1:]) or any("." in p for p in parts[:-1]):
        return float("nan")
    sign = -1.0 if parts[0].startswith("-") else 1.0
    deg, *rest = (abs(float(p)) for p in parts)
    if any(v >= 60 for v in rest):
        return float("nan")
    minutes = rest[0] if rest else 0.0
    seconds = rest[1] if len(rest) > 1 else 0.0
    return sign * (deg + minutes / 60.0 + seconds / 3600.0)


def _parse_pair(text: str) -> tuple[float, float]:
    """A cell holding lon and lat ("114.30,30.60", "114.30 30.60", "114°18′E, 30°36′N")."""
    t = unicodedata.normalize("NFKC", str(text)).strip().strip("()[]（）")
    if not t:
        return float("nan"), float("nan")
    parts = [p for p in _PAIR_SEP.split(t) if p]
    if len(parts) != 2:
        bare = t.split()
        if len(bare) == 2 and all(_NUMBER.match(p) for p in bare):
            parts = bare
        else:
            return float("nan"), float("nan")
    return _parse_coord(parts[0]), _parse_coord(parts[1])


def _looks_like_pairs(values: np.ndarray) -> bool:
    """Whether most non-empty cells of a column hold two coordinates in one cell."""
    texts = [str(v) for v in values if str(v)]
    if not texts:
        return False
    sample = texts[:200]
    hits = sum(all(np.isfinite(v) for v in _parse_pair(t)) for t in sample)
    return 2 * hits > len(sample)


@dataclass(frozen=True)
class _XY:
    """Coordinates as read: numbers (NaN when missing or not a number) and the user's text."""

    x: np.ndarray
    y: np.ndarray
    x_text: np.ndarray
    y_text: np.ndarray
    column: str
    origin: str  # 'geometry' | 'columns' | 'pairs' | 'none'


def _parse_column(texts: np.ndarray) -> np.ndarray:
    """A column of coordinate cells as floats: plain decimals at once, anything else by
    :func:`_parse_coord` (NaN where it is not a coordinate)."""
    as_str = np.asarray(texts, dtype=object).astype(str)
    out = np.array(pd.to_numeric(pd.Series(as_str), errors="coerce"), dtype=np.float64)
    for i in np.flatnonzero(np.isnan(out) & (as_str != "")).tolist():
        out[i] = _parse_coord(as_str[i])
    return out


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
        x = _parse_column(x_text)
        y = _parse_column(y_text)
        return _XY(x, y, x_text, y_text, f"{cols['lon']}/{cols['lat']}", "columns")
    if "lonlat" not in cols:
        for header in raw.frame.columns:
            if str(header) in cols.values():
                continue
            if _looks_like_pairs(raw.frame[header].to_numpy(dtype=object)):
                cols["lonlat"] = str(header)  # a column of "lon,lat" cells whatever its header
                break
    if "lonlat" in cols:
        both = text_of("lonlat")
        pairs = [_parse_pair(str(t)) for t in both]
        x = np.array([p[0] for p in pairs], dtype=np.float64)
        y = np.array([p[1] for p in pairs], dtype=np.float64)
        return _XY(x, y, both, both, cols["lonlat"], "pairs")
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


def _to_wgs84(
    work: _Work,
    xy: _XY,
    x: np.ndarray,
    y: np.ndarray,
    crs_used: str | None,
    region: shapely.Geometry | None,
    has_town: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WGS84 lon/lat (NaN where unusable), repairing swapped rows; a point outside China or
    ``region`` is refused: the row is kept by its township when it names one, else rejected.
    Also returns which rows were refused here."""
    n = len(x)
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    ok = np.isfinite(x) & np.isfinite(y) & ~work.dropped & ~work.rejected
    if crs_used is None or not ok.any():
        return lon, lat, np.zeros(n, dtype=bool)

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
    placed = np.zeros(n, dtype=bool)  # rows whose point was refused (reported here)

    def refuse(i: int, reason: str, fix: str) -> None:
        placed[i] = True
        lon[i] = lat[i] = np.nan
        if has_town[i]:
            work.note(
                i,
                xy.column,
                _short(shown(i)),
                f"{reason}；该设施仅按名称计入所属乡镇（街道）",
                fix,
                "warning",
            )
        else:
            work.note(i, xy.column, _short(shown(i)), reason, fix, "rejected")

    for i in np.flatnonzero(ok & ~china).tolist():
        refuse(i, f"点位 ({lon[i]:.6f}, {lat[i]:.6f}) 位于中国境外", fix)
    ok &= china
    if region is not None and ok.any():
        shapely.prepare(region)
        outside = ok & ~shapely.contains_xy(region, lon, lat)
        if outside.any():
            metric = local_metric_crs(*region.representative_point().coords[0])
            to_m = Transformer.from_crs(4326, metric, always_xy=True)
            region_m = shapely.transform(region, lambda c: np.column_stack(to_m.transform(*c.T)))
            px, py = to_m.transform(lon[outside], lat[outside])
            dist = np.atleast_1d(shapely.distance(shapely.points(px, py), region_m))
            for i, d in zip(np.flatnonzero(outside).tolist(), dist.tolist(), strict=True):
                if d > REGION_TOLERANCE_M:
                    reason = f"点位 ({lon[i]:.6f}, {lat[i]:.6f}) 位于区县边界外 {d:,.0f} 米"
                    refuse(i, reason, "核对坐标或所属区县")
    return lon, lat, placed


def _short(text: str, limit: int = 60) -> str:
    """A cell shown in a message: at most ``limit`` characters."""
    return text if len(text) <= limit else text[:limit] + f"…（共 {len(text)} 个字符）"


def _check_missing_xy(
    work: _Work, xy: _XY, lon: np.ndarray, has_town: np.ndarray, refused: np.ndarray
) -> None:
    """Rows without usable coordinates: kept by township name (warning) or rejected."""
    if xy.origin == "none":
        return  # the whole file is name-only: reported once
    lon_header, lat_header = work.cols.get("lon", "经度"), work.cols.get("lat", "纬度")
    for i in np.flatnonzero(~work.dropped & ~work.rejected & ~refused & ~np.isfinite(lon)).tolist():
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
        elif work.rejected[i]:
            continue  # numbers that map nowhere: already rejected as outside China/the county
        elif xy.origin == "pairs" and not (np.isfinite(xy.x[i]) and np.isfinite(xy.y[i])):
            column, value = xy.column, str(xy.x_text[i])
            reason = f"坐标 {_short(value)!r} 不是“经度,纬度”形式的两个数"
        elif bad:
            column = "/".join(h for h, _ in bad)
            value = ", ".join(t for _, t in bad)
            reason = f"坐标 {_short(value)!r} 不是数字"
        elif np.isfinite(xy.x[i]) and np.isfinite(xy.y[i]):
            column, value = xy.column, f"{xy.x_text[i]}, {xy.y_text[i]}"
            reason = f"坐标 ({_short(value)}) 既不像经纬度也不像投影坐标"
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
