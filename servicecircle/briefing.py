"""The Word briefing (简报) a 民政局 planner hands upward: coverage against the plan targets,
the uncovered townships, the 15-minute figures, the map and the siting recommendation.

Composition only: the blocks are written by :func:`geo.export.write_docx`. Used by the app's
one-click download and by ``servicecircle coverage|demo --docx PATH``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from geo.layers import LAYERS, LEVEL_LABELS
from geo.settings import ATTRIBUTION_OSM

if TYPE_CHECKING:
    from servicecircle.workflows import CoverageRun, ReachRun

#: scope key -> Chinese label, and each region level's own scope and the level below it
_SCOPES: Final = {"national": "全国", "province": "省", "city": "地级市", "county": "区县"}
_LEVEL_ROWS: Final = {
    "national": ("national", "province"),
    "province": ("province", "city"),
    "city": ("city", "county"),
    "county": ("county",),
}
#: how many uncovered townships a bullet names before "等"
_NAMES_SHOWN: Final = 30


def region_scope(region_code: str) -> str:
    """The scope of a region code: 'national' (000000), 'province', 'city' or 'county'."""
    if region_code == "000000":
        return "national"
    return {2: "province", 4: "city", 6: "county"}.get(len(region_code), "county")


#: a target's source in its plan -> label
SOURCE_LABELS: Final[dict[str, str]] = {"table": "主要指标表", "box": "专栏", "text": "正文"}


def target_sources(targets: pd.DataFrame | None) -> dict[str, str]:
    """target_id -> where in its plan the target is written (主要指标表, 专栏, 正文)."""
    if targets is None or "target_id" not in targets or "source" not in targets:
        return {}
    return {
        str(t): SOURCE_LABELS.get(str(s), str(s))
        for t, s in zip(targets["target_id"], targets["source"])
    }


def target_table(
    comparison: pd.DataFrame, *, scopes: Sequence[str], targets: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The coverage rows of ``scopes`` against their targets, in the words of the briefing.

    One row per unit, layer, unit level and target; the columns that tell two rows of one unit
    apart (口径, 对照规划 with where in the plan: 主要指标表 / 专栏) come before the long ones.
    """
    sources = target_sources(targets)
    rows = comparison[comparison["scope"].isin(list(scopes))]
    target = pd.to_numeric(rows["target_pct"], errors="coerce")

    def _plan(r: Any) -> str:
        if pd.isna(r.target_pct):
            return "（无对应指标）"
        where = sources.get(str(getattr(r, "target_id", "")), "")
        return f"{r.plan_name}{'（' + where + '）' if where else ''}"

    return pd.DataFrame(
        {
            "区域": rows["name"].astype(str),
            "设施": rows["layer"].map(LAYERS).fillna(rows["layer"]).astype(str),
            "口径": rows["unit_level"].map(LEVEL_LABELS).fillna(rows["unit_level"]).astype(str),
            "对照规划": [_plan(r) for r in rows.itertuples()],
            "已覆盖": rows["covered"].astype(int),
            "单位数": rows["units"].astype(int),
            "覆盖率": [("—" if pd.isna(r) else f"{r:.1%}") for r in rows["rate"].astype(float)],
            "目标": [
                ("—" if pd.isna(t) else f"{'≥' if c == '>=' else '>'}{t:g}%")
                for c, t in zip(rows["comparator"].astype(object), target)
            ],
            "结果": rows["status"].astype(str),
            "还需覆盖": ["" if pd.isna(v) else str(int(v)) for v in rows["units_needed"]],
            "对照指标": rows["held_to"].astype(object).where(rows["held_to"].notna(), ""),
        },
        index=rows.index,
    )


def uncovered_lines(comparison: pd.DataFrame) -> list[str]:
    """Per county and layer, the townships (or counties) without a facility, named."""
    rows = comparison[comparison["scope"] == "county"].drop_duplicates(
        ["code", "layer", "unit_level"]
    )
    rows = rows[rows["unit_level"].isin(["township", "county"])]
    held = rows[rows["held_to"].notna()] if "held_to" in rows else rows
    rows = held if len(held) else rows  # the levels a target counts, when there are targets
    lines = []
    for r in rows.itertuples():
        names = list(r.uncovered_names) if isinstance(r.uncovered_names, (list, tuple)) else []
        if not names or r.unit_level == "county":
            continue
        shown = "、".join(names[:_NAMES_SHOWN]) + (
            f" 等 {len(names)} 个" if len(names) > _NAMES_SHOWN else ""
        )
        lines.append(f"{r.name} {LAYERS.get(r.layer, r.layer)}：{shown}")
    return lines


@dataclass(frozen=True)
class ReachFigures:
    """The 15-minute figures a briefing reports (from a :class:`ReachRun` or saved tables)."""

    minutes: float
    walk_speed_m_s: float
    by_county: pd.DataFrame  # name, points, points_reached, share_points, share_weight
    scenarios: pd.DataFrame  # walk_speed_m_s, radius_m, share_points, share_points_straight_line
    weight_label: str = ""
    demand_source: str = ""

    @classmethod
    def from_run(cls, rr: ReachRun) -> ReachFigures:
        """The figures of a reach run."""
        return cls(
            rr.minutes,
            rr.walk_speed_m_s,
            rr.by_county,
            rr.scenarios,
            rr.weight_label,
            rr.demand_source,
        )


