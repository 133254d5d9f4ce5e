"""How each catalogue target is measured: the register (layer) and units it counts, or why not.

A target is measured when a coverage run produces a summary row of its ``layer`` and
``unit_level`` (see :func:`measured_levels`); reach statements are measured by the 15-minute
walking reach and carry no percentage to compare.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from analysis.coverage import LEVELS_BY_LAYER
from geo.layers import DEFAULT_UNIT_LEVEL, LAYERS, LEVEL_LABELS, VILLAGE_LEVEL_KINDS

#: the columns :func:`measuring_paths` returns
MEASURE_COLUMNS: tuple[str, ...] = ("target_id", "measured", "register", "units", "how")


def measured_levels() -> dict[str, tuple[str, ...]]:
    """The unit levels a coverage run summarises, per layer (township layers and village ones)."""
    out = {layer: tuple(levels) for layer, levels in LEVELS_BY_LAYER.items()}
    for layer, level in DEFAULT_UNIT_LEVEL.items():
        if level in VILLAGE_LEVEL_KINDS:
            out[layer] = (level,)
    return out


def measuring_path(layer: str, unit_level: str) -> tuple[bool, str]:
    """(measured?, how) for a target of this layer and unit level."""
    if unit_level == "reach":
        return True, (
            "15分钟步行可达：servicecircle reach（养老服务中心登记表 + 路网 + 居住点），"
            "给出可达人口比例；规划未给百分比，不做达标判断"
        )
    levels = measured_levels().get(layer)
    if levels is None:
        return False, f"没有对应的设施登记表类型（layer {layer!r}）：规划未给出可计数的设施或单元"
    if unit_level not in levels:
        return False, (
            f"{LAYERS[layer]}按{'、'.join(LEVEL_LABELS[v] for v in levels)}统计，"
            f"不按{LEVEL_LABELS.get(unit_level, unit_level)}统计"
        )
    return True, (
        f"{LAYERS[layer]}登记表：有设施的{LEVEL_LABELS[unit_level]}数 ÷ "
        f"官方名录中的{LEVEL_LABELS[unit_level]}数"
    )


def measuring_paths(targets: pd.DataFrame) -> pd.DataFrame:
    """One row per catalogue row: whether and how it is measured (columns :data:`MEASURE_COLUMNS`)."""
    rows = []
    for rec in targets.to_dict("records"):
        ok, how = measuring_path(str(rec["layer"]), str(rec["unit_level"]))
        rows.append(
            {
                "target_id": rec["target_id"],
                "measured": ok,
                "register": LAYERS.get(str(rec["layer"]), ""),
                "units": LEVEL_LABELS.get(str(rec["unit_level"]), str(rec["unit_level"])),
                "how": how,
            }
        )
    return pd.DataFrame(rows, columns=list(MEASURE_COLUMNS))


#: the columns :func:`measured_targets` returns
MEASURED_COLUMNS: tuple[str, ...] = (
    "target_id",
    "plan_name",
    "indicator",
    "layer",
    "unit_level",
    "year",
    "comparator",
    "value_pct",
    "covered",
    "units",
    "rate",
    "status",
    "units_needed",
    "uncovered_names",
    "how",
    "citation",
)


def measured_targets(
    targets: pd.DataFrame,
    comparison: pd.DataFrame,
    *,
    scope: str,
    code: str,
    registered: Collection[str] | None = None,
) -> pd.DataFrame:
    """Every target with the figure measured for one summary unit (e.g. county 360203).

    A target with no comparison row at that unit, or whose layer is not in ``registered`` (the
    layers the registers held; None: all), keeps empty figures and its ``status`` says what
    would measure it; reach statements say where the walking reach is measured.
    """
    here = comparison[(comparison["scope"] == scope) & (comparison["code"].astype(str) == code)]
    by_id = {str(r["target_id"]): r for r in here.to_dict("records") if r.get("target_id")}
    rows = []
    for rec in targets.to_dict("records"):
        ok, how = measuring_path(str(rec["layer"]), str(rec["unit_level"]))
        hit = by_id.get(str(rec["target_id"]))
        if registered is not None and rec["layer"] not in registered:
            hit = None
        row = {c: rec.get(c) for c in MEASURED_COLUMNS if c in rec}
        row["how"] = how
        if hit is not None:
            row.update(
                covered=int(hit["covered"]),
                units=int(hit["units"]),
                rate=float(hit["rate"]) if hit["units"] else float("nan"),
                status=hit["status"],
                units_needed=hit["units_needed"],
                uncovered_names=list(hit["uncovered_names"]),
            )
        elif rec["unit_level"] == "reach":
            row.update(status="15分钟服务圈：见 servicecircle reach（无百分比）")
        else:
            label = LAYERS.get(str(rec["layer"]), str(rec["layer"]))
            row.update(status=f"未测：需要{label}登记表" if ok else "未测：" + how)
        rows.append(row)
    out = pd.DataFrame(rows, columns=list(MEASURED_COLUMNS))
    out["covered"] = out["covered"].astype("Int64")
    out["units"] = out["units"].astype("Int64")
    out["units_needed"] = out["units_needed"].astype("Int64")
    return out
