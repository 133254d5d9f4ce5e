"""How each catalogue target is measured: the register (layer) and units it counts, or why not.

A target is measured when a coverage run produces a summary row of its ``layer`` and
``unit_level`` (see :func:`measured_levels`); reach statements are measured by the 15-minute
walking reach and carry no percentage to compare.
"""

from __future__ import annotations

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
