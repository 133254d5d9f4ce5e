"""Levels of the region a planner looks at: 全国, province, city, county, township.

The headline cards show the figures of the chosen level — a city's cards are its roll-up,
never its first county — with every plan target that applies and its status; the drill-down
lists the units one level down (provinces, cities, counties, townships) with their rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pandas as pd

from geo.layers import LAYERS, LEVEL_LABELS
from servicecircle.briefing import region_scope as scope_of
from servicecircle.briefing import target_sources

if TYPE_CHECKING:
    from servicecircle.workflows import CoverageRun


#: the whole country's region code (as in the plan catalogue)
NATIONAL_CODE: Final = "000000"


#: scope key -> Chinese label
SCOPE_LABELS: Final[dict[str, str]] = {
    "national": "全国",
    "province": "省",
    "city": "地级市",
    "county": "区县",
    "township": "乡镇（街道）",
}


def child_scope(scope: str) -> str:
    """The level one down (a county's children are its townships)."""
    order = ("national", "province", "city", "county", "township")
    return order[min(order.index(scope) + 1, len(order) - 1)]


@dataclass(frozen=True)
class TargetStatus:
    """One plan target a headline is held to, as the card shows it."""

    text: str  # e.g. 江西省（主要指标表）≥60%（2025）
    target_pct: float
    status: str
    units_needed: int | None


@dataclass(frozen=True)
class Headline:
    """One layer's card: its rate at the chosen level and every target that applies."""

    layer: str
    label: str
    unit_level: str
    covered: int
    units: int
    rate: float
    targets: tuple[TargetStatus, ...]

    @property
    def status(self) -> str:
        """达标 when every target is met, 未达标 when one is not, else 无对应指标."""
        if not self.targets:
            return "无对应指标"
        return "达标" if all(t.status == "达标" for t in self.targets) else "未达标"


def level_comparison(run: CoverageRun) -> pd.DataFrame:
    """The run's comparison, with a 全国 roll-up (scope 'national') when the region is 全国.

    The national rows add up the units and covered units of the province rows, and are held
    to the same targets by :func:`analysis.targets.compare_with_targets`.
    """
    comparison = run.comparison
    if run.region.code != NATIONAL_CODE:
        return comparison
    from analysis.targets import compare_with_targets

    prov = run.summary[run.summary["scope"] == "province"]
    rows = []
    for (layer, level), grp in prov.groupby(["layer", "unit_level"], sort=False):
        units, covered = int(grp["units"].sum()), int(grp["covered"].sum())
        rows.append(
            {
                "scope": "national",
                "code": NATIONAL_CODE,
                "name": "全国",
                "layer": layer,
                "unit_level": level,
                "units": units,
                "covered": covered,
                "rate": covered / units if units else float("nan"),
                "uncovered_codes": [c for lst in grp["uncovered_codes"] for c in lst],
                "uncovered_names": [c for lst in grp["uncovered_names"] for c in lst],
            }
        )
    national = compare_with_targets(pd.DataFrame(rows, columns=run.summary.columns), run.targets)
    return pd.concat([comparison, national], ignore_index=True)


def target_text(row: pd.Series, sources: dict[str, str]) -> str:
    """A target as the card says it: plan, where in the plan, comparator, value, year."""
    sign = "≥" if row["comparator"] == ">=" else ">"
    where = sources.get(str(row["target_id"]), "")
    plan = str(row["plan_name"] or "")
    return f"{plan}{'（' + where + '）' if where else ''}{sign}{float(row['target_pct']):g}%（{int(row['year'])}）"


def headlines(
    comparison: pd.DataFrame, *, scope: str, code: str, targets: pd.DataFrame | None = None
) -> list[Headline]:
    """Per layer, the card of unit ``code`` at ``scope``: rate and every target with its status.

    The rate shown is the layer's first unit level (townships; counties for 骨灰安放设施) and
    the targets are all those held to that unit, of every unit level.
    """
    sources = target_sources(targets)
    rows = comparison[(comparison["scope"] == scope) & (comparison["code"].astype(str) == code)]
    out = []
    for layer, label in LAYERS.items():
        sub = rows[rows["layer"] == layer]
        if sub.empty:
            continue
        levels = list(dict.fromkeys(sub["unit_level"]))
        held = sub[sub["held_to"].notna()]
        level = str(held["unit_level"].iloc[0]) if len(held) else str(levels[0])
        first = sub[sub["unit_level"] == level].iloc[0]
        statuses = tuple(
            TargetStatus(
                text=target_text(r, sources)
                + ("" if r["unit_level"] == level else f"，{LEVEL_LABELS.get(r['unit_level'])}"),
                target_pct=float(r["target_pct"]),
                status=str(r["status"]),
                units_needed=None if pd.isna(r["units_needed"]) else int(r["units_needed"]),
            )
            for _, r in held.iterrows()
        )
        out.append(
            Headline(
                layer=layer,
                label=label,
                unit_level=level,
                covered=int(first["covered"]),
                units=int(first["units"]),
                rate=float(first["rate"]) if pd.notna(first["rate"]) else float("nan"),
                targets=statuses,
            )
        )
    return out


def headline_lines(h: Headline) -> list[str]:
    """The lines under a card: each target with its value, status and what is missing."""
    if not h.targets:
        return ["无对应规划指标"]
    lines = []
    for t in h.targets:
        need = f"，还需覆盖 {t.units_needed} 个" if t.units_needed else ""
        mark = "✅" if t.status == "达标" else "❌"
        lines.append(f"{mark} 目标 {t.text}：{t.status}{need}")
    return lines


def children(region_code: str) -> pd.DataFrame:
    """The units one level down of a region (``code, name``): provinces, cities or counties.

    Empty for a county (its townships are listed from the run instead).
    """
    from geo.divisions import official_counties

    counties = official_counties()
    scope = scope_of(region_code)
    if scope == "county":
        return pd.DataFrame(columns=["code", "name"])
    if scope == "national":
        col, name = "province_code", "province_name"
    elif scope == "province":
        col, name = "city_code", "city_name"
        counties = counties[counties["province_code"] == region_code]
    else:
        col, name = "code", "name"
        counties = counties[counties["city_code"] == region_code]
    out = counties.drop_duplicates(col)[[col, name]]
    return out.set_axis(["code", "name"], axis=1).reset_index(drop=True)


def drill_table(run: CoverageRun, comparison: pd.DataFrame) -> pd.DataFrame:
    """One row per unit one level down, with each layer's coverage rate (covered/units).

    Columns: 代码, 名称, then one column per layer present; for a county, its townships
    with 有/— per layer.
    """
    scope = scope_of(run.region.code)
    if scope == "county":
        t = run.townships
        out = pd.DataFrame({"代码": t["code"].astype(str), "名称": t["name"].astype(str)})
        out["类型"] = t["kind"].astype(str).replace({"other": "其他"}).values
        for layer, label in LAYERS.items():
            if f"n_{layer}" in t:
                out[label] = [f"{int(n)} 处" if n else "—" for n in t[f"n_{layer}"]]
        return out.reset_index(drop=True)
    down = child_scope(scope)
    rows = comparison[comparison["scope"] == down]
    kids = children(run.region.code)
    out = kids.rename(columns={"code": "代码", "name": "名称"})
    for layer, label in LAYERS.items():
        sub = rows[rows["layer"] == layer].drop_duplicates(["code", "unit_level"])
        if sub.empty:
            continue
        level = str(sub["unit_level"].iloc[0])
        sub = sub[sub["unit_level"] == level].set_index("code")
        out[label] = [
            "—"
            if c not in sub.index or pd.isna(sub.at[c, "rate"])
            else f"{sub.at[c, 'rate']:.1%}（{int(sub.at[c, 'covered'])}/{int(sub.at[c, 'units'])}）"
            for c in out["代码"]
        ]
    return out.reset_index(drop=True)
