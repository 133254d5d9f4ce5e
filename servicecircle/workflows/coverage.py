"""The coverage run: facilities assigned to townships, coverage measured, held to plan targets.

The four layers of the mission are always summarised (0 covered when no register holds them);
民政服务站 when a register holds one; the village-counted layers (社区日间照料机构 per 城市社区,
农村互助养老服务设施 per 建制村) through :mod:`servicecircle.workflows.villages`, whose county,
city and province rows join the summary held to the plan targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from analysis.assign import assign_facilities, disagreements
from analysis.coverage import coverage_summary, township_counts
from geo.layers import DEFAULT_UNIT_LEVEL, LAYERS, TOWNSHIP_LAYERS, VILLAGE_LEVEL_KINDS
from servicecircle.workflows.region import WGS84, Region
from servicecircle.workflows.registers import Imported
from servicecircle.workflows.villages import VillageRun, village_run


@dataclass(frozen=True)
class CoverageRun:
    region: Region
    facilities: gpd.GeoDataFrame  # with township_code (chosen), county_code, assigned_by
    report: pd.DataFrame
    disagreements: pd.DataFrame
    townships: gpd.GeoDataFrame  # region.townships + n_<layer>, covered_<layer>
    summary: pd.DataFrame
    targets: pd.DataFrame
    comparison: pd.DataFrame
    params: dict = field(default_factory=dict)
    villages: VillageRun | None = None  # village-level units and coverage, when measured


def coverage_run(
    region: Region,
    imported: Imported,
    *,
    plan: str | None = None,
    prefer: str = "polygon",
    year: int | None = None,
    catalogue: pd.DataFrame | None = None,
    register_specs: Sequence = (),
    village_list: Path | None = None,
    village_polygons: Path | None = None,
) -> CoverageRun:
    """Assign facilities, measure coverage and hold it to the plan targets.

    ``register_specs`` (the files behind ``imported``), ``village_list`` and
    ``village_polygons`` serve the village-level layers (see :func:`village_run`).
    """
    from analysis.targets import compare_with_targets, targets_for_region
    from geo.plans import read_plan_targets

    facilities = imported.facilities
    with_poly = region.townships[region.townships.geometry.notna()]
    assigned = assign_facilities(
        facilities, with_poly, prefer=prefer, counties=region.county_polygons
    )
    placed = facilities.drop(columns=["township_code"]).join(
        assigned[["township_code", "county_code", "assigned_by", "by_polygon", "by_declared"]]
    )
    placed = gpd.GeoDataFrame(placed, geometry="geometry", crs=WGS84)
    present = set(placed["layer"].astype(str))
    # township counts for the four layers and every layer a register holds (a village layer's
    # per-township count shades the map); summary rows only where the township is the unit
    counted = [k for k in LAYERS if k in TOWNSHIP_LAYERS or k in present]
    layers = [k for k in counted if DEFAULT_UNIT_LEVEL[k] not in VILLAGE_LEVEL_KINDS]
    counts = township_counts(region.townships, placed, layers=counted)
    townships = gpd.GeoDataFrame(region.townships.join(counts), geometry="geometry", crs=WGS84)
    summary = coverage_summary(region.townships, placed, region.counties, layers=layers)
    vrun = village_run(
        region,
        placed,
        register_specs=register_specs,
        village_list=village_list,
        village_polygons=village_polygons,
    )
    if vrun is not None:
        rolled = vrun.summary[vrun.summary["scope"] != "township"]
        summary = pd.concat([summary, rolled], ignore_index=True)
        cols = ["village_code", "village_name", "village_by"]
        placed = placed.join(vrun.assigned[cols])
        placed[cols] = placed[cols].fillna("")
    cat = catalogue if catalogue is not None else read_plan_targets()
    targets = targets_for_region(cat, region_code=region.code, plan=plan, year=year)
    comparison = compare_with_targets(summary, targets)
    return CoverageRun(
        region=region,
        facilities=placed,
        report=imported.report,
        disagreements=disagreements(facilities, assigned, region.townships),
        townships=townships,
        summary=summary,
        targets=targets,
        comparison=comparison,
        params={
            "region": region.code,
            "plan": plan,
            "prefer": prefer,
            "year": year,
            "polygons": region.polygon_source,
            "villages": vrun.source if vrun is not None else None,
        },
        villages=vrun,
    )
