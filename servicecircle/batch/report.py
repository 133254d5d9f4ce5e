"""What a partitioned run shows a planner: the console summary, the Excel workbook, the
county-level HTML map of a province and one township map per county linked from it (the
writers of :mod:`geo.export` and the folium maps of :mod:`analysis.maps`, reused, not redrawn)."""

from __future__ import annotations

import datetime as dt
import html
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
    townships: gpd.GeoDataFrame | None = None,
) -> Path:
    """The province's counties on the interactive coverage map: each county's name carries
    its reach share; shaded by whether it holds a facility of ``layer``.

    With ``townships`` (the region's, ``code, name, county_code, approximate``, geometry or
    none), each county's popup links to its own map ``counties_maps/<code>.html`` beside
    ``path`` (:func:`township_maps`), or says that the county has no township polygons.
    """
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
    if townships is not None:
        maps = township_maps(
            run, county_polygons, townships, facilities, path.parent / COUNTY_MAPS,
            title=title, basemap=basemap, sources=sources,
        )  # fmt: skip
        polys["popup"] = [_county_popup(name, code, maps.get(code)) for name, code in
                          zip(polys["name"], polys["code"])]  # fmt: skip
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


#: the folder of the per-county township maps, beside the province map
COUNTY_MAPS = "counties_maps"


def _county_popup(name: str, code: str, county_file: Path | None) -> str:
    head = f"<b>{html.escape(str(name))}</b>（{html.escape(str(code))}）<br>"
    if county_file is None:
        return (
            head
            + "本区县没有乡镇（街道）边界面，未绘制乡镇图；乡镇数字见 reach_summary.xlsx「乡镇」表"
        )
    href = html.escape(f"{COUNTY_MAPS}/{county_file.name}", quote=True)
    return head + f"<a href='{href}' target='_blank'>打开本区县乡镇（街道）可达图</a>"


def township_maps(
    run,
    county_polygons: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    folder: Path,
    *,
    title: str,
    basemap: str,
    sources: tuple[str, ...],
) -> dict[str, Path]:
    """One self-contained map per county, its townships shaded by reach share:
    ``folder/<code>.html``; counties without township polygons get none (not in the dict)."""
    from analysis.maps import share_map
    from geo.export import save_html

    named = run.townships[run.townships["township_code"] != ""]
    figures = named.drop_duplicates("township_code").set_index("township_code")
    towns = townships[townships.geometry.notna() & ~townships.geometry.is_empty]
    fac = facilities[facilities.geometry.notna()]
    hit = gpd.sjoin(
        fac[["geometry"]], county_polygons[["code", "geometry"]].to_crs(fac.crs), predicate="within"
    )
    hit = hit[~hit.index.duplicated()]
    names = county_polygons.set_index("code")["name"]
    out = {}
    Path(folder).mkdir(parents=True, exist_ok=True)
    for code, own in towns.groupby("county_code", sort=True):
        if code not in names.index:
            continue
        own = own.assign(share=own["code"].map(figures["share"]))
        own["popup"] = [_township_popup(r, figures) for r in own.itertuples()]
        missing = int((townships["county_code"] == code).sum() - len(own))
        notes = [f"另有 {missing} 个乡镇（街道）没有边界面，未上图"] if missing else []
        if own["approximate"].eq(True).any():
            notes.append("虚线为近似乡镇边界（由乡镇驻地推算，仅供示意）")
        fmap = share_map(
            own,
            fac.loc[hit.index[hit["code"] == code]],
            title=f"{names[code]} · {title}",
            share_label="乡镇（街道）步行服务圈可达人口占比",
            basemap=basemap,
            sources=sources,
            notes=notes,
        )
        out[code] = save_html(fmap, Path(folder) / f"{code}.html")
    return out


def _township_popup(row, figures: pd.DataFrame) -> str:
    head = f"<b>{html.escape(str(row.name))}</b>（{html.escape(str(row.code))}）"
    if row.code not in figures.index:
        return head + "<br>无需求点"
    f = figures.loc[row.code]
    share = "—" if pd.isna(f["share"]) else f"{f['share']:.1%}"
    return (
        f"{head}<br>可达占比：{share}<br>可达 {f['reached_weight']:,.0f} / "
        f"{f['demand_weight']:,.0f}；不在路网上 {f['off_network_weight']:,.0f}<br>"
        f"需求点 {int(f['points'])} 个"
    )
