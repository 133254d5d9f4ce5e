"""read_register: one register file in, facilities and a validation report out."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import InputError
from geo.crs import (
    normalize_crs,
)
from geo.registers.columns import _detect_columns, _norm_header
from geo.registers.coords import _check_missing_xy, _read_xy, _resolve_crs, _to_wgs84
from geo.registers.formats import (
    _format_of,
    _read_csv,
    _read_geojson,
    _read_vector,
    _read_xlsx,
    _source_bytes,
)
from geo.registers.matching import _match_declared
from geo.registers.model import REPORT_COLUMNS, RegisterImport, _text, _Work
from geo.registers.rows import (
    _assign_layers,
    _check_layer,
    _check_names,
    _drop_duplicates,
    _facility_id,
)


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
