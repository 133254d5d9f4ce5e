"""read_register: one register file in, facilities and a validation report out."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo._errors import DataMissingError, InputError
from geo.crs import normalize_crs
from geo.registers.columns import _norm_header
from geo.registers.formats import _format_of, _source_bytes, raw_tables, table_label
from geo.registers.model import RegisterImport
from geo.registers.rows import _check_layer
from geo.registers.table import _combine, _read_table, _township_polygons


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
    townships: gpd.GeoDataFrame | None = None,
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
        The layer of every row (a key of :data:`~geo.layers.LAYERS` or its Chinese
        label). Otherwise each row's 类型 text, then the file name, is matched against
        :data:`~geo.layers.LAYER_KEYWORDS`; rows still unknown are rejected.
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
    townships
        Township polygons (``code`` with 9 digits, geometry in WGS84): degrees without a
        declared system are read as the one of WGS84, GCJ-02 and BD-09 that puts clearly more
        points inside their declared township (else the county ``region``); when none does, WGS84
        with a loud file-level warning.

    Returns
    -------
    RegisterImport
        Facilities (EPSG:4326), the problem report and a description of the source.

    Raises
    ------
    InputError
        When the file as a whole cannot be read: unknown or .xls format, no name column, no
        coordinate or township columns, bad ``columns``/``layer``/``crs``/``sheet``. Any other
        failure while reading a file is turned into an InputError naming the file.
    DataMissingError
        When the path does not exist.
    """
    name = source_name or (source[1] if isinstance(source, tuple) and len(source) == 2 else source)
    try:
        return _read_register(
            source,
            layer=layer,
            columns=columns,
            crs=crs,
            encoding=encoding,
            sheet=sheet,
            region=region,
            official=official,
            county_code=county_code,
            source_name=source_name,
            townships=townships,
        )
    except PROJECT_ERRORS:
        raise
    except READ_FAILURES as exc:  # a reader library's own error: said in the user's terms
        shown = Path(str(name)).name
        raise InputError(
            f"{shown} 无法读取（{type(exc).__name__}: {str(exc)[:300]}）；请在 Excel/WPS/GIS 软件中"
            "打开并重新另存（.xlsx、CSV UTF-8 或 GeoJSON）后再导入"
        ) from exc


#: the project's own errors, passed through as they are
PROJECT_ERRORS = (InputError, DataMissingError)

#: what parsers (csv, openpyxl, pyogrio/GDAL, shapely, pandas) raise on a damaged file
READ_FAILURES = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OSError,
    UnicodeError,
    csv.Error,
    zipfile.BadZipFile,
    RecursionError,
    OverflowError,
    RuntimeError,  # pyogrio's DataSourceError / DataLayerError
)


def _read_register(
    source: str | Path | tuple[bytes, str],
    *,
    layer: str | None,
    columns: Mapping[str, str] | None,
    crs: str | int,
    encoding: str | None,
    sheet: str | int | None,
    region: shapely.Geometry | None,
    official: pd.DataFrame | None,
    county_code: str | None,
    source_name: str | None,
    townships: gpd.GeoDataFrame | None,
) -> RegisterImport:
    data, file_name, path = _source_bytes(source, source_name)
    _format_of(file_name, data)  # an unknown format is refused before anything else
    fixed_layer = _check_layer(layer) if layer is not None else None
    crs_arg = "auto" if str(crs).strip().lower() == "auto" else normalize_crs(crs)
    if region is not None and not isinstance(region, shapely.Geometry):
        raise InputError(
            f"region 须为 WGS84 经纬度下的 shapely (Multi)Polygon，实际为 {type(region).__name__}"
        )
    extra = {_norm_header(h) for h in (columns or {}).values()}

    tables = raw_tables(data, file_name, path, encoding=encoding, sheet=sheet, extra=extra)
    polygons = _township_polygons(townships)
    several = len(tables) > 1
    parts = [
        _read_table(
            raw,
            label=table_label(file_name, raw, several=several),
            several=several,
            columns=columns,
            fixed_layer=fixed_layer,
            crs_arg=crs_arg,
            crs=crs,
            region=region,
            official=official,
            county_code=county_code,
            polygons=polygons,
        )
        for raw in tables
    ]
    return _combine(parts, data=data, file_name=file_name, raw_info=tables[0])


#: rows of a CSV or sheet parsed to check its header before a run
CHECK_ROWS = 60


def check_register(
    source: str | Path | tuple[bytes, str],
    *,
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
    crs: str | int = "auto",
    sheet: str | int | None = None,
) -> dict[str, object]:
    """Check that a register can be read at all, before any expensive step of a run.

    Parses the file and finds its header and columns (no coordinates converted, no townships
    matched; of a CSV or workbook only the first :data:`CHECK_ROWS` rows). Returns ``file``,
    ``format``, ``encoding``, ``sheets`` (name -> header row, columns found, headers) and
    ``rows`` (of the part read).

    Raises
    ------
    InputError, DataMissingError
        The problem that stops the file from being read, as :func:`read_register` would say it.
    """
    try:
        data, file_name, _path = _source_bytes(source, None)
        _format_of(file_name, data)  # an unknown format is refused first
        if layer is not None:
            _check_layer(layer)
        if str(crs).strip().lower() != "auto":
            normalize_crs(crs)
        extra = {_norm_header(h) for h in (columns or {}).values()}
        tables = raw_tables(data, file_name, _path, sheet=sheet, extra=extra, head=CHECK_ROWS)
    except PROJECT_ERRORS:
        raise
    except READ_FAILURES as exc:
        raise InputError(
            f"{Path(str(source[1] if isinstance(source, tuple) else source)).name} 无法读取"
            f"（{type(exc).__name__}: {str(exc)[:300]}）；请重新另存后再导入"
        ) from exc
    from geo.registers.columns import _detect_columns

    sheets: dict[str, object] = {}
    for raw in tables:
        label = f"{file_name}[{raw.sheet}]" if len(tables) > 1 else file_name
        cols = _detect_columns([str(c) for c in raw.frame.columns], columns, label)
        if "name" not in cols and len(tables) == 1:
            raise InputError(
                f"{label} 没有机构名称列（现有列：{'、'.join(map(str, raw.frame.columns))}）；"
                "请将该列表头改为“名称”，或用 --columns name=<表头> 指定"
            )
        sheets[str(raw.sheet or "")] = {
            "header_row": raw.header,
            "columns": cols,
            "headers": [str(c) for c in raw.frame.columns],
        }
    return {
        "file": file_name,
        "format": tables[0].fmt,
        "encoding": tables[0].encoding,
        "sheets": sheets,
        "rows": int(sum(len(t.frame) for t in tables)),
    }
