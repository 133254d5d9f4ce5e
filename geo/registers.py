"""Read a county's facility register (Excel, CSV, GeoJSON, Shapefile, GeoPackage) and validate it.

A register is a list of facilities of one layer (养老服务中心, 社工站, 骨灰安放设施,
未成年人保护工作站) or of several, told apart by a 类型 column. Coordinates come from web maps
(GCJ-02, BD-09), GPS (WGS84), CGCS2000 or its Gauss–Krüger projections; some rows are garbage.
:func:`read_register` keeps the good rows and reports every problem row by row, the way the user
sees the file (Excel row numbers), with the value, the reason and the fix.

Files are parsed, never executed: CSV text, XLSX via openpyxl (values only), GeoJSON via
:mod:`json`, Shapefile/GeoPackage via pyogrio.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo.crs import (
    guess_xy_crs,
    in_china,
    is_geographic_crs,
    local_metric_crs,
    normalize_crs,
    points_to_wgs84,
    swapped_xy,
)
from geo.names import match_townships
from servicecircle._errors import DataMissingError, InputError
from servicecircle.layers import LAYER_KEYWORDS, LAYERS

__all__ = ["REPORT_COLUMNS", "RegisterImport", "read_register"]

#: columns of :attr:`RegisterImport.report`
REPORT_COLUMNS: Final = ("file", "row", "column", "value", "reason", "fix", "action")
#: columns of :attr:`RegisterImport.facilities` (plus ``geometry``)
FACILITY_COLUMNS: Final = (
    "facility_id",
    "name",
    "layer",
    "kind",
    "township_declared",
    "township_code",
    "address",
    "source_file",
    "source_row",
)
#: a point this far outside ``region`` is still accepted (boundaries are simplified)
REGION_TOLERANCE_M: Final = 200.0
#: the fix for a row whose layer cannot be told
LAYER_FIX: Final = "补填类型列，或导入时指定设施类型（命令行用 --layer）"

FORMATS: Final[dict[str, str]] = {
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".geojson": "geojson",
    ".json": "geojson",
    ".shp": "shapefile",
    ".zip": "shapefile",
    ".gpkg": "gpkg",
}

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
}
#: second pass for headers no exact alias claimed: (must contain one of, must contain none of)
_CONTAINS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "lon": (("经度", "lng", "longitude"), ()),
    "lat": (("纬度", "latitude"), ()),
    "code": (("区划代码", "区划编码"), ()),
    "township": (("乡镇", "街道"), ("地址", "代码", "编码")),
    "name": (("名称",), ("乡镇", "街道", "区划", "社区", "村", "县", "类型")),
    "kind": (("类型", "类别"), ()),
    "address": (("地址",), ()),
}
#: words in a coordinate header that say which system it is in
_CRS_HINTS: Final = (
    ("bd09", re.compile(r"百度|baidu|bd-?09|^bd_|_bd$")),
    ("gcj02", re.compile(r"高德|腾讯|火星|gcj|amap")),
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
}

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DMS = re.compile(
    r"^(\d+(?:\.\d+)?)\s*[°度]\s*(?:(\d+(?:\.\d+)?)\s*['′分])?\s*"
    r"(?:(\d+(?:\.\d+)?)\s*(?:\"|″|''|秒))?$"
)
_HEMI = re.compile(r"^(东经|北纬|[NEne])|([NEne]|°)$")


@dataclass(frozen=True)
class RegisterImport:
    """The result of reading one register.

    Attributes
    ----------
    facilities
        The kept rows in EPSG:4326: ``facility_id`` (12 hex digits, stable for file + row +
        name), ``name``, ``layer`` (a key of :data:`servicecircle.layers.LAYERS`), ``kind`` (the
        raw 类型 text or ''), ``township_declared``, ``township_code`` (9 digits or ''),
        ``address``, ``source_file``, ``source_row``, ``geometry`` (Point, or None for a facility
        known only by its township).
    report
        One row per problem: ``file, row, column, value, reason, fix, action`` with action
        'rejected' (row not imported), 'repaired' (imported after a fix) or 'warning'.
    source
        What was read and how: file, sha256, format, encoding, sheet, columns (field -> header),
        crs, crs_reason, rows_read, rows_kept, rows_rejected, rows_repaired, duplicates_dropped.
    """

    facilities: gpd.GeoDataFrame
    report: pd.DataFrame
    source: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Raw:
    """A parsed file before validation: text cells with the user's headers and row numbers."""

    frame: pd.DataFrame
    rows: np.ndarray
    fmt: str
    geometry: gpd.GeoSeries | None = None
    file_crs: CRS | None = None
    encoding: str | None = None
    sheet: str | None = None


