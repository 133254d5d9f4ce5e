"""Display tables in Chinese: validation report, sources, plan dashboard, reach and scenarios."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from servicecircle.app_support.choices import SCENARIO_KINDS, SOLVER_LABELS

if TYPE_CHECKING:
    pass


def report_counts(report: pd.DataFrame) -> dict[str, int]:
    """How many report rows were rejected, repaired and warnings (0 when absent)."""
    counts = report["action"].value_counts() if len(report) else pd.Series(dtype=int)
    return {a: int(counts.get(a, 0)) for a in ("rejected", "repaired", "warning")}


def report_table(report: pd.DataFrame) -> pd.DataFrame:
    """The validation report with Chinese headers, as the planner reads it."""
    action = {"rejected": "未导入", "repaired": "已修正后导入", "warning": "提示"}
    out = pd.DataFrame(
        {
            "文件": report["file"].astype(str),
            "行": report["row"],
            "列": report["column"].astype(str),
            "值": report["value"].astype(str),
            "问题": report["reason"].astype(str),
            "修改建议": report["fix"].astype(str),
            "处理": report["action"].map(action).fillna(report["action"]).astype(str),
        },
        index=report.index,
    )
    return out


def sources_table(sources: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """How each register was read (format, encoding, coordinate system, rows), in Chinese."""

    def _crs(value: Any) -> str:
        text = "" if value is None else str(value)
        if text.startswith(("GEOGCRS[", "PROJCRS[", "GEOGCS[", "PROJCS[")) and '"' in text:
            return text.split('"')[1]  # the CRS's name, not its whole WKT
        return text

    def _cols(value: Any) -> str:
        return "，".join(f"{k}={v}" for k, v in dict(value or {}).items())

    return pd.DataFrame(
        {
            "文件": [str(s.get("file", "")) for s in sources],
            "格式": [str(s.get("format") or "") for s in sources],
            "编码": [str(s.get("encoding") or "") for s in sources],
            "坐标系": [_crs(s.get("crs")) for s in sources],
            "坐标系依据": [str(s.get("crs_reason") or "") for s in sources],
            "识别的列": [_cols(s.get("columns")) for s in sources],
            "读取行": [int(s.get("rows_read") or 0) for s in sources],
            "导入行": [int(s.get("rows_kept") or 0) for s in sources],
            "未导入行": [int(s.get("rows_rejected") or 0) for s in sources],
        }
    )


def dashboard_table(
    comparison: pd.DataFrame, *, scope: str = "county", targets: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per unit, layer and target: coverage, the target, 达标/未达标 and what is missing.

    Parameters
    ----------
    comparison
        :attr:`CoverageRun.comparison`.
    scope
        Which roll-up to show: 'county', 'city', 'province' or 'national'.
    targets
        The run's targets (to say where in the plan each is: 主要指标表 / 专栏 / 正文).
    """
    from servicecircle.briefing import target_table

    rows = comparison[comparison["scope"] == scope]

    def _names(value: Any) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        return "、".join(str(v) for v in list(value))

    table = target_table(rows, scopes=[scope], targets=targets)
    return table.assign(未覆盖单位=[_names(v) for v in rows["uncovered_names"]])


def reach_township_table(by_township: pd.DataFrame, *, minutes: float) -> pd.DataFrame:
    """Per township: demand points, how many reach a facility within ``minutes``, the shares."""

    def _pct(v: Any) -> str:
        return "—" if pd.isna(v) else f"{float(v):.1%}"

    def _int(v: Any) -> str:
        return "—" if pd.isna(v) else str(int(v))

    return pd.DataFrame(
        {
            "代码": by_township["code"].astype(str),
            "乡镇（街道）": by_township["name"].astype(str),
            "居住点": [_int(v) for v in by_township["points"]],
            f"{minutes:g}分钟可达": [_int(v) for v in by_township["points_reached"]],
            "可达比例（点）": [_pct(v) for v in by_township["share_points"]],
            "可达比例（加权）": [_pct(v) for v in by_township["share_weight"]],
            "未接入路网（计入分母）": [_int(v) for v in by_township["points_off_network"]],
            "近似边界": ["是" if bool(v) else "" for v in by_township["approximate"].fillna(False)],
        },
        index=by_township.index,
    )


def reach_scenario_table(scenarios: pd.DataFrame, *, minutes: float) -> pd.DataFrame:
    """Walking speed scenarios: street-network share against the straight-line radius share."""
    return pd.DataFrame(
        {
            "步行速度（米/秒）": [f"{v:g}" for v in scenarios["walk_speed_m_s"]],
            f"{minutes:g}分钟直线半径（米）": [f"{v:,.0f}" for v in scenarios["radius_m"]],
            "沿路网可达比例": [f"{v:.1%}" for v in scenarios["share_points"]],
            "按人口加权": [f"{v:.1%}" for v in scenarios["share_weight"]],
            "直线距离口径": [f"{v:.1%}" for v in scenarios["share_points_straight_line"]],
        },
        index=scenarios.index,
    )


def reach_statements(region_code: str, *, plan: str | None) -> list[str]:
    """The plan statements on walking reach (15分钟养老服务圈) the region answers to."""
    from analysis.targets import reach_targets
    from geo.plans import read_plan_targets

    rows = reach_targets(read_plan_targets(), region_code=region_code, plan=plan)
    return [
        f"{r.plan_name}：{r.indicator}（{r.year}）" for r in rows.itertuples() if str(r.indicator)
    ]


def scenarios_table(scenarios: Sequence[Any]) -> pd.DataFrame:
    """The scenarios side by side, in Chinese (from :func:`servicecircle.scenarios.compare_scenarios`)."""
    from servicecircle.scenarios import compare_scenarios

    if not scenarios:
        return pd.DataFrame()
    t = compare_scenarios(list(scenarios))
    return pd.DataFrame(
        {
            "方案": t["scenario"].astype(str),
            "类型": t["kind"].map(SCENARIO_KINDS).fillna(t["kind"]).astype(str),
            "新增": t["sites"].astype(int),
            "关闭": t["closed"].astype(int),
            "可达（前）": [f"{v:.1%}" for v in t["share_before"]],
            "可达（后）": [f"{v:.1%}" for v in t["share_after"]],
            "乡镇覆盖（后）": t["status_after"].astype(str),
            "求解": t["solver"].map(SOLVER_LABELS).fillna(t["solver"]).astype(str),
            "间隙": ["—" if pd.isna(v) else f"{v:.2%}" for v in t["gap"]],
            "用时（秒）": [f"{v:.2f}" for v in t["time_s"]],
        }
    )


def gain_label(scenario: Any, *, weighted: bool) -> str:
    """The header of what each new site adds, with its unit."""
    if scenario.kind == "township_target":
        return "新增覆盖乡镇（街道）（个）"
    return "新增可达60岁以上人口（人，估算）" if weighted else "新增可达居住小区（个）"


def chosen_table(scenario: Any, *, weighted: bool = True) -> pd.DataFrame:
    """A scenario's new sites in order, with what each adds (and its unit), in Chinese."""
    c = scenario.chosen
    return pd.DataFrame(
        {
            "顺序": c["order"].astype(int),
            "编号": c["site_id"].astype(str),
            "名称": c["name"].astype(str),
            "来源": c["source"].astype(str) if "source" in c else "",
            "乡镇（街道）": c["township"].astype(str),
            "经度": [round(g.x, 6) for g in c.geometry],
            "纬度": [round(g.y, 6) for g in c.geometry],
            gain_label(scenario, weighted=weighted): [f"{v:,.0f}" for v in c["gain_weight"]],
        }
    )
