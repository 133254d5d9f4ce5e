"""The 15-minute service circle: who can walk to a facility over the street network.

Every home counts: ``reached``, ``unreached`` (on the network, no facility within the budget:
too far, or on a piece of the network without one) or ``off_network`` (farther than the access
distance from every street); reached + unreached + off_network = the total, per township and
county. Every connected piece of the network is kept, and the pieces are reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo._errors import InputError
from servicecircle.workflows.region import WGS84, Region, group_of
from servicecircle.workflows.streets import Streets


@dataclass(frozen=True)
class ReachRun:
    """The 15-minute service circle of one facility layer over one region."""

    minutes: float
    walk_speed_m_s: float
    demand_source: str
    weight_label: str
    demand: gpd.GeoDataFrame  # + township_code, county_code, minutes, minutes_straight,
    # facility_id, snapped, status (reached / unreached / off_network), piece
    by_township: pd.DataFrame
    by_county: pd.DataFrame
    scenarios: pd.DataFrame  # speed × (network share, straight-line share)
    service_areas: gpd.GeoDataFrame  # one polygon per facility (EPSG:4326)
    straight_line: gpd.GeoDataFrame  # buffer circles (EPSG:4326), labelled straight-line
    uncovered: gpd.GeoDataFrame  # demand points on the network outside every service area
    unsnapped_facilities: pd.DataFrame
    params: dict = field(default_factory=dict)
    pieces: pd.DataFrame = field(default_factory=pd.DataFrame)  # pieces with homes/facilities
    components: dict = field(default_factory=dict)  # PiecesReport.summary()


def check_reach_inputs(
    *, streets: Path | None, demand: Path | None, weight_column: str | None = None
) -> None:
    """Every reach input checked before the street network is built (seconds, not minutes):
    the street file's kind and header, the demand table's coordinate and weight headers.

    Raises
    ------
    InputError, DataMissingError
        The first problem found, naming the file and the fix.
    """
    from geo.demand import check_demand_file
    from geo.network import check_street_file

    if demand is None and weight_column:
        raise InputError(
            f"--weight-column {weight_column!r} 需要 --demand（人口点表）；不给人口点表时每个点权重为1"
        )
    if demand is not None:
        check_demand_file(demand, weight_column=weight_column)
    if streets is not None:
        check_street_file(streets)


def reach_run(
    region: Region,
    facilities: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    streets: Streets,
    *,
    minutes: float = 15.0,
    walk_speed_m_s: float = 1.0,
    speeds: Sequence[float] = (1.0, 0.9, 0.8, 0.6),
    demand_source: str = "",
    weight_label: str = "每个居住点权重为1（均匀）",
    snap_max_m: float = 300.0,
) -> ReachRun:
    """Who can walk to a facility within ``minutes`` over the street network, per township.

    Parameters
    ----------
    facilities
        The facility layer (points, EPSG:4326), e.g. the 养老服务中心 of a coverage run.
    demand
        Demand points (``demand_id, name, weight``, EPSG:4326).
    speeds
        Speed scenarios (m/s) compared side by side with the straight-line radius.
    """
    from analysis import reach

    arrays = streets.arrays
    fac = facilities[facilities.geometry.notna() & ~facilities.geometry.is_empty]
    if fac.empty:
        raise InputError("no facility with coordinates to measure the service circle from")
    if demand.empty:
        raise InputError(
            "no demand points in the region: give a 社区/小区 table or residential points"
        )
    fac = fac.reset_index(drop=True)
    dem = demand.reset_index(drop=True)
    fsnap = reach.snap_points(arrays, fac, max_distance_m=snap_max_m)
    dsnap = reach.snap_points(arrays, dem, max_distance_m=snap_max_m)
    limit_s = minutes * 60.0 / min(min(speeds), walk_speed_m_s) + 1.0
    times = reach.nearest_facility(arrays, fsnap, walk_speed_m_s=walk_speed_m_s, limit_s=limit_s)
    dt_ = reach.demand_times(arrays, times, dsnap, fsnap, walk_speed_m_s=walk_speed_m_s)
    straight = reach.straight_line_minutes(fac, dem, walk_speed_m_s=walk_speed_m_s)
    pieces = reach.pieces_report(
        arrays, facility_snaps=fsnap, demand_snaps=dsnap, demand_weights=dem["weight"]
    )
    township = group_of(dem, region.townships)
    county = group_of(dem, region.county_polygons)
    out = dem.assign(
        township_code=township.values,
        county_code=county.values,
        minutes=dt_["minutes"].values,
        minutes_straight=straight.values,
        facility_id=[
            fac["facility_id"].iloc[int(i)] if i >= 0 else ""
            for i in dt_["facility"].fillna(-1).astype(int)
        ],
        snapped=dt_["snapped"].values,
        status=reach.reach_status(dt_["minutes"], budget_min=minutes).values,
        piece=pieces.demand_piece,
    )
    names = region.townships.set_index("code")["name"]
    by_t = reach.reach_by_group(
        out["minutes"],
        budget_min=minutes,
        weights=out["weight"],
        groups=out["township_code"].rename("code"),
    )
    by_t = by_t.reset_index()
    by_t.insert(1, "name", by_t["code"].map(names).fillna("（无乡镇边界）"))
    # every township of the region appears, even one without demand points
    all_t = region.townships[["code", "name", "county_code", "approximate"]].merge(
        by_t.drop(columns="name"), on="code", how="left"
    )
    extra = by_t[~by_t["code"].isin(region.townships["code"])]
    by_township = pd.concat([all_t, extra], ignore_index=True)
    by_c = reach.reach_by_group(
        out["minutes"],
        budget_min=minutes,
        weights=out["weight"],
        groups=out["county_code"].rename("code"),
    ).reset_index()
    by_c.insert(
        1, "name", by_c["code"].map(region.counties.set_index("code")["name"]).fillna("（区域外）")
    )
    rows = []
    total_w = float(out["weight"].sum())
    n_points = len(out)
    for v in speeds:
        t_v = reach.nearest_facility(arrays, fsnap, walk_speed_m_s=v, limit_s=limit_s)
        m_v = reach.demand_times(arrays, t_v, dsnap, fsnap, walk_speed_m_s=v)["minutes"]
        hit = (reach.reach_status(m_v, budget_min=minutes) == "reached").to_numpy()
        s_v = straight * walk_speed_m_s / v
        # every point counts: off-network homes are in the denominator, not reached
        rows.append(
            {
                "walk_speed_m_s": v,
                "radius_m": v * minutes * 60.0,
                "share_points": float(hit.sum() / n_points) if n_points else float("nan"),
                "share_weight": float(out["weight"].to_numpy()[hit].sum() / total_w)
                if total_w
                else float("nan"),
                "share_points_straight_line": float((s_v <= minutes).mean())
                if n_points
                else float("nan"),
            }
        )
    scenarios = pd.DataFrame(rows)
    areas = reach.service_areas(arrays, times, fsnap, budget_s=minutes * 60.0)
    areas = areas.assign(facility_id=fac["facility_id"].values, name=fac["name"].values)
    areas = areas[~areas.geometry.is_empty].to_crs(WGS84)
    circles = reach.buffer_areas(fac, radius_m=walk_speed_m_s * minutes * 60.0)
    circles = circles.assign(name=fac["name"].values).to_crs(WGS84)
    uncovered = out[out["status"] == "unreached"]
    unsnapped_f = pd.DataFrame(fac.loc[~fsnap["snapped"].values, ["facility_id", "name"]])
    return ReachRun(
        minutes=minutes,
        walk_speed_m_s=walk_speed_m_s,
        demand_source=demand_source,
        weight_label=weight_label,
        demand=out,
        by_township=by_township,
        by_county=by_c,
        scenarios=scenarios,
        service_areas=areas,
        straight_line=circles,
        uncovered=gpd.GeoDataFrame(uncovered, crs=WGS84),
        unsnapped_facilities=unsnapped_f,
        params={
            "minutes": minutes,
            "walk_speed_m_s": walk_speed_m_s,
            "speeds": list(speeds),
            "demand_source": demand_source,
            "weight": weight_label,
            "streets": streets.source,
            "snap_max_m": snap_max_m,
            "components": pieces.summary(),
        },
        pieces=_pieces_shown(pieces.table),
        components=pieces.summary(),
    )


def _pieces_shown(table: pd.DataFrame) -> pd.DataFrame:
    """The pieces worth a row in a report: those with homes or facilities, largest first."""
    return table[(table["demand_points"] > 0) | (table["facilities"] > 0)].reset_index(drop=True)