# --------------------------------------------------------------------------------------------
# small helpers


def _text(value: object) -> str:
    """A cell as text: '' for empty, integers without '.0', everything else str() stripped."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


def _norm_header(h: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(h))).lower()


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


def _layer_from_text(text: str) -> tuple[str | None, list[str]]:
    """The layer a 类型 text or file name names: (layer or None, all layers that matched)."""
    low = unicodedata.normalize("NFKC", text).lower()
    hits = [key for key, words in LAYER_KEYWORDS.items() if any(w in low for w in words)]
    if not hits:
        for key, label in LAYERS.items():
            if label in text:
                hits.append(key)
    return (hits[0] if len(hits) == 1 else None), hits


def _check_layer(layer: str) -> str:
    if layer in LAYERS:
        return layer
    for key, label in LAYERS.items():
        if layer.strip() == label:
            return key
    raise InputError(
        f"layer={layer!r} 不是设施类型；请改用以下之一："
        + "、".join(f"{k}（{v}）" for k, v in LAYERS.items())
    )


def _facility_id(file_name: str, row: int, name: str) -> str:
    return hashlib.sha1(f"{file_name}|{row}|{name}".encode()).hexdigest()[:12]


# --------------------------------------------------------------------------------------------
# reading bytes and formats


def _source_bytes(
    source: str | Path | tuple[bytes, str], source_name: str | None
) -> tuple[bytes, str, Path | None]:
    if isinstance(source, tuple):
        if len(source) != 2 or not isinstance(source[0], bytes | bytearray):
            raise InputError(
                "source 须为文件路径或 (bytes, 文件名) 二元组，"
                "例如 Streamlit 上传文件的 (file.getvalue(), file.name)"
            )
        data, name = bytes(source[0]), str(source[1])
        return data, source_name or Path(name).name, None
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise DataMissingError(f"登记表文件 {str(path)!r} 不存在；请检查路径，或重新上传该文件")
        return path.read_bytes(), source_name or path.name, path
    raise InputError(
        f"source 须为文件路径或 (bytes, 文件名) 二元组，实际为 {type(source).__name__}"
    )


def _format_of(name: str, data: bytes) -> str:
    suffix = Path(name).suffix.lower()
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or suffix == ".xls":
        raise InputError(
            f"{name} 是旧版 Excel 97-2003 工作簿（.xls），无法读取；请在 Excel 或 WPS 中打开，"
            "选择“另存为” .xlsx 格式，再导入该 .xlsx 文件"
        )
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise InputError(
            f"{name}：不能读取扩展名为 {suffix or '（无扩展名）'!r} 的文件；请将登记表另存为 .xlsx、"
            ".csv、.geojson、.gpkg，或打包成 .zip 的 Shapefile（含 .shp/.shx/.dbf/.prj）"
        )
    if fmt == "xlsx" and not data.startswith(b"PK"):
        raise InputError(
            f"{name} 扩展名为 .xlsx，但并不是 Excel 工作簿；请在 Excel 或 WPS 中打开，"
            "重新另存为 .xlsx（或“CSV UTF-8”）"
        )
    return fmt


def _decode(data: bytes, name: str, encoding: str | None) -> tuple[str, str]:
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError(
                f"{name} 无法按编码 {encoding!r} 读取（{exc}）；请将 encoding= 留空以自动识别，"
                "或填写文件的实际编码（'utf-8' 或 'gb18030'）"
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise InputError(
        f"{name} 既不是 UTF-8 也不是 GB18030/GBK 编码的文本；请在 Excel 中另存为“CSV UTF-8”，"
        "或用 encoding= 指定文件的编码"
    )


def _header_score(cells: Sequence[object], extra: set[str]) -> int:
    known = {_norm_header(a) for aliases in COLUMN_ALIASES.values() for a in aliases} | extra
    return sum(_norm_header(c) in known for c in cells if _text(c))


def _table_from_records(
    records: Sequence[Sequence[object]],
    *,
    name: str,
    extra_headers: set[str],
    header_row: int | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Header detection (the first of the first 10 non-empty rows naming >= 2 known columns,
    else the first non-empty row; title rows above it are skipped) and 1-based row numbers."""
    nonempty = [i for i, r in enumerate(records) if any(_text(c) for c in r)]
    if not nonempty:
        raise InputError(f"{name} 没有数据行；请检查是否选对了文件或工作表")
    header_at = nonempty[0] if header_row is None else header_row
    for i in nonempty[:10] if header_row is None else ():
        if _header_score(records[i], extra_headers) >= 2:
            header_at = i
            break
    raw_header = [_text(c) for c in records[header_at]]
    width = max(
        [len(raw_header)]
        + [max((j + 1 for j, c in enumerate(records[i]) if _text(c)), default=0) for i in nonempty]
    )
    headers: list[str] = []
    for j in range(width):
        h = raw_header[j] if j < len(raw_header) and raw_header[j] else f"列{j + 1}"
        base, k = h, 2
        while h in headers:
            h, k = f"{base}_{k}", k + 1
        headers.append(h)
    cells: list[list[str]] = []
    rows: list[int] = []
    for i in nonempty:
        if i <= header_at:
            continue
        rec = [_text(c) for c in records[i]] + [""] * width
        cells.append(rec[:width])
        rows.append(i + 1)
    frame = pd.DataFrame(cells, columns=headers, dtype=object)
    return frame, np.asarray(rows, dtype=np.int64)


