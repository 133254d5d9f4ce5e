"""Checks and reprojection of the layers every map draws (internal)."""

from __future__ import annotations

import geopandas as gpd

from geo._errors import InputError
from geo.layers import LAYERS, layer_label


def to_wgs84(gdf: gpd.GeoDataFrame, *, argument: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{argument} must be a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise InputError(
            f"{argument} has no CRS; set it (e.g. {argument}.set_crs(4326)) before mapping."
        )
    present = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    return present.to_crs(4326) if present.crs.to_epsg() != 4326 else present


def coverage_columns(townships: gpd.GeoDataFrame, layer: str | None) -> list[str]:
    if layer is not None:
        layer_label(layer)
        column = f"covered_{layer}"
        if column not in townships.columns:
            raise InputError(
                f"townships lack the column {column!r} for layer {layer!r}; compute coverage "
                "for that layer first (columns covered_<layer>)."
            )
        return [column]
    columns = [f"covered_{k}" for k in LAYERS if f"covered_{k}" in townships.columns]
    if not columns:
        raise InputError(
            "townships have no covered_<layer> column; compute coverage first "
            f"(expected one of {', '.join('covered_' + k for k in LAYERS)})."
        )
    return columns
