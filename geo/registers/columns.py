"""Column detection: which header holds the name, township, coordinates, type, id (Chinese and English aliases), and CRS hints in headers."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Final

from geo._errors import InputError

#: field -> header aliases matched exactly (after NFKC, lower-casing and removing spaces)
COLUMN_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "name": ("名称", "机构名称", "站点名称", "设施名称", "单位名称", "name"),
    "kind": ("类型", "设施类型", "机构类型", "站点类型", "类别", "type", "kind"),
    "lon": ("经度", "lng", "lon", "long", "longitude", "x"),
    "lat": ("纬度", "lat", "latitude", "y"),
    "township": (
        "所属乡镇",
        "所属街道",
        "乡镇(街道)",
        "所属乡镇(街道)",
        "乡镇街道",
        "乡镇",
        "街道",
        "township",
        "town",
    ),
    "code": ("行政区划代码", "区划代码", "区划编码", "乡镇代码", "街道代码", "code"),
    "address": ("地址", "详细地址", "address", "addr"),
    "ref": ("编号", "机构编号", "设施编号", "站点编号", "统一编号", "id", "ref"),
    "lonlat": (
        "坐标",
        "经纬度",
        "经纬度坐标",
        "坐标(经度,纬度)",
        "经纬度(经度,纬度)",
        "lnglat",
        "lonlat",
        "location",
        "coordinates",
    ),
}


#: second pass for headers no exact alias claimed: (must contain one of, must contain none of)
_CONTAINS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "lon": (("经度", "lng", "longitude", "_lon", "lon_"), ()),
    "lat": (("纬度", "latitude", "_lat", "lat_"), ("经纬",)),
    "code": (("区划代码", "区划编码"), ()),
    "township": (("乡镇", "街道"), ("地址", "代码", "编码")),
    "name": (("名称",), ("乡镇", "街道", "区划", "社区", "村", "县", "类型")),
    "kind": (("类型", "类别"), ()),
    "address": (("地址",), ()),
    "ref": (("编号",), ("区划", "代码")),
    "lonlat": (("经纬度", "坐标"), ("x", "y")),
}


#: words in a coordinate header that say which system it is in
_CRS_HINTS: Final = (
    ("bd09", re.compile(r"百度|baidu|bd-?09|^bd_?(lng|lon|lat)|_bd$")),
    ("gcj02", re.compile(r"高德|腾讯|火星|gcj|amap|gaode|^gd_?(lng|lon|lat)")),
    ("cgcs2000", re.compile(r"cgcs|2000|天地图")),
    ("wgs84", re.compile(r"wgs|gps")),
)


_FIELD_LABELS: Final = {
    "name": "名称",
    "kind": "类型",
    "lon": "经度",
    "lat": "纬度",
    "township": "所属乡镇",
    "code": "行政区划代码",
    "address": "地址",
    "ref": "编号",
    "lonlat": "经纬度（一列）",
}


def _norm_header(h: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(h))).lower()


def _detect_columns(
    headers: Sequence[str], overrides: Mapping[str, str] | None, name: str
) -> dict[str, str]:
    found: dict[str, str] = {}
    if overrides:
        for key, header in overrides.items():
            fld = "kind" if key == "type" else key
            if fld not in COLUMN_ALIASES:
                raise InputError(
                    f"columns= 中的键 {key!r} 无法识别；请改用 {'、'.join(COLUMN_ALIASES)} 之一"
                )
            if header not in headers:
                raise InputError(
                    f"columns={{{key!r}: {header!r}}}：{name} 中没有列 {header!r}；"
                    f"请改用现有列之一：{'、'.join(headers)}"
                )
            found[fld] = header
    claimed = set(found.values())
    normed = {h: _norm_header(h) for h in headers}
    for fld, aliases in COLUMN_ALIASES.items():
        if fld in found:
            continue
        for alias in aliases:
            hit = next(
                (h for h in headers if h not in claimed and normed[h] == _norm_header(alias)),
                None,
            )
            if hit is not None:
                found[fld] = hit
                claimed.add(hit)
                break
    for fld, (must, must_not) in _CONTAINS.items():
        if fld in found:
            continue
        for h in headers:
            n = normed[h]
            if h in claimed or not any(w in n for w in must) or any(w in n for w in must_not):
                continue
            found[fld] = h
            claimed.add(h)
            break
    return found


def _crs_from_headers(cols: Mapping[str, str]) -> tuple[str | None, str]:
    for fld in ("lon", "lat", "lonlat"):
        header = cols.get(fld)
        if header is None:
            continue
        n = _norm_header(header)
        for crs_name, pattern in _CRS_HINTS:
            if pattern.search(n):
                return crs_name, f"列名 {header!r} 写明了坐标系"
    return None, ""
