"""The coverage run: facilities assigned to townships, coverage measured, held to plan targets."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from analysis.assign import assign_facilities, disagreements
from analysis.coverage import coverage_summary, township_counts
from geo.layers import LAYERS
from servicecircle.workflows.region import WGS84, Region
from servicecircle.workflows.registers import Imported


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


def coverage_run(
    region: Region,
    imported: Imported,
    *,
    plan: str | None = None,
    prefer: str = "polygon",
    year: int | None = None,
    catalogue: pd.DataFrame | None = None,
) -> CoverageRun:
    """Assign facilities, measure coverage and hold it to the plan targets."""
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
    layers = list(LAYERS)
    counts = township_counts(region.townships, placed, layers=layers)
    townships = gpd.GeoDataFrame(region.townships.join(counts), geometry="geometry", crs=WGS84)
    summary = coverage_summary(region.townships, placed, region.counties, layers=layers)
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
        },
    )