def _read_csv(data: bytes, name: str, encoding: str | None, extra: set[str]) -> _Raw:
    text, used = _decode(data, name, encoding)
    sample = text[:20000]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        delimiter = ","
    records = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    frame, rows = _table_from_records(records, name=name, extra_headers=extra)
    return _Raw(frame=frame, rows=rows, fmt="csv", encoding=used)


def _read_xlsx(data: bytes, name: str, sheet: str | int | None, extra: set[str]) -> _Raw:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(
            f"{name} 无法作为 .xlsx 工作簿打开（{exc}）；请在 Excel 或 WPS 中打开，重新另存为 .xlsx"
        ) from None
    names = book.sheetnames
    if sheet is None:
        chosen = names[0]
        for sname in names:
            top = list(book[sname].iter_rows(min_row=1, max_row=10, values_only=True))
            if any(_header_score(r, extra) >= 2 for r in top):
                chosen = sname
                break
    elif isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise InputError(
                f"{name} 共有 {len(names)} 个工作表（{'、'.join(names)}）；sheet={sheet} 超出范围，"
                "请改为 0 到工作表数减 1 之间的序号（0 表示第一个工作表）"
            )
        chosen = names[sheet]
    elif str(sheet) in names:
        chosen = str(sheet)
    else:
        raise InputError(
            f"{name} 中没有工作表 {sheet!r}；现有工作表为 {'、'.join(names)}；请指定其中之一"
        )
    records = [list(r) for r in book[chosen].iter_rows(min_row=1, values_only=True)]
    book.close()
    frame, rows = _table_from_records(records, name=f"{name} [{chosen}]", extra_headers=extra)
    return _Raw(frame=frame, rows=rows, fmt="xlsx", sheet=chosen)


