"""End-to-end runs shared by the CLI, the demo and the app: read (geo) -> measure (analysis).

Nothing here draws widgets or parses arguments; everything here returns frozen records.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from analysis.assign import assign_facilities, disagreements
from analysis.coverage import coverage_summary, township_counts
from geo import boundaries, divisions
from servicecircle._errors import InputError
from servicecircle.layers import LAYERS

WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class RegisterSpec:
    """One register file to import: where it is and how to read it."""

    source: Path | tuple[bytes, str]
    layer: str | None = None
    crs: str = "auto"
    columns: dict[str, str] | None = None
    sheet: str | None = None


@dataclass(frozen=True)
class Region:
    """The counties measured, their township list and polygons."""

    code: str
    counties: pd.DataFrame
    county_polygons: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame  # official units; geometry where known; approximate flag
    polygon_source: str
    notes: tuple[str, ...] = ()
    seats: gpd.GeoDataFrame | None = None  # township-seat points used for approximate polygons

    @property
    def name(self) -> str:
        if len(self.counties) == 1:
            return str(self.counties["name"].iloc[0])
        first = self.counties.iloc[0]
        if len(self.code) == 4:
            return str(first["city_name"])
        return str(first["province_name"])


@dataclass(frozen=True)
class Imported:
    """Facilities of every register, the validation report and the import sources."""

    facilities: gpd.GeoDataFrame
    report: pd.DataFrame
    sources: tuple[dict, ...]
    parts: tuple = ()  # one geo.registers.RegisterImport per register, in order


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


def load_region(
    region_code: str,
    *,
    kinds: tuple[str, ...] | None = None,
    township_list: Path | None = None,
    township_polygons: Path | None = None,
    county_boundaries: Path | None = None,
    seat_points: gpd.GeoDataFrame | None = None,
) -> Region:
    """Counties, official townships and township polygons for a region code.

    Township polygons come from ``township_polygons`` when given; else they are approximated
    from ``seat_points`` (e.g. OSM 街道办事处; the demo passes the bundle's); else there are none
    and facilities are assigned by their declared township only.
    """
    counties = divisions.counties_in(region_code)
    codes = counties["code"].tolist()
    official = (
        divisions.read_township_list(township_list)
        if township_list is not None
        else divisions.official_townships()
    )
    townships = divisions.townships_of(codes, kinds=kinds, townships=official)
    if townships.empty:
        raise InputError(
            f"no township-level units for region {region_code} in the "
            f"{'given list ' + str(township_list) if township_list else 'official 2023 list'}"
            + (f" with kinds {kinds}" if kinds else "")
        )
    polys = boundaries.county_polygons(codes, path=county_boundaries)
    notes: list[str] = []
    geoms = pd.Series([None] * len(townships), index=townships.index, dtype=object)
    approximate = pd.Series(False, index=townships.index)
    if township_polygons is not None:
        user, report = boundaries.read_polygons(township_polygons, what="township boundary")
        by_code = user.set_index("code").geometry
        hit = townships["code"].map(by_code)
        if hit.isna().all() and "name" in user:
            from geo.names import match_townships

            m = match_townships(user["name"], townships)
            user = user.assign(code=m["township_code"].values)
            hit = townships["code"].map(user[user.code != ""].set_index("code").geometry)
        geoms = hit
        source = f"用户提供的乡镇边界文件 {Path(township_polygons).name}"
        seat_frames: list = []
        notes += [f"{r.file} row {r.row}: {r.reason}" for r in report.itertuples()]
    elif seat_points is not None and not seat_points.empty:
        from geo.crs import local_metric_crs

        parts = []
        seat_frames = []
        for county in polys.itertuples():
            c = county.geometry.centroid
            metric = local_metric_crs(c.x, c.y)
            sub = townships[townships["county_code"] == county.code]
            seats, unmatched = boundaries.township_seats_from_pois(
                seat_points, sub, county=county.geometry, metric_crs=metric
            )
            if seats.empty:
                notes.append(f"{county.name}：没有匹配到乡镇驻地点，无乡镇边界")
                continue
            if len(unmatched):
                notes.append(
                    f"{county.name}：{len(unmatched)} 个乡镇（街道）没有驻地点，无近似边界，"
                    f"只能按登记名称归属：{'、'.join(unmatched['name'])}"
                )
            parts.append(
                boundaries.approximate_township_polygons(county.geometry, seats, metric_crs=metric)
            )
            seat_frames.append(seats)
        if parts:
            cells = pd.concat(parts).set_index("code").geometry
            geoms = townships["code"].map(cells)
            approximate = geoms.notna()
        source = "近似边界：OSM 街道办事处点位的泰森多边形，裁剪至区县边界"
    else:
        source = "无乡镇边界：设施按登记的所属乡镇（街道）归属"
        seat_frames = []
    gdf = gpd.GeoDataFrame(
        townships.assign(approximate=approximate.values),
        geometry=gpd.GeoSeries(list(geoms.values), crs=WGS84),
        crs=WGS84,
    )
    seats_all = (
        gpd.GeoDataFrame(pd.concat(seat_frames, ignore_index=True), crs=WGS84)
        if seat_frames
        else None
    )
    return Region(region_code, counties, polys, gdf, source, tuple(notes), seats_all)


def import_registers(specs: Sequence[RegisterSpec], region: Region) -> Imported:
    """Read every register; good rows kept, every problem in one report."""
    from geo.registers import read_register

    area = shapely.union_all(list(region.county_polygons.geometry))
    frames, reports, sources, parts = [], [], [], []
    county = region.counties["code"].iloc[0] if len(region.counties) == 1 else None
    for spec in specs:
        result = read_register(
            spec.source,
            layer=spec.layer,
            columns=spec.columns,
            crs=spec.crs,
            sheet=spec.sheet,
            region=area,
            official=region.townships.drop(columns="geometry"),
            county_code=county,
        )
        frames.append(result.facilities)
        reports.append(result.report)
        sources.append(result.source)
        parts.append(result)
    if frames:
        facilities = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WGS84)
    else:
        facilities = _empty_facilities()
    report = (
        pd.concat(reports, ignore_index=True)
        if reports
        else pd.DataFrame(columns=list(_report_columns()))
    )
    return Imported(facilities, report, tuple(sources), tuple(parts))


def _report_columns() -> tuple[str, ...]:
    from geo.registers import REPORT_COLUMNS

    return tuple(REPORT_COLUMNS)


def _empty_facilities() -> gpd.GeoDataFrame:
    from geo.registers import FACILITY_COLUMNS

    cols = list(FACILITY_COLUMNS)
    return gpd.GeoDataFrame({c: pd.Series(dtype=str) for c in cols}, geometry=[], crs=WGS84)


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


# ------------------------------------------------------------------ 15-minute service circle
@dataclass(frozen=True)
class Streets:
    """A walking street graph, its compiled arrays, and where it came from."""

    graph: object  # networkx.MultiGraph (osmnx-compatible, projected, lengths in metres)
    arrays: object  # analysis.reach.StreetArrays
    source: str
    components: dict


def load_streets(path: Path | None = None, *, tolerance_m: float = 1.0) -> Streets:
    """Build the walking graph (osmnx) from a street file; default: the bundle's Wuhan streets.

    Built once per process for a given file (its size and modification time are part of the
    key, so an edited file is rebuilt); the graph and arrays are never modified afterwards.
    """
    from geo.bundle import bundle_path

    p = Path(path) if path is not None else bundle_path("streets_wuhan")
    if not p.is_file():
        raise InputError(f"street network file {str(p)!r} does not exist")
    stat = p.stat()
    return _load_streets(
        str(p.resolve()), stat.st_size, stat.st_mtime_ns, tolerance_m, path is None
    )


@lru_cache(maxsize=2)
def _load_streets(path: str, _size: int, _mtime: int, tolerance_m: float, bundled: bool) -> Streets:
    from analysis.reach import arrays_from_graph
    from geo.network import graph_from_file, keep_largest_component, largest_component_report

    graph = graph_from_file(Path(path), tolerance_m=tolerance_m)
    report = largest_component_report(graph)
    if report.get("components", 1) > 1:
        graph = keep_largest_component(graph)
    source = (
        "OpenStreetMap 武汉中心城区道路（reference bundle, © OpenStreetMap contributors）"
        if bundled
        else Path(path).name
    )
    streets = Streets(graph, arrays_from_graph(graph), source, report)
    # the graph lives for the whole process: move it out of the cyclic garbage collector's way,
    # or each full collection walks its ~10^6 objects (0.5 s pauses in interactive what-ifs)
    gc.collect()
    gc.freeze()
    return streets


def load_streets_online(
    polygon_wgs84: shapely.Polygon | shapely.MultiPolygon,
    *,
    workspace,  # geo.workspace.Workspace
    network_type: str = "walk",
    download=None,
) -> Streets:
    """Streets inside a polygon from OpenStreetMap (osmnx ``graph_from_polygon``, needs the
    internet), cached in the workspace: a second call for the same polygon and network type
    rebuilds the graph from the cached edge table and does not download again.

    ``download`` defaults to :func:`geo.network.graph_from_polygon_online`.
    """
    import hashlib

    from analysis.reach import arrays_from_graph
    from geo.network import edges_from_graph, graph_from_edges, graph_from_polygon_online

    key = hashlib.sha1(f"{network_type}:{polygon_wgs84.wkt}".encode()).hexdigest()[:16]
    name = f"streets_osm_{key}"
    cached = workspace.load_layer(name)
    if cached is not None and len(cached):
        graph = graph_from_edges(cached)
        source = f"OpenStreetMap ({network_type}, cached in the workspace as {name})"
    else:
        graph = (download or graph_from_polygon_online)(polygon_wgs84, network_type=network_type)
        edges = edges_from_graph(graph)
        workspace.save_layer(
            name,
            edges,
            kind="street_edges",
            params={"network_type": network_type, "polygon": polygon_wgs84.wkt},
        )
        source = f"OpenStreetMap ({network_type}, downloaded with osmnx)"
    from geo.network import largest_component_report

    return Streets(graph, arrays_from_graph(graph), source, largest_component_report(graph))


@dataclass(frozen=True)
class ReachRun:
    """The 15-minute service circle of one facility layer over one region."""

    minutes: float
    walk_speed_m_s: float
    demand_source: str
    weight_label: str
    demand: (
        gpd.GeoDataFrame
    )  # + township_code, county_code, minutes, minutes_straight, facility, snapped
    by_township: pd.DataFrame
    by_county: pd.DataFrame
    scenarios: pd.DataFrame  # speed × (network share, straight-line share)
    service_areas: gpd.GeoDataFrame  # one polygon per facility (EPSG:4326)
    straight_line: gpd.GeoDataFrame  # buffer circles (EPSG:4326), labelled straight-line
    uncovered: gpd.GeoDataFrame  # demand points outside every service area
    unsnapped_facilities: pd.DataFrame
    params: dict = field(default_factory=dict)


def _group_of(
    points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame, code_col: str = "code"
) -> pd.Series:
    polys = polygons[polygons.geometry.notna()]
    joined = gpd.sjoin(
        points[["geometry"]], polys[[code_col, "geometry"]], how="left", predicate="within"
    )
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined[code_col].reindex(points.index).fillna("").astype(str)


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
    township = _group_of(dem, region.townships)
    county = _group_of(dem, region.county_polygons)
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
    for v in speeds:
        t_v = reach.nearest_facility(arrays, fsnap, walk_speed_m_s=v, limit_s=limit_s)
        m_v = reach.demand_times(arrays, t_v, dsnap, fsnap, walk_speed_m_s=v)["minutes"]
        s_v = straight * walk_speed_m_s / v
        snapped = m_v.notna()
        w = out["weight"].where(snapped, 0.0)
        rows.append(
            {
                "walk_speed_m_s": v,
                "radius_m": v * minutes * 60.0,
                "share_points": float((m_v[snapped] <= minutes).mean())
                if snapped.any()
                else float("nan"),
                "share_weight": float(w[m_v <= minutes].sum() / w.sum())
                if w.sum()
                else float("nan"),
                "share_points_straight_line": float((s_v[snapped] <= minutes).mean())
                if snapped.any()
                else float("nan"),
            }
        )
    scenarios = pd.DataFrame(rows)
    areas = reach.service_areas(arrays, times, fsnap, budget_s=minutes * 60.0)
    areas = areas.assign(facility_id=fac["facility_id"].values, name=fac["name"].values)
    areas = areas[~areas.geometry.is_empty].to_crs(WGS84)
    circles = reach.buffer_areas(fac, radius_m=walk_speed_m_s * minutes * 60.0)
    circles = circles.assign(name=fac["name"].values).to_crs(WGS84)
    uncovered = out[out["snapped"] & ~(out["minutes"] <= minutes)]
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
        },
    )