def reach_from_tables(
    by_township: pd.DataFrame,
    scenarios: pd.DataFrame,
    *,
    counties: pd.DataFrame,
    minutes: float,
    walk_speed_m_s: float,
) -> ReachFigures:
    """The figures from saved tables (a workspace run): county totals of the township rows."""
    t = by_township[by_township["county_code"].notna()]
    t = t.assign(points=t["points"].fillna(0), points_reached=t["points_reached"].fillna(0))
    sums = t.groupby("county_code")[["points", "points_reached"]].sum()
    names = counties.set_index("code")["name"]
    by_county = pd.DataFrame(
        {
            "code": sums.index,
            "name": [names.get(c, c) for c in sums.index],
            "points": sums["points"].to_numpy(),
            "points_reached": sums["points_reached"].to_numpy(),
            "share_points": (sums["points_reached"] / sums["points"]).to_numpy(),
        }
    )
    return ReachFigures(minutes, walk_speed_m_s, by_county, scenarios)


def weights_uniform(weight_label: str) -> bool:
    """True when the 60+ weights are the same within a county (then weighted = unweighted
    within a township, and only the county totals can differ)."""
    return "权重相同" in weight_label or "均分" in weight_label


def reach_blocks(reach: ReachFigures) -> list[Any]:
    """The 15-minute section: per county, the share of homes within the minutes."""
    from geo.export import Bullets, Paragraph, Table

    lines = [
        f"{r.name}：{int(r.points_reached)} / {int(r.points)} 个居住小区在 {reach.minutes:g} 分钟"
        f"步行范围内（{float(r.share_points):.1%}）"
        for r in reach.by_county.itertuples()
    ]
    blocks: list[Any] = [
        Paragraph(
            f"按步行速度 {reach.walk_speed_m_s:g} 米/秒沿道路网络计算，居住小区到最近养老服务中心"
            f"的步行时间不超过 {reach.minutes:g} 分钟的比例："
        ),
        Bullets(tuple(lines)),
    ]
    if reach.weight_label:
        same = "（区县内各点权重相同，加权比例与不加权比例一致，故不另列）"
        blocks.append(
            Paragraph(f"需求点：{reach.demand_source}；权重：{reach.weight_label}")
            if not weights_uniform(reach.weight_label)
            else Paragraph(f"需求点：{reach.demand_source}{same}")
        )
    sc = reach.scenarios
    if len(sc):
        blocks.append(
            Table(
                pd.DataFrame(
                    {
                        "步行速度（米/秒）": [f"{v:g}" for v in sc["walk_speed_m_s"]],
                        f"{reach.minutes:g}分钟直线半径（米）": [
                            f"{v:,.0f}" for v in sc["radius_m"]
                        ],
                        "沿路网可达比例": [f"{v:.1%}" for v in sc["share_points"]],
                        "直线距离口径": [f"{v:.1%}" for v in sc["share_points_straight_line"]],
                    }
                ),
                caption="步行速度情景：沿路网与直线半径口径对比",
            )
        )
    return blocks


def siting_blocks(scenario: Any) -> list[Any]:
    """The siting recommendation: the scenario's sites in order, with what each adds."""
    from geo.export import Paragraph, Table
    from servicecircle.wording import in_chinese

    c = scenario.chosen
    name = scenario.name.replace("greedy+swap", "贪心 + 交换").replace("exact", "精确")
    notes = "；".join(in_chinese(str(n)) for n in scenario.notes)
    blocks: list[Any] = [Paragraph(f"方案：{name}。{notes}")]
    if len(c):
        blocks.append(
            Table(
                pd.DataFrame(
                    {
                        "顺序": c["order"].astype(int),
                        "名称": c["name"].astype(str),
                        "乡镇（街道）": c["township"].astype(str),
                        "经度": [round(g.x, 6) for g in c.geometry],
                        "纬度": [round(g.y, 6) for g in c.geometry],
                        "新增可达（加权，人）": [f"{v:,.0f}" for v in c["gain_weight"]],
                    }
                ),
                caption="推荐新增养老服务中心选址（按新增可达人数排序）",
            )
        )
    return blocks