def _read_geojson(data: bytes, name: str, encoding: str | None, extra: set[str]) -> _Raw:
    text, used = _decode(data, name, encoding)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）；"
            "请重新导出为 GeoJSON"
        ) from None
    if isinstance(doc, list) and all(isinstance(r, dict) for r in doc):
        # a plain JSON list of records: a table
        headers = list(dict.fromkeys(k for r in doc for k in r))
        records: list[Sequence[object]] = [headers] + [[r.get(h) for h in headers] for r in doc]
        frame, rows = _table_from_records(records, name=name, extra_headers=extra, header_row=0)
        return _Raw(frame=frame, rows=rows - 1, fmt="json", encoding=used)
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        features = [doc]
    elif isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        features = doc.get("features") or []
    else:
        raise InputError(
            f"{name} 是 JSON 文件，但既不是 GeoJSON 要素集（FeatureCollection）也不是记录列表；"
            "请重新导出为 GeoJSON"
        )
    file_crs = CRS.from_epsg(4326)
    crs_member = doc.get("crs") if isinstance(doc, dict) else None
    if isinstance(crs_member, dict):
        crs_name = (crs_member.get("properties") or {}).get("name")
        if crs_name:
            try:
                file_crs = CRS.from_user_input(crs_name)
            except Exception:  # pyproj raises several types for unknown names
                raise InputError(
                    f"{name} 声明的坐标系 {crs_name!r} 无法识别；"
                    "请删除文件中的 'crs' 项，或用 crs= 指定 EPSG 代码"
                ) from None
    props = [f.get("properties") or {} if isinstance(f, dict) else {} for f in features]
    headers = list(dict.fromkeys(k for p in props for k in p))
    frame = pd.DataFrame(
        [[_text(p.get(h)) for h in headers] for p in props], columns=headers, dtype=object
    )
    geoms: list[shapely.Geometry | None] = []
    for f in features:
        g = f.get("geometry") if isinstance(f, dict) else None
        try:
            geoms.append(shapely.from_geojson(json.dumps(g)) if g else None)
        except shapely.errors.GEOSException:
            geoms.append(None)
    geometry = gpd.GeoSeries(geoms, index=frame.index)
    rows = np.arange(1, len(features) + 1, dtype=np.int64)
    return _Raw(frame, rows, "geojson", geometry=geometry, file_crs=file_crs, encoding=used)


def _dbf_encoding(dbf: bytes) -> str | None:
    """Encoding of a .dbf without a .cpg: None for ASCII, else UTF-8 if valid, else GB18030."""
    if len(dbf) < 32:
        return None
    header_len = int.from_bytes(dbf[8:10], "little")
    body = dbf[header_len:]
    names = dbf[32:header_len]
    sample = names + body
    if all(b < 0x80 for b in sample):
        return None
    try:
        sample.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        return "GB18030"


def _sibling(path: Path, suffix: str) -> Path | None:
    for s in (suffix, suffix.upper()):
        candidate = path.with_suffix(s)
        if candidate.is_file():
            return candidate
    return None


