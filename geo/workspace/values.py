"""Cell values in and out of DuckDB: JSON, WKB geometry, checked text and integers, Parquet tables."""

from __future__ import annotations

import io
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from geo._errors import InputError, WorkspaceError


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} value {value!r} is not JSON serialisable")


def _dumps(value: Any, *, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=_json_default, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise WorkspaceError(
            f"{what} cannot be stored as JSON: {exc}. Use plain numbers, strings, lists and "
            "dicts (no NaN/inf) in it; nothing was written."
        ) from exc


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _text(value: Any, *, where: str) -> str | None:
    """A value as storable UTF-8 text (None for missing); names ``where`` when it cannot be."""
    if _is_missing(value):
        return None
    text = value if isinstance(value, str) else str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[max(exc.start - 8, 0) : exc.end + 8]
        raise WorkspaceError(
            f"{where}: the text {bad!r} cannot be encoded as UTF-8 ({exc.reason}); the file was "
            "probably decoded with the wrong encoding. Re-import it with the right encoding "
            "(e.g. GB18030 for files saved by Chinese Excel); nothing was written."
        ) from exc
    return text


def _integer(value: Any, *, where: str) -> int | None:
    if _is_missing(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number != int(number):
        raise WorkspaceError(
            f"{where}: expected a whole number, got {value!r}. Fix that value in the data; "
            "nothing was written."
        )
    return int(number)


def _wkb(geom: Any, *, where: str) -> bytes | None:
    if _is_missing(geom):
        return None
    try:
        if not isinstance(geom, shapely.Geometry):
            raise TypeError(f"{type(geom).__name__} is not a shapely geometry")
        return shapely.to_wkb(geom)
    except Exception as exc:  # shapely raises several types; all mean "cannot encode"
        raise WorkspaceError(
            f"{where}: the geometry {str(geom)[:80]!r} cannot be encoded as WKB ({exc}). "
            "Give a shapely geometry or None for that row; nothing was written."
        ) from exc


def _from_wkb(values: pd.Series) -> np.ndarray:
    raw = np.array([None if _is_missing(v) else bytes(v) for v in values], dtype=object)
    return shapely.from_wkb(raw)


def _crs_text(gdf: gpd.GeoDataFrame) -> str | None:
    if gdf.crs is None:
        return None
    epsg = gdf.crs.to_epsg()
    return f"EPSG:{epsg}" if epsg is not None else gdf.crs.to_wkt()


def _check_table_name(name: Any, *, argument: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{argument} must be a non-empty string, got {name!r}")
    return name


def _table_to_parquet(table: pd.DataFrame, *, name: str) -> tuple[str, bytes]:
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"run table {name!r}: expected a DataFrame, got {type(table).__name__}")
    buffer = io.BytesIO()
    try:
        if isinstance(table, gpd.GeoDataFrame):
            table.to_parquet(buffer)
            return "geoparquet", buffer.getvalue()
        table.to_parquet(buffer)
        return "parquet", buffer.getvalue()
    except (pa.ArrowException, TypeError, ValueError) as exc:
        bad = [
            str(c)
            for c in table.columns
            if table[c].dtype == object
            and len({type(v) for v in table[c] if not _is_missing(v)}) > 1
        ]
        hint = f" (mixed value types in column(s) {', '.join(bad)})" if bad else ""
        raise WorkspaceError(
            f"run table {name!r} cannot be stored as Parquet{hint}: {exc}. Give each column "
            "one type (e.g. .astype(str)); nothing was written."
        ) from exc


def _table_from_parquet(blob: bytes, fmt: str) -> pd.DataFrame:
    table = (
        gpd.read_parquet(io.BytesIO(blob))
        if fmt == "geoparquet"
        else pd.read_parquet(io.BytesIO(blob))
    )
    for c in table.columns:  # list columns come back as numpy arrays; give lists back
        if table[c].dtype == object:
            table[c] = [v.tolist() if isinstance(v, np.ndarray) else v for v in table[c]]
    return table
