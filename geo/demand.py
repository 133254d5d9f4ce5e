"""Demand points for the 15-minute reach: where people (and elderly people) live.

Sources, in order of preference, and the output always says which was used:

1. the user's 社区/小区 table with population or 60+ population (``read_demand``);
2. the bundle's OSM ``residential`` landuse centroids (residential compounds), with uniform
   weights, optionally scaled to elderly counts with the 2020 census of the county;
3. uniform weights when nothing else exists.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo._errors import InputError
from geo.bundle import bundle_path

WGS84 = "EPSG:4326"


def census_by_county(codes: list[str]) -> pd.DataFrame:
    """2020 census population and elderly shares per county, from the bundle.

    Returns ``code, name, population, share_60plus, share_65plus, elderly_60plus`` (one row per
    code found; 60+ share = AGES_60-64 + AGES_65P). The one non-numeric row of the source is
    coerced to NaN.
    """
    pop = pd.read_csv(bundle_path("population"), dtype={"CODE": str}, encoding="utf-8-sig")
    ages = pd.read_csv(bundle_path("ages"), dtype={"CODE": str}, encoding="utf-8-sig")
    pop["POPU"] = pd.to_numeric(pop["POPU"], errors="coerce")
    for col in ("AGES_60-64", "AGES_65P"):
        ages[col] = pd.to_numeric(ages[col], errors="coerce")
    merged = pop[["CODE", "NAME", "POPU"]].merge(
        ages[["CODE", "AGES_60-64", "AGES_65P"]], on="CODE", how="left"
    )
    merged = merged[merged["CODE"].isin([str(c) for c in codes])]
    out = pd.DataFrame(
        {
            "code": merged["CODE"].values,
            "name": merged["NAME"].values,
            "population": merged["POPU"].values,
            "share_60plus": (merged["AGES_60-64"] + merged["AGES_65P"]).values,
            "share_65plus": merged["AGES_65P"].values,
        }
    )
    out["elderly_60plus"] = (out["population"] * out["share_60plus"]).round()
    return out.reset_index(drop=True)


def residential_points(area: shapely.Geometry) -> gpd.GeoDataFrame:
    """OSM residential-compound centroids (bundle) inside ``area`` (EPSG:4326).

    Returns ``demand_id, name, weight (1.0), geometry`` in EPSG:4326.
    """
    land = gpd.read_file(bundle_path("landuse_wuhan"))
    res = land[land["fclass"] == "residential"]
    res = res[res.within(area)]
    return gpd.GeoDataFrame(
        {
            "demand_id": "osm" + res["osm_id"].astype(str).values,
            "name": res["name"].fillna("").values,
            "weight": 1.0,
        },
        geometry=res.geometry.values,
        crs=WGS84,
    ).reset_index(drop=True)


def elderly_weights(
    demand: gpd.GeoDataFrame, county_of_point: pd.Series, census: pd.DataFrame
) -> pd.Series:
    """Estimated 60+ residents per demand point: the county's 60+ count shared by its points.

    Points of the same county get equal shares (so per-township shares equal the unweighted
    ones, while totals are in people). Aligned to ``demand.index``; NaN for points whose county
    has no census row.
    """
    elderly = census.set_index("code")["elderly_60plus"]
    counts = county_of_point.value_counts()
    return county_of_point.map(elderly) / county_of_point.map(counts)


def read_demand(
    path: Path | str,
    *,
    weight_column: str | None = None,
    crs: str = "auto",
) -> gpd.GeoDataFrame:
    """A user's 社区/小区 table (CSV/XLSX/GeoJSON…) with coordinates and optional population.

    The table is read like a facility register (same encodings, column detection and CRS
    handling); ``weight_column`` names the population column (e.g. 60岁以上人口); without it the
    weights are uniform. A population table needs no names: without a 名称 column each point is
    named by its row (``第N行``). Returns ``demand_id, name, weight, geometry`` (EPSG:4326).
    """
    from geo.registers import read_register

    check_demand_file(path, weight_column=weight_column)
    result = read_register(_with_names(Path(path)), layer="elderly_care", crs=crs)
    pts = result.facilities
    rejected = result.report[result.report["action"] == "rejected"]
    if len(rejected):
        first = rejected.iloc[0]
        raise InputError(
            f"{first['file']} row {first['row']}: {first['reason']} ({first['value']}); "
            f"{first['fix']}"
        )
    weights = pd.Series(1.0, index=pts.index)
    if weight_column is not None:
        raw = _read_column(Path(path), weight_column)
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(
                f"{Path(path).name} row {i + 2}: {weight_column} = {raw.iloc[i]!r} is not a "
                "non-negative number; fix it or leave the column out for uniform weights"
            )
        weights = pd.Series(
            values.to_numpy(dtype=float)[result.facilities["source_row"] - 2], index=pts.index
        )
    return gpd.GeoDataFrame(
        {
            "demand_id": pts["facility_id"].values,
            "name": pts["name"].values,
            "weight": weights.values,
        },
        geometry=pts.geometry.values,
        crs=WGS84,
    )


_TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")


def check_demand_file(path: Path | str, *, weight_column: str | None = None) -> None:
    """Check a demand table's headers before anything expensive runs (seconds, not minutes).

    The file must exist; a CSV/XLSX table needs longitude and latitude columns (the same
    headers a register may use: 经度/纬度, lon/lat, …) and, when given, the ``weight_column``.
    Names are not needed. Other formats (GeoJSON, Shapefile, GeoPackage) carry their points.

    Raises
    ------
    InputError
        The file is missing, or a header is; the message lists the columns there are.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"需求点文件 {str(p)!r} 不存在；请检查路径（--demand）")
    if p.suffix.lower() not in _TABLE_SUFFIXES:
        return
    headers = _headers(p)
    cols = _columns_of(headers, p.name)
    missing = [label for fld, label in (("lon", "经度"), ("lat", "纬度")) if fld not in cols]
    if missing:
        raise InputError(
            f"{p.name}：没有{'、'.join(missing)}列（现有列：{'、'.join(headers)}）；"
            "请将坐标列表头改为“经度”“纬度”（或 lon/lat）"
        )
    if weight_column is not None and weight_column not in headers:
        raise InputError(
            f"{p.name}: no column {weight_column!r} for the weights; columns are {headers} "
            f"（没有权重列 {weight_column!r}，请检查 --weight-column）"
        )


def _headers(path: Path) -> list[str]:
    from geo.tables import read_table

    return [str(c) for c in read_table(path).columns]


def _columns_of(headers: list[str], name: str) -> dict[str, str]:
    """Which header is what, detected exactly as the register reader detects it."""
    from geo.registers.columns import _detect_columns

    return _detect_columns(headers, None, name)


def _with_names(path: Path) -> Path | tuple[bytes, str]:
    """The table as the register reader takes it: the path itself, or, for a table without a
    名称 column, the same rows as CSV with one added (``第N行``, N its row in the file)."""
    from geo.tables import read_table

    if path.suffix.lower() not in _TABLE_SUFFIXES:
        return path
    table = read_table(path)
    if "name" in _columns_of([str(c) for c in table.columns], path.name):
        return path
    named = table.assign(名称=[f"第{i + 2}行" for i in range(len(table))])
    return named.to_csv(index=False).encode("utf-8"), path.with_suffix(".csv").name


def _read_column(path: Path, column: str) -> pd.Series:
    from geo.tables import read_table

    table = read_table(path)
    if column not in table.columns:
        raise InputError(
            f"{path.name}: no column {column!r} for the weights; columns are {list(table.columns)}"
        )
    return table[column]