def _read_vector(
    data: bytes, name: str, path: Path | None, fmt: str, encoding: str | None, layer_name: Any
) -> _Raw:
    import pyogrio

    target: Any = io.BytesIO(data)
    used = encoding
    cpg_text = ""
    suffix = Path(name).suffix.lower()
    if fmt == "shapefile":
        if suffix == ".shp" and path is None:
            raise InputError(
                f"{name}：Shapefile 由多个文件组成；请将 .shp、.shx、.dbf、.prj 和 .cpg "
                "打包成一个 .zip 后上传"
            )
        if suffix == ".zip":
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    members = zf.namelist()
                    shps = [m for m in members if m.lower().endswith(".shp")]
                    if not shps:
                        raise InputError(
                            f"{name} 中没有 .shp 文件（{'、'.join(members[:10])}）；请将登记表的 "
                            ".shp、.shx、.dbf、.prj 和 .cpg 一起打包"
                        )
                    if len(shps) > 1 and layer_name is None:
                        raise InputError(
                            f"{name} 中有多个 Shapefile（{'、'.join(shps)}）；请用 sheet= "
                            "指定要读取的那一个（文件名，不含 .shp）"
                        )
                    picked = [m for m in shps if layer_name in (None, Path(m).stem, m)]
                    if not picked:
                        raise InputError(
                            f"{name} 中没有 Shapefile {layer_name!r}；现有 "
                            f"{'、'.join(shps)}；请用 sheet= 指定其中之一"
                        )
                    stem = picked[0][: -len(".shp")]
                    cpg = [m for m in members if m.lower() == f"{stem}.cpg".lower()]
                    dbf = [m for m in members if m.lower() == f"{stem}.dbf".lower()]
                    if cpg:
                        cpg_text = zf.read(cpg[0]).decode("ascii", "replace").strip()
                    elif dbf and used is None:
                        used = _dbf_encoding(zf.read(dbf[0]))
                    layer_name = Path(stem).name
            except zipfile.BadZipFile:
                raise InputError(f"{name} 不是有效的 .zip 压缩包；请重新压缩后上传") from None
        elif path is not None:
            target = path
            cpg_path = _sibling(path, ".cpg")
            dbf_path = _sibling(path, ".dbf")
            if cpg_path is not None:
                cpg_text = cpg_path.read_text("ascii", "replace").strip()
            elif used is None and dbf_path is not None:
                used = _dbf_encoding(dbf_path.read_bytes())
    elif fmt == "gpkg":
        layers = pyogrio.list_layers(io.BytesIO(data) if path is None else path)
        if layer_name is None and len(layers) > 1:
            raise InputError(
                f"{name} 中有多个图层（{'、'.join(str(n) for n, _ in layers)}）；"
                "请用 sheet= 指定要读取的图层"
            )
        if layer_name is None and len(layers) == 1:
            layer_name = str(layers[0][0])
        if path is not None:
            target = path
    try:
        gdf = pyogrio.read_dataframe(target, layer=layer_name, encoding=used)
    except pyogrio.errors.DataSourceError as exc:
        raise InputError(f"{name} 无法读取（{exc}）；请重新导出登记表") from None
    except pyogrio.errors.DataLayerError as exc:
        raise InputError(f"{name}：{exc}；请用 sheet= 指定已有的图层名") from None
    frame = pd.DataFrame(
        {c: [_text(v) for v in gdf[c]] for c in gdf.columns if c != gdf.geometry.name},
        index=pd.RangeIndex(len(gdf)),
        dtype=object,
    )
    geometry = gpd.GeoSeries(list(gdf.geometry.array), index=frame.index)
    rows = np.arange(1, len(gdf) + 1, dtype=np.int64)
    return _Raw(
        frame,
        rows,
        fmt,
        geometry=geometry,
        file_crs=gdf.crs,
        encoding=used or (f"{cpg_text} (.cpg)" if cpg_text else None),
        sheet=str(layer_name) if layer_name is not None else None,
    )


# --------------------------------------------------------------------------------------------
# columns


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
    for fld in ("lon", "lat"):
        header = cols.get(fld)
        if header is None:
            continue
        n = _norm_header(header)
        for crs_name, pattern in _CRS_HINTS:
            if pattern.search(n):
                return crs_name, f"列名 {header!r} 写明了坐标系"
    return None, ""


# --------------------------------------------------------------------------------------------
# row checks (each adds report rows and marks rows rejected or dropped)


