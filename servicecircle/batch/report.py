"""What a partitioned run shows a planner: the console summary, the Excel workbook and the
county-level HTML map of a province (the writers of :mod:`geo.export` and the folium map of
:mod:`analysis.maps`, reused, not redrawn)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.settings import ATTRIBUTION_OSM
from servicecircle.batch.progress import failure_lines

_HEADERS = {
    "scope": "层级",
    "code": "代码",
    "name": "名称",
    "township_code": "乡镇代码",
    "county_code": "区县代码",
    "city_code": "地级市代码",
    "city_name": "地级市",
    "demand_weight": "需求权重合计",
    "reached_weight": "可达权重",
    "unreached_weight": "不可达权重",
    "off_network_weight": "不在路网上权重",
    "points": "需求点数",
    "share": "可达占比",
}
_SCOPES = {
    "township": "乡镇",
    "county": "区县",
    "city": "地级市",
    "province": "省",
    "national": "全国",
}


def console_lines(run, *, where: str, minutes: float, speed: float) -> list[str]:
    """The run in a few lines: how it ran, each county, the province, the failures."""
    out = run.outcome
    lines = [
        f"分区计算（{len(run.tasks)} 个区县，Dask：{where}）：完成 {len(out.done)}，"
        f"跳过（已完成，--resume）{len(out.skipped)}，失败 {len(out.failed)}；"
        f"用时 {run.seconds.get('total', 0):.1f} 秒",
        f"步行 {minutes:g} 分钟、{speed:g} 米/秒；区县分区外扩 {run.halo.nodes_m:.0f} 米"
        f"（{run.halo.reach_m:.0f} 米步行 + 接入距离余量），跨界可达与整区计算一致",
    ]
    for r in run.counties.itertuples():
        share = "—" if pd.isna(r.share) else f"{r.share:.1%}"
        lines.append(
            f"  {r.name}（{r.county_code}）：可达 {r.reached_weight:,.0f} / {r.demand_weight:,.0f}"
            f"（{share}），不在路网上 {r.off_network_weight:,.0f}"
        )
    for r in run.rollup[run.rollup["scope"].isin(["city", "province", "national"])].itertuples():
        share = "—" if pd.isna(r.share) else f"{r.share:.1%}"
        lines.append(
            f"合计 {_SCOPES[r.scope]} {r.name}：可达 {r.reached_weight:,.0f} / "
            f"{r.demand_weight:,.0f}（{share}），不可达 {r.unreached_weight:,.0f}，"
            f"不在路网上 {r.off_network_weight:,.0f}（计入分母）"
        )
    lines.extend(run.notes)
    if not out.failed.empty:
        lines.append(f"失败的区县（{len(out.failed)} 个，其余已完成；修复后加 --resume 重跑）：")
        lines.extend(failure_lines(out.failed))
    return lines


def planner_table(table: pd.DataFrame) -> pd.DataFrame:
    """Chinese headers and scope words, for the workbook (the Parquet keeps the codes)."""
    out = table.copy()
    if "scope" in out.columns:
        out["scope"] = out["scope"].map(_SCOPES).fillna(out["scope"])
    return out.rename(columns=_HEADERS)


def write_workbook(
    run, path: Path, *, title: str, reach_statements: pd.DataFrame, notes: tuple[str, ...]
) -> Path:
    """The Excel summary: roll-up, counties, townships, plan statements, failures."""
    from geo.export import write_excel

    sheets = {
        "汇总": planner_table(run.rollup[run.rollup["scope"] != "township"]),
        "区县": planner_table(run.counties),
        "乡镇": planner_table(run.townships),
        "规划中的服务圈表述": reach_statements,
    }
    if not run.outcome.failed.empty:
        sheets["失败区县"] = run.outcome.failed.rename(
            columns={"code": "区县代码", "name": "名称", "error": "错误"}
        )
    write_excel(path, sheets, title=title, notes=(*notes, ATTRIBUTION_OSM))
    return path


def county_map(
    run,
    county_polygons: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    path: Path,
    *,
    layer: str,
    title: str,
    basemap: str,
    sources: tuple[str, ...],
) -> Path:
    """The province's counties on the interactive coverage map: each county's name carries
    its reach share; shaded by whether it holds a facility of ``layer``."""
    from analysis.maps import coverage_map
    from geo.export import save_html

    shares = run.counties.set_index("county_code")["share"]
    counts = facilities.groupby("county_code").size() if "county_code" in facilities else None
    polys = county_polygons.copy()
    share_text = polys["code"].map(shares).map(lambda s: "—" if pd.isna(s) else f"{s:.1%}")
    polys["name"] = polys["name"] + " · 15分钟圈可达 " + share_text
    n = polys["code"].map(counts).fillna(0) if counts is not None else 0
    polys[f"n_{layer}"] = n
    polys[f"covered_{layer}"] = polys[f"n_{layer}"] > 0
    polys["approximate"] = False
    fmap = coverage_map(
        polys,
        facilities[facilities.geometry.notna()],
        title=title,
        layer=layer,
        basemap=basemap,
        date=dt.date.today(),
        sources=sources,
        simplify_tolerance_m=200,
    )
    save_html(fmap, path)
    return path