def briefing_blocks(
    run: CoverageRun,
    *,
    comparison: pd.DataFrame | None = None,
    sources: Sequence[str] = (),
    reach: ReachFigures | None = None,
    scenario: Any | None = None,
    map_png: Path | None = None,
) -> list[Any]:
    """The briefing's sections, in order (see :func:`write_briefing`)."""
    from geo.export import Bullets, Heading, Paragraph, Picture, Table

    comparison = run.comparison if comparison is None else comparison
    scope = region_scope(run.region.code)
    table = target_table(comparison, scopes=_LEVEL_ROWS[scope], targets=run.targets)
    met = table[table["结果"] == "达标"]
    missed = table[table["结果"] == "未达标"]
    blocks: list[Any] = [
        Heading("一、数据来源"),
        Bullets(tuple(dict.fromkeys([*sources, f"乡镇边界：{run.region.polygon_source}"]))),
    ]
    if run.region.notes:
        blocks.append(Bullets(tuple(f"说明：{n}" for n in run.region.notes)))
    blocks += [
        Heading("二、对照规划目标的覆盖情况"),
        Paragraph(
            f"{run.region.name}共对照 {len(met) + len(missed)} 项规划指标：达标 {len(met)} 项，"
            f"未达标 {len(missed)} 项。覆盖率 = 有至少 1 处该类设施的乡镇（街道）数 ÷ 官方名单中的"
            "乡镇（街道）数（骨灰安放设施按区县计）。"
        ),
        Table(table, caption=f"{run.region.name}覆盖率与规划目标（{_SCOPES[scope]}及下一级）"),
        Heading("三、尚未覆盖的乡镇（街道）"),
    ]
    lines = uncovered_lines(comparison)
    blocks.append(
        Bullets(tuple(lines)) if lines else Paragraph("各类设施均已覆盖全部乡镇（街道）。")
    )
    blocks.append(Heading("四、15分钟养老服务圈"))
    blocks += (
        reach_blocks(reach)
        if reach is not None
        else [Paragraph("本次未计算 15 分钟养老服务圈（需要该区域的道路网络和居住小区点）。")]
    )
    if map_png is not None:
        blocks += [
            Heading("五、地图"),
            Picture(Path(map_png), caption=f"{run.region.name}覆盖情况图"),
        ]
    blocks.append(Heading("六、选址建议" if map_png is not None else "五、选址建议"))
    blocks += (
        siting_blocks(scenario)
        if scenario is not None
        else [Paragraph("本次未做选址测算；可在应用“选址”页求解后重新生成简报。")]
    )
    return blocks


def write_briefing(
    path: Path,
    run: CoverageRun,
    *,
    comparison: pd.DataFrame | None = None,
    sources: Sequence[str] | None = None,
    reach: ReachFigures | None = None,
    scenario: Any | None = None,
    map_png: Path | None = None,
    date: str | None = None,
) -> Path:
    """Write the Word briefing of a coverage run (and its reach and siting, when given).

    Parameters
    ----------
    path
        The ``.docx`` file.
    run
        The coverage run.
    comparison
        The comparison to report (default ``run.comparison``; the app passes its 全国 roll-up).
    sources
        Data-source lines (default :func:`servicecircle.outputs.run_sources`).
    reach, scenario, map_png
        The 15-minute figures, a siting scenario and a static map, when there are.
    """
    from geo.export import write_docx
    from servicecircle.outputs import run_sources

    src = tuple(sources) if sources is not None else run_sources(run)
    return write_docx(
        path,
        briefing_blocks(
            run, comparison=comparison, sources=src, reach=reach, scenario=scenario, map_png=map_png
        ),
        title=f"{run.region.name} 民政服务设施覆盖情况简报",
        date=date,
        attribution=ATTRIBUTION_OSM if reach is not None or scenario is not None else None,
    )


def demo_briefing(path: Path, *, out: Path, region: str, plan: str | None = None) -> Path:
    """The briefing of ``servicecircle demo`` from what it left in ``out``: its workspace run
    (the 15-minute tables), its best-k siting scenario and its static map."""
    from geo.workspace import Workspace
    from servicecircle import workflows
    from servicecircle.demo import demo_register_specs, demo_seat_points
    from servicecircle.outputs import SOURCES_DEMO
    from servicecircle.scenarios import load_scenario

    region_obj = workflows.load_region(region, seat_points=demo_seat_points())
    imported = workflows.import_registers(demo_register_specs(), region_obj)
    run = workflows.coverage_run(region_obj, imported, plan=plan)
    reach = scenario = None
    with Workspace.open(out / "servicecircle.duckdb") as ws:
        runs = ws.runs()
        demo = runs[runs["kind"] == "demo"]
        if len(demo):
            saved = ws.load_run(int(demo["run_id"].iloc[-1]))
            params = saved.params.get("reach") or {}
            if "reach_township" in saved.tables:
                reach = reach_from_tables(
                    saved.tables["reach_township"],
                    saved.tables.get("reach_scenarios", pd.DataFrame()),
                    counties=region_obj.counties,
                    minutes=float(params.get("minutes", 15)),
                    walk_speed_m_s=float(params.get("walk_speed_m_s", 1.0)),
                )
        found = [load_scenario(ws, int(i)) for i in runs.loc[runs["kind"] == "siting", "run_id"]]
        best = [sc for sc in found if sc.kind == "best_k"] or found
        scenario = best[-1] if best else None
    png = out / "coverage_map.png"
    return write_briefing(
        path,
        run,
        sources=SOURCES_DEMO,
        reach=reach,
        scenario=scenario,
        map_png=png if png.is_file() else None,
    )