@dataclass
class _Work:
    """Mutable bookkeeping of one import: which rows are out and why (private to this module)."""

    file_name: str
    rows: np.ndarray
    cols: dict[str, str]
    rejected: np.ndarray
    dropped: np.ndarray
    notes: list[dict[str, Any]] = field(default_factory=list)

    def note(self, i: int, column: str, value: str, reason: str, fix: str, action: str) -> None:
        """Add a report row for data row ``i`` (-1: the file as a whole, reported on row 1)."""
        self.notes.append(
            {
                "file": self.file_name,
                "row": int(self.rows[i]) if i >= 0 else 1,
                "column": column,
                "value": value,
                "reason": reason,
                "fix": fix,
                "action": action,
            }
        )
        if action == "rejected":
            self.rejected[i] = True


@dataclass(frozen=True)
class _XY:
    """Coordinates as read: numbers (NaN when missing or not a number) and the user's text."""

    x: np.ndarray
    y: np.ndarray
    x_text: np.ndarray
    y_text: np.ndarray
    column: str
    origin: str  # 'geometry' | 'columns' | 'none'


def _drop_duplicates(work: _Work, raw: _Raw, names: np.ndarray) -> None:
    frame = raw.frame
    keys = (
        frame.astype(str).agg("\x1f".join, axis=1).tolist()
        if len(frame.columns)
        else [""] * len(frame)
    )
    if raw.geometry is not None:
        wkts = [g.wkt if g is not None else "" for g in raw.geometry]
        keys = [k + "\x1f" + w for k, w in zip(keys, wkts, strict=True)]
    first_of: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k not in first_of:
            first_of[k] = i
            continue
        work.dropped[i] = True
        work.note(
            i,
            work.cols["name"],
            str(names[i]),
            f"与第 {int(work.rows[first_of[k]])} 行完全重复，已跳过",
            "删除重复的行",
            "warning",
        )


def _check_names(work: _Work, names: np.ndarray) -> None:
    for i in np.flatnonzero(~work.dropped & (names == "")).tolist():
        work.note(i, work.cols["name"], "", "机构名称为空", "补填名称后重新导入", "rejected")


def _assign_layers(work: _Work, kinds: np.ndarray, fixed_layer: str | None) -> np.ndarray:
    layers = np.full(len(kinds), "", dtype=object)
    if fixed_layer is not None:
        layers[:] = fixed_layer
        return layers
    file_layer, _ = _layer_from_text(Path(work.file_name).stem)
    for i in np.flatnonzero(~work.dropped).tolist():
        kind = str(kinds[i])
        found, hits = _layer_from_text(kind) if kind else (None, [])
        if found is None and not hits:
            found = file_layer
        if found is not None:
            layers[i] = found
            continue
        if hits:
            reason = f"类型 {kind!r} 可对应多种设施（{'、'.join(LAYERS[h] for h in hits)}）"
        elif kind:
            reason = f"类型 {kind!r} 不属于任何一种设施"
        else:
            reason = "无法从类型列或文件名判断设施类型"
        work.note(i, work.cols.get("kind", "类型"), kind, reason, LAYER_FIX, "rejected")
    return layers


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


def _match_declared(
    work: _Work,
    towns: np.ndarray,
    codes: np.ndarray,
    official: pd.DataFrame | None,
    county_code: str | None,
) -> np.ndarray:
    """9-digit township codes of the kept rows' declared townships ('' when unknown)."""
    township_codes = np.full(len(towns), "", dtype=object)
    declared = np.where(towns != "", towns, codes)
    live = ~work.rejected & ~work.dropped
    idx = np.flatnonzero(live & (declared != "")).tolist()
    if official is None or not idx:
        return township_codes
    matched = match_townships(
        pd.Series(declared[idx], dtype=object), official, county_code=county_code
    )
    in_county = (
        official["county_code"].astype(str) == str(county_code)
        if county_code is not None and "county_code" in official.columns
        else pd.Series(True, index=official.index)
    )
    county_names = official.loc[in_county, "name"].astype(str).tolist()
    where = f"区县 {county_code} 的" if county_code else ""
    for pos, i in enumerate(idx):
        row = matched.iloc[pos]
        if row["match"] not in ("none", "ambiguous"):
            township_codes[i] = row["township_code"]
            continue
        column = work.cols.get("township", "所属乡镇") if towns[i] else work.cols["code"]
        if row["match"] == "ambiguous":
            reason = f"乡镇（街道）{declared[i]!r} 可对应多个单位：{row['candidates']}"
            fix = "用 county_code= 指定区县，或改填 9 位区划代码"
        else:
            reason = f"乡镇（街道）{declared[i]!r} 不在{where}官方乡镇名录中"
            close = difflib.get_close_matches(str(declared[i]), county_names, n=3)
            fix = (
                f"改为官方名称（最接近的是：{'、'.join(close)}）"
                if close
                else "改为官方乡镇（街道）名称或 9 位区划代码"
            )
        work.note(i, column, str(declared[i]), reason, fix, "warning")
    return township_codes


