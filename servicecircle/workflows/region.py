"""The region measured: its counties, official township list and township polygons.

Also which township (or county) of the region a point lies in, shared by the reach run and
the siting scenarios.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import boundaries, divisions
from geo._errors import InputError

WGS84 = "EPSG:4326"

#: the region code of the whole country (as in the plan catalogue)
NATIONAL_CODE = "000000"

#: what a planner may type for the whole country
_NATIONAL_WORDS = ("全国", "中国", "000000", "0", "00")


def region_code_from_text(text: str) -> str:
    """A region code as typed (full-width digits, spaces, 全国) -> 2, 4 or 6 digits or 000000.

    Raises
    ------
    InputError
        In Chinese, naming the value, when it is not a code of the 2023 official list.
    """
    raw = "" if text is None else str(text)
    code = "".join(unicodedata.normalize("NFKC", raw).split())
    if code in _NATIONAL_WORDS:
        return NATIONAL_CODE
    if not code.isdigit() or len(code) not in (2, 4, 6):
        raise InputError(
            f"区划代码 {raw!r} 无效：请输入 6 位区县代码（如 420102 江岸区）、4 位地级市代码"
            "（如 4201 武汉市）、2 位省级代码（如 42 湖北省）或“全国”。"
        )
    counties = divisions.official_counties()
    if not counties["code"].str.startswith(code).any():
        raise InputError(
            f"区划代码 {code} 不在 2023 年统计用区划代码中：请核对代码（区县 6 位、地级市 4 位、"
            "省级 2 位），例如 420102（江岸区）。"
        )
    return code


@dataclass(frozen=True)
class Region:
    """The counties measured, their township list and polygons."""

    code: str
    counties: pd.DataFrame
    county_polygons: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame  # official units; geometry where known; approximate flag
    polygon_source: str
    notes: tuple[str, ...] = ()
    seats: gpd.GeoDataFrame | None = None  # township-seat points used for approximate polygons

    @property
    def name(self) -> str:
        if self.code == NATIONAL_CODE:
            return "全国"
        if len(self.counties) == 1 and len(self.code) == 6:
            return str(self.counties["name"].iloc[0])
        first = self.counties.iloc[0]
        if len(self.code) == 4:
            return str(first["city_name"])
        return str(first["province_name"])


def load_region(
    region_code: str,
    *,
    kinds: tuple[str, ...] | None = None,
    township_list: Path | None = None,
    township_polygons: Path | None = None,
    county_boundaries: Path | None = None,
    seat_points: gpd.GeoDataFrame | None = None,
) -> Region:
    """Counties, official townships and township polygons for a region code.

    Township polygons come from ``township_polygons`` when given; else they are approximated
    from ``seat_points`` (e.g. OSM 街道办事处; the demo passes the bundle's); else there are none
    and facilities are assigned by their declared township only.
    """
    region_code = region_code_from_text(region_code)
    counties = (
        divisions.official_counties()
        if region_code == NATIONAL_CODE
        else divisions.counties_in(region_code)
    )
    codes = counties["code"].tolist()
    official = (
        divisions.read_township_list(township_list)
        if township_list is not None
        else divisions.official_townships()
    )
    townships = divisions.townships_of(codes, kinds=kinds, townships=official)
    if townships.empty:
        where = f"乡镇名单 {Path(township_list).name}" if township_list else "2023 年官方乡镇名单"
        raise InputError(
            f"区域 {region_code} 在{where}中没有乡镇级单位"
            + (f"（类型限于 {'、'.join(kinds)}）" if kinds else "")
            + "；请核对区划代码或乡镇名单。"
        )
    polys = boundaries.county_polygons(codes, path=county_boundaries, missing="skip")
    notes: list[str] = []
    drawn = set(polys["code"])
    absent = [c for c in codes if c not in drawn]
    if absent and len(absent) == len(codes):
        boundaries.county_polygons(codes, path=county_boundaries)  # raises, naming them
    if absent:
        notes.append(
            f"以下 {len(absent)} 个区县级单位没有边界多边形，其设施只按登记的所属乡镇（街道）归属、"
            f"不在地图上显示：{boundaries.counties_named(absent)}"
        )
    geoms = pd.Series([None] * len(townships), index=townships.index, dtype=object)
    approximate = pd.Series(False, index=townships.index)
    if township_polygons is not None:
        user, report = boundaries.read_polygons(township_polygons, what="township boundary")
        by_code = user.set_index("code").geometry
        hit = townships["code"].map(by_code)
        if hit.isna().all() and "name" in user:
            from geo.names import match_townships

            m = match_townships(user["name"], townships)
            user = user.assign(code=m["township_code"].values)
            hit = townships["code"].map(user[user.code != ""].set_index("code").geometry)
        geoms = hit
        source = f"用户提供的乡镇边界文件 {Path(township_polygons).name}"
        seat_frames: list = []
        notes += [f"{r.file} 第 {r.row} 行：{r.reason}" for r in report.itertuples()]
    elif seat_points is not None and not seat_points.empty:
        from geo.crs import local_metric_crs

        parts = []
        seat_frames = []
        for county in polys.itertuples():
            c = county.geometry.centroid
            metric = local_metric_crs(c.x, c.y)
            sub = townships[townships["county_code"] == county.code]
            seats, unmatched = boundaries.township_seats_from_pois(
                seat_points, sub, county=county.geometry, metric_crs=metric
            )
            if seats.empty:
                notes.append(f"{county.name}：没有匹配到乡镇驻地点，无乡镇边界")
                continue
            if len(unmatched):
                notes.append(
                    f"{county.name}：{len(unmatched)} 个乡镇（街道）没有驻地点，无近似边界，"
                    f"只能按登记名称归属：{'、'.join(unmatched['name'])}"
                )
            parts.append(
                boundaries.approximate_township_polygons(county.geometry, seats, metric_crs=metric)
            )
            seat_frames.append(seats)
        if parts:
            cells = pd.concat(parts).set_index("code").geometry
            geoms = townships["code"].map(cells)
            approximate = geoms.notna()
        source = "近似边界：OSM 街道办事处点位的泰森多边形，裁剪至区县边界"
    else:
        source = "无乡镇边界：设施按登记的所属乡镇（街道）归属"
        seat_frames = []
    gdf = gpd.GeoDataFrame(
        townships.assign(approximate=approximate.values),
        geometry=gpd.GeoSeries(list(geoms.values), crs=WGS84),
        crs=WGS84,
    )
    seats_all = (
        gpd.GeoDataFrame(pd.concat(seat_frames, ignore_index=True), crs=WGS84)
        if seat_frames
        else None
    )
    return Region(region_code, counties, polys, gdf, source, tuple(notes), seats_all)


def group_of(
    points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame, code_col: str = "code"
) -> pd.Series:
    polys = polygons[polygons.geometry.notna()]
    joined = gpd.sjoin(
        points[["geometry"]], polys[[code_col, "geometry"]], how="left", predicate="within"
    )
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined[code_col].reindex(points.index).fillna("").astype(str)
