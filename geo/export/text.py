"""CSV that Excel in China opens, and RFC 7946 GeoJSON."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo._errors import InputError
from geo.export.headers import _FORMULA_START, _check_path, _flat_frame, _plain, chinese_header


def write_csv(path: str | Path, df: pd.DataFrame, *, chinese_headers: bool = False) -> Path:
    """Write a CSV that Excel in China opens correctly: UTF-8 with BOM, lists joined with "、".

    Geometry is dropped (points become lon/lat). Text that Excel would run as a formula
    (starting with ``=``, ``+``, ``@`` or ``-`` followed by a non-digit) is prefixed with ``'``.

    Parameters
    ----------
    path
        The ``.csv`` file to write.
    df
        The table (not changed).
    chinese_headers
        Use :data:`CHINESE_HEADERS` for the header row.
    """
    out = _check_path(path, suffixes=(".csv",))
    flat = _flat_frame(df)
    for column in flat.columns:
        flat[column] = [
            "'" + v if isinstance(v, str) and _FORMULA_START.match(v) else v for v in flat[column]
        ]
    if chinese_headers:
        flat.columns = [chinese_header(c) for c in flat.columns]
    flat.to_csv(out, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return out


def write_geojson(path: str | Path, gdf: gpd.GeoDataFrame) -> Path:
    """Write GeoJSON in EPSG:4326 (RFC 7946): lists joined with "、", missing values as null.

    Rows without geometry are written with ``"geometry": null``.
    """
    out = _check_path(path, suffixes=(".geojson", ".json"))
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"write_geojson needs a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise InputError(
            f"{out.name}: the GeoDataFrame has no CRS; set it first (gdf.set_crs(4326) for "
            "longitude/latitude)."
        )
    geometry = gdf.geometry.to_crs(4326)
    attrs = pd.DataFrame(gdf.drop(columns=[gdf.geometry.name]))
    features = []
    geo = geometry.to_numpy()
    columns = [str(c) for c in attrs.columns]
    for i, values in enumerate(attrs.itertuples(index=False, name=None)):
        props = {}
        for column, value in zip(columns, values, strict=True):
            plain = _plain(value)
            if isinstance(plain, (pd.Timestamp, dt.date, dt.datetime)):
                plain = plain.isoformat()
            elif isinstance(plain, float) and not math.isfinite(plain):
                plain = None
            props[column] = plain
        g = geo[i]
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": None if g is None or g.is_empty else g.__geo_interface__,
            }
        )
    text = json.dumps(
        {"type": "FeatureCollection", "features": features},
        ensure_ascii=False,
        allow_nan=False,
        default=str,
    )
    out.write_text(text, encoding="utf-8")
    return out