# --------------------------------------------------------------------------------------------
# the reader


def read_register(
    source: str | Path | tuple[bytes, str],
    *,
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
    crs: str | int = "auto",
    encoding: str | None = None,
    sheet: str | int | None = None,
    region: shapely.Geometry | None = None,
    official: pd.DataFrame | None = None,
    county_code: str | None = None,
    source_name: str | None = None,
) -> RegisterImport:
    """Read and validate one facility register.

    Parameters
    ----------
    source
        A path, or ``(bytes, filename)`` as from a Streamlit upload. The format follows the file
        name's suffix: .csv/.txt (UTF-8 with or without BOM, else GB18030/GBK), .xlsx,
        .geojson/.json, .shp (a path) or .zip (a zipped shapefile; .cpg honoured, GBK tried when
        it is missing), .gpkg. Old .xls workbooks are refused with a "save as .xlsx" message.
    layer
        The layer of every row (a key of :data:`~servicecircle.layers.LAYERS` or its Chinese
        label). Otherwise each row's 类型 text, then the file name, is matched against
        :data:`~servicecircle.layers.LAYER_KEYWORDS`; rows still unknown are rejected.
    columns
        Field -> header overrides for the automatic column detection, fields being ``name``,
        ``kind`` (类型), ``lon``, ``lat``, ``township``, ``code``, ``address``;
        e.g. ``{"lon": "X坐标", "lat": "Y坐标"}``.
    crs
        The coordinates' system: 'auto' (a coordinate header naming 百度/高德/WGS84 decides, else
        :func:`geo.crs.guess_xy_crs`; vector files use their own CRS), 'wgs84', 'cgcs2000',
        'gcj02', 'bd09' or an EPSG code. For a vector file, 'gcj02'/'bd09' says its geometry is
        GCJ-02/BD-09 although the file claims WGS84 (a common mislabel).
    encoding
        Text encoding of a CSV/GeoJSON or a shapefile's .dbf; detected when None.
    sheet
        The worksheet (name or 0-based index) of a workbook, or the layer of a GeoPackage/zip;
        by default the first sheet whose top rows name known columns.
    region
        The county (a shapely polygon in WGS84): points more than 200 m outside are rejected.
    official
        The official township list (``code``, ``name``, ``county_code``, ``kind``) to fill
        ``township_code`` from the declared township name or code.
    county_code
        Restrict ``official`` to this county (6 digits).
    source_name
        The file name to report instead of the path's (e.g. the original upload name).

    Returns
    -------
    RegisterImport
        Facilities (EPSG:4326), the problem report and a description of the source.

    Raises
    ------
    InputError
        When the file as a whole cannot be read: unknown or .xls format, no name column, no
        coordinate or township columns, bad ``columns``/``layer``/``crs``/``sheet``.
    DataMissingError
        When the path does not exist.
    """
    data, file_name, path = _source_bytes(source, source_name)
    fmt = _format_of(file_name, data)
    fixed_layer = _check_layer(layer) if layer is not None else None
    crs_arg = "auto" if str(crs).strip().lower() == "auto" else normalize_crs(crs)
    if region is not None and not isinstance(region, shapely.Geometry):
        raise InputError(
            f"region 须为 WGS84 经纬度下的 shapely (Multi)Polygon，实际为 {type(region).__name__}"
        )
    extra = {_norm_header(h) for h in (columns or {}).values()}

    if fmt == "csv":
        raw = _read_csv(data, file_name, encoding, extra)
    elif fmt == "xlsx":
        raw = _read_xlsx(data, file_name, sheet, extra)
    elif fmt == "geojson":
        raw = _read_geojson(data, file_name, encoding, extra)
    else:
        raw = _read_vector(data, file_name, path, fmt, encoding, sheet)

    frame, rows = raw.frame, raw.rows
    headers = [str(c) for c in frame.columns]
    cols = _detect_columns(headers, columns, file_name)
    if "name" not in cols:
        raise InputError(
            f"{file_name} 没有机构名称列（现有列：{'、'.join(headers)}）；请将该列表头改为“名称”，"
            "或用 columns={'name': '<表头>'} 指定"
        )
    n = len(frame)

    def text_of(fld: str) -> np.ndarray:
        if fld not in cols:
            return np.full(n, "", dtype=object)
        return frame[cols[fld]].map(_text).to_numpy(dtype=object)

    names, kinds, towns, codes, addresses = (
        text_of(f) for f in ("name", "kind", "township", "code", "address")
    )
    has_town = (towns != "") | (codes != "")
    work = _Work(
        file_name=file_name,
        rows=rows,
        cols=cols,
        rejected=np.zeros(n, dtype=bool),
        dropped=np.zeros(n, dtype=bool),
    )
    _drop_duplicates(work, raw, names)
    _check_names(work, names)
    layers = _assign_layers(work, kinds, fixed_layer)
    xy = _read_xy(work, raw, text_of)
    crs_used, crs_reason, x, y = _resolve_crs(work, raw, xy, crs_arg, crs)
    lon, lat = _to_wgs84(work, xy, x, y, crs_used, region)
    _check_missing_xy(work, xy, lon, has_town)
    township_codes = _match_declared(work, towns, codes, official, county_code)

    keep = np.flatnonzero(~work.rejected & ~work.dropped).tolist()
    geometry = [
        shapely.Point(lon[i], lat[i]) if np.isfinite(lon[i]) and np.isfinite(lat[i]) else None
        for i in keep
    ]
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": [_facility_id(file_name, int(rows[i]), str(names[i])) for i in keep],
            "name": [str(names[i]) for i in keep],
            "layer": [str(layers[i]) for i in keep],
            "kind": [str(kinds[i]) for i in keep],
            "township_declared": [str(towns[i]) for i in keep],
            "township_code": [str(township_codes[i]) for i in keep],
            "address": [str(addresses[i]) for i in keep],
            "source_file": [file_name] * len(keep),
            "source_row": np.asarray([int(rows[i]) for i in keep], dtype=np.int64),
        },
        geometry=gpd.GeoSeries(geometry, crs="EPSG:4326"),
        crs="EPSG:4326",
    )
    report = pd.DataFrame(work.notes, columns=list(REPORT_COLUMNS))
    report["row"] = report["row"].astype(np.int64)
    report = report.sort_values("row", kind="stable").reset_index(drop=True)
    kept_rows = {int(rows[i]) for i in keep}
    repaired_rows = {r["row"] for r in work.notes if r["action"] == "repaired"}
    described: dict[str, Any] = {
        "file": file_name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "format": raw.fmt,
        "encoding": raw.encoding,
        "sheet": raw.sheet,
        "columns": dict(cols),
        "crs": crs_used,
        "crs_reason": crs_reason,
        "rows_read": int(n),
        "rows_kept": len(keep),
        "rows_rejected": int(work.rejected.sum()),
        "rows_repaired": len(repaired_rows & kept_rows),
        "duplicates_dropped": int(work.dropped.sum()),
    }
    return RegisterImport(facilities=facilities, report=report, source=described)
