"""Facility registers read into one table: good rows kept, every problem in one report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from servicecircle.workflows.region import WGS84, Region


@dataclass(frozen=True)
class RegisterSpec:
    """One register file to import: where it is and how to read it."""

    source: Path | tuple[bytes, str]
    layer: str | None = None
    crs: str = "auto"
    columns: dict[str, str] | None = None
    sheet: str | None = None


@dataclass(frozen=True)
class Imported:
    """Facilities of every register, the validation report and the import sources."""

    facilities: gpd.GeoDataFrame
    report: pd.DataFrame
    sources: tuple[dict, ...]
    parts: tuple = ()  # one geo.registers.RegisterImport per register, in order


def import_registers(specs: Sequence[RegisterSpec], region: Region) -> Imported:
    """Read every register; good rows kept, every problem in one report."""
    from geo.registers import drop_duplicates_across, read_register

    area = shapely.union_all(list(region.county_polygons.geometry))
    polygons = region.townships.loc[region.townships.geometry.notna(), ["code", "geometry"]]
    frames, reports, sources, parts = [], [], [], []
    county = region.counties["code"].iloc[0] if len(region.counties) == 1 else None
    for spec in specs:
        result = read_register(
            spec.source,
            layer=spec.layer,
            columns=spec.columns,
            crs=spec.crs,
            sheet=spec.sheet,
            region=area,
            official=region.townships.drop(columns="geometry"),
            county_code=county,
            townships=gpd.GeoDataFrame(polygons, geometry="geometry", crs=WGS84),
        )
        parts.append(result)
    parts = drop_duplicates_across(parts)
    for result in parts:
        frames.append(result.facilities)
        reports.append(result.report)
        sources.append(result.source)
    if frames:
        facilities = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WGS84)
    else:
        facilities = _empty_facilities()
    report = (
        pd.concat(reports, ignore_index=True)
        if reports
        else pd.DataFrame(columns=list(_report_columns()))
    )
    return Imported(facilities, report, tuple(sources), tuple(parts))


def _report_columns() -> tuple[str, ...]:
    from geo.registers import REPORT_COLUMNS

    return tuple(REPORT_COLUMNS)


def _empty_facilities() -> gpd.GeoDataFrame:
    from geo.registers import FACILITY_COLUMNS

    cols = list(FACILITY_COLUMNS)
    return gpd.GeoDataFrame({c: pd.Series(dtype=str) for c in cols}, geometry=[], crs=WGS84)
