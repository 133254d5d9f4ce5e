"""Register file formats: CSV/TXT (encoding detection), Excel, GeoJSON, Shapefile/GeoPackage, read into one raw table."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo._errors import DataMissingError, InputError
from geo.registers.header import _table_from_records
from geo.registers.model import _Raw, _text

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


def _read_csv(
    data: bytes, name: str, encoding: str | None, extra: set[str], head: int | None = None
) -> _Raw:
    """A CSV/TXT register (``head``: only its first lines, to check the header)."""
    text, used = _decode(data, name, encoding)
    sample = text[:20000]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        delimiter = ","
    limit = csv.field_size_limit()
    try:  # a cell may be as long as the file (the module's default stops at 131,072)
        csv.field_size_limit(max(limit, len(text) + 1))
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        records = list(reader if head is None else itertools.islice(reader, head))
    except csv.Error as exc:
        raise InputError(
            f"{name} 不是可读的 CSV（{exc}）；请在 Excel 或 WPS 中打开，另存为“CSV UTF-8”或 .xlsx"
        ) from None
    finally:
        csv.field_size_limit(limit)
    frame, rows, header = _table_from_records(records, name=name, extra_headers=extra)
    return _Raw(frame=frame, rows=rows, fmt="csv", encoding=used, header=header)


def _read_xlsx(
    data: bytes, name: str, sheet: str | int | None, extra: set[str], head: int | None = None
) -> list[_Raw]:
    """The chosen sheet, or (``sheet`` None) every sheet with at least one non-empty row."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise InputError(
            f"{name} 无法作为 .xlsx 工作簿打开（{exc}）；请在 Excel 或 WPS 中打开，重新另存为 .xlsx"
        ) from None
    names = book.sheetnames
    if sheet is None:
        chosen = list(names)
    elif isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise InputError(
                f"{name} 共有 {len(names)} 个工作表（{'、'.join(names)}）；sheet={sheet} 超出范围，"
                "请改为 0 到工作表数减 1 之间的序号（0 表示第一个工作表）"
            )
        chosen = [names[sheet]]
    elif str(sheet) in names:
        chosen = [str(sheet)]
    else:
        raise InputError(
            f"{name} 中没有工作表 {sheet!r}；现有工作表为 {'、'.join(names)}；请指定其中之一"
        )
    out: list[_Raw] = []
    for sname in chosen:
        rows = book[sname].iter_rows(min_row=1, max_row=head, values_only=True)
        records = [list(r) for r in rows]
        if sheet is None and not any(_text(c) for r in records for c in r):
            continue  # an empty sheet holds no rows to lose
        frame, rows, header = _table_from_records(
            records, name=f"{name} [{sname}]", extra_headers=extra
        )
        out.append(_Raw(frame=frame, rows=rows, fmt="xlsx", sheet=sname, header=header))
    book.close()
    if not out:
        raise InputError(f"{name} 的所有工作表都是空的；请检查是否选对了文件")
    return out


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
        frame, rows, _ = _table_from_records(records, name=name, extra_headers=extra, header_row=0)
        return _Raw(frame=frame, rows=rows - 1, fmt="json", encoding=used, header="记录的键")
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


#: GDAL's messages (as pyogrio passes them on) in the user's words
_GDAL_MESSAGES: Final = (
    (
        "not recognized as being in a supported file format",
        "不是可识别的 GIS 文件格式（文件可能已损坏）",
    ),
    ("not recognized as a supported dataset name", "不是可识别的 GIS 文件格式（文件可能已损坏）"),
    ("does not exist in the file system", "找不到文件（压缩包内缺少 .shp/.dbf，或文件已损坏）"),
    ("layer", "指定的图层不存在或无法读取"),
    ("crs", "坐标系信息（.prj）无法识别"),
)


def _gdal_message(exc: BaseException) -> str:
    """A reader-library error in Chinese, with GDAL's own words kept short for support."""
    text = str(exc)
    low = text.lower()
    said = next((zh for en, zh in _GDAL_MESSAGES if en in low), "文件内容无法解析")
    return f"{said}（GDAL：{text.split(';')[0][:160]}）"


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
        try:
            layers = pyogrio.list_layers(io.BytesIO(data) if path is None else path)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise InputError(f"{name} 无法读取：{_gdal_message(exc)}；请重新导出登记表") from None
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
        raise InputError(f"{name} 无法读取：{_gdal_message(exc)}；请重新导出登记表") from None
    except pyogrio.errors.DataLayerError as exc:
        raise InputError(
            f"{name} 的图层无法读取：{_gdal_message(exc)}；请用 sheet= 指定已有的图层名，"
            "或重新导出登记表"
        ) from None
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


def raw_tables(
    data: bytes,
    file_name: str,
    path: Path | None,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    extra: set[str] | None = None,
    head: int | None = None,
) -> list[_Raw]:
    """Every table of a register file, parsed by its format: one per sheet of a workbook.

    ``head`` limits a CSV or sheet to its first rows (to check a header before a run).
    """
    extra = extra or set()
    fmt = _format_of(file_name, data)
    if fmt == "csv":
        return [_read_csv(data, file_name, encoding, extra, head=head)]
    if fmt == "xlsx":
        return _read_xlsx(data, file_name, sheet, extra, head=head)
    if fmt == "geojson":
        return [_read_geojson(data, file_name, encoding, extra)]
    return [_read_vector(data, file_name, path, fmt, encoding, sheet)]


def table_label(file_name: str, raw: _Raw, *, several: bool) -> str:
    """The ``source_file`` a table's facilities carry: the file, and its sheet when there are several."""
    return f"{file_name}[{raw.sheet}]" if several else file_name


def read_raw_tables(
    source: str | Path | tuple[bytes, str], *, sheet: str | int | None = None
) -> list[tuple[str, _Raw]]:
    """The parsed tables of a register file with the ``source_file`` label of each, read exactly
    as :func:`geo.registers.read_register` reads them (same header detection, same row numbers)."""
    data, file_name, path = _source_bytes(source, None)
    tables = raw_tables(data, file_name, path, sheet=sheet)
    several = len(tables) > 1
    return [(table_label(file_name, raw, several=several), raw) for raw in tables]
