"""The cached loaders: region, import, coverage, streets, demand, reach and the siting problem.

Keyed on plain, hashable inputs so ``st.cache_data`` can hash them; each cached function is
defined here once (Streamlit keys its caches on the function). Nothing happens at import:
the cache decorators only wrap the functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from geo._errors import DataMissingError, InputError
from servicecircle.app_support.messages import reach_problem
from servicecircle.app_support.uploads import UploadedRegister, register_specs

if TYPE_CHECKING:
    import geopandas as gpd

    from servicecircle.workflows import (
        CoverageRun,
        Imported,
        ReachRun,
        Region,
        Streets,
    )


def _seat_points(region_code: str) -> gpd.GeoDataFrame | None:
    """Township-seat points for approximate township polygons: the bundle's, for Wuhan only."""
    from servicecircle.demo import demo_seat_points

    return demo_seat_points() if region_code.startswith("4201") else None


@st.cache_data(show_spinner=False, max_entries=16)
def cached_region(region_code: str) -> Region:
    """:func:`servicecircle.workflows.load_region`, cached per region code.

    The code may be typed with full-width digits or as 全国 (see
    :func:`~servicecircle.workflows.region.region_code_from_text`).
    """
    from servicecircle.workflows import load_region
    from servicecircle.workflows.region import region_code_from_text

    code = region_code_from_text(region_code)
    return load_region(code, seat_points=_seat_points(code))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_import_one(region_code: str, register: UploadedRegister | None) -> Imported:
    """One register imported on its own (None: the demo registers), so a bad file spoils
    only itself."""
    from servicecircle.workflows import import_registers

    region = cached_region(region_code)
    specs = register_specs(None) if register is None else [register.spec()]
    return import_registers(specs, region)


def readable_registers(
    region_code: str,
    registers: tuple[UploadedRegister, ...],
    *,
    progress: Callable[..., Any] | None = None,
) -> tuple[tuple[UploadedRegister, ...], list[tuple[str, str]]]:
    """The uploads that import, and (file name, reason in Chinese) for each that does not.

    ``progress(fraction, text=...)`` (e.g. ``st.progress(...).progress``) is told each file.
    """
    from servicecircle.app_support.messages import USER_ERRORS, error_message

    good, bad = [], []
    for i, reg in enumerate(registers):
        if progress is not None:
            progress(
                i / len(registers), text=f"正在读取、校验 {reg.name}（{i + 1}/{len(registers)}）"
            )
        try:
            cached_import_one(region_code, reg)
        except USER_ERRORS as exc:
            bad.append((reg.name, error_message(exc)))
        except (OSError, ValueError, KeyError, UnicodeError) as exc:  # a file the readers choke on
            bad.append((reg.name, f"无法读取：{type(exc).__name__}：{exc}"))
        else:
            good.append(reg)
    return tuple(good), bad


@st.cache_data(show_spinner=False, max_entries=16)
def cached_import(region_code: str, registers: tuple[UploadedRegister, ...] | None) -> Imported:
    """The registers imported (None: the demo), each file on its own, then put together."""
    from servicecircle.workflows import Imported

    if registers is None:
        return cached_import_one(region_code, None)
    parts = [cached_import_one(region_code, r) for r in registers]
    if len(parts) == 1:
        return parts[0]
    import geopandas as gpd

    facilities = gpd.GeoDataFrame(
        pd.concat([p.facilities for p in parts], ignore_index=True), crs="EPSG:4326"
    )
    report = pd.concat([p.report for p in parts], ignore_index=True)
    return Imported(
        facilities,
        report,
        tuple(s for p in parts for s in p.sources),
        tuple(x for p in parts for x in p.parts),
    )


@st.cache_data(show_spinner=False, max_entries=16)
def cached_coverage(
    region_code: str, registers: tuple[UploadedRegister, ...] | None, plan: str | None
) -> CoverageRun:
    """:func:`~servicecircle.workflows.coverage_run`, cached on region, registers and plan."""
    from servicecircle.workflows import coverage_run

    region = cached_region(region_code)
    imported = cached_import(region_code, registers)
    return coverage_run(region, imported, plan=plan)


@st.cache_resource(show_spinner=False)
def cached_streets() -> Streets:
    """The bundle's Wuhan walking graph (built once per server process: about 10 s)."""
    from servicecircle.workflows import load_streets

    return load_streets()


@st.cache_data(show_spinner=False, max_entries=8)
def cached_demand(region_code: str) -> tuple[gpd.GeoDataFrame, str, str]:
    """Residential points of a Wuhan region with their weights, source and weight label."""
    from servicecircle.demo import demo_demand

    return demo_demand(cached_region(region_code))


@st.cache_data(show_spinner=False, max_entries=16)
def cached_reach(
    region_code: str,
    registers: tuple[UploadedRegister, ...] | None,
    *,
    minutes: float,
    walk_speed_m_s: float,
) -> ReachRun:
    """:func:`~servicecircle.workflows.reach_run` of the imported 养老服务中心."""
    from servicecircle.workflows import reach_run

    problem = reach_problem(region_code)
    if problem:
        raise DataMissingError(problem)
    run = cached_coverage(region_code, registers, None)
    elderly = run.facilities[run.facilities["layer"].astype(object) == "elderly_care"]
    demand, source, label = cached_demand(region_code)
    return reach_run(
        run.region,
        elderly,
        demand,
        cached_streets(),
        minutes=minutes,
        walk_speed_m_s=walk_speed_m_s,
        demand_source=source,
        weight_label=label,
    )


@st.cache_data(show_spinner=False, max_entries=8)
def cached_candidate_file(
    candidate_file: UploadedRegister, region_code: str | None = None
) -> gpd.GeoDataFrame:
    """The candidate sites of an uploaded file (read on its own, so its errors stay its own).

    Without ``region_code`` the file is only read (the check the upload box makes).
    """
    from servicecircle.scenarios import candidates_from_file

    region = cached_region(region_code) if region_code else None
    if region is None:
        from geo.registers import read_register

        spec = candidate_file.spec()
        result = read_register(spec.source, layer=spec.layer, crs=spec.crs)
        if result.facilities.empty:
            raise InputError(
                f"候选点文件 {candidate_file.name!r} 没有可用的行（需要名称和经纬度列）；"
                "请核对后重新上传。"
            )
        return result.facilities
    cands, _ = candidates_from_file(candidate_file.spec(), region)
    return cands


@st.cache_data(show_spinner=False, max_entries=8)
def cached_candidates(
    region_code: str,
    registers: tuple[UploadedRegister, ...] | None,
    *,
    minutes: float,
    walk_speed_m_s: float,
    auto: bool,
    candidate_file: UploadedRegister | None,
) -> gpd.GeoDataFrame:
    """Candidate sites: generated (uncovered township seats, unreached residential points)
    and/or read from a candidate file (a register-like table: name and coordinates)."""
    import geopandas as gpd

    from servicecircle.scenarios import generate_candidates

    parts = []
    if auto:
        run = cached_coverage(region_code, registers, None)
        reach = cached_reach(region_code, registers, minutes=minutes, walk_speed_m_s=walk_speed_m_s)
        parts.append(generate_candidates(run, reach, methods=("seats", "residential")))
    if candidate_file is not None:
        parts.append(cached_candidate_file(candidate_file, region_code))
    if not parts:
        raise InputError("没有候选点：请勾选“自动生成候选点”或上传候选点文件，也可以在地图上点选。")
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
    out = out.drop(columns=[c for c in ("site_id",) if c in out.columns])
    out.insert(0, "site_id", [f"C{i + 1:03d}" for i in range(len(out))])
    return out


@st.cache_resource(show_spinner=False, max_entries=4)
def cached_siting_problem(
    region_code: str,
    registers: tuple[UploadedRegister, ...] | None,
    *,
    minutes: float,
    walk_speed_m_s: float,
    auto: bool,
    candidate_file: UploadedRegister | None,
) -> Any:
    """The siting problem (candidate × demand coverage built once), shared, never changed.

    A resource rather than data: it holds the street graph, which must not be copied.
    """
    from servicecircle.scenarios import siting_problem

    candidates = cached_candidates(
        region_code,
        registers,
        minutes=minutes,
        walk_speed_m_s=walk_speed_m_s,
        auto=auto,
        candidate_file=candidate_file,
    )
    run = cached_coverage(region_code, registers, None)
    reach = cached_reach(region_code, registers, minutes=minutes, walk_speed_m_s=walk_speed_m_s)
    return siting_problem(run, reach, cached_streets(), candidates)


@st.cache_data(show_spinner=False, max_entries=1)
def cached_demo_counties() -> pd.DataFrame:
    """The counties the demo registers hold facilities in (``code, name, facilities``).

    Derived from the demo module's own registers: each is read without a region and its
    points are placed in the official county polygons.
    """
    import geopandas as gpd

    from geo.boundaries import county_polygons
    from geo.divisions import official_counties
    from geo.registers import read_register

    points = []
    for spec in register_specs(None):
        result = read_register(spec.source, layer=spec.layer, crs=spec.crs, sheet=spec.sheet)
        points.append(result.facilities[["geometry"]])
    if not points:
        return pd.DataFrame(columns=["code", "name", "facilities"])
    facilities = gpd.GeoDataFrame(pd.concat(points, ignore_index=True), crs="EPSG:4326")
    facilities = facilities[facilities.geometry.notna()]
    counties = official_counties()
    bounds = facilities.total_bounds
    polys = county_polygons(counties["code"].tolist(), missing="skip")
    polys = polys.cx[bounds[0] : bounds[2], bounds[1] : bounds[3]]
    hit = gpd.sjoin(facilities, polys[["code", "geometry"]], how="inner", predicate="within")
    counts = hit["code"].value_counts()
    names = counties.set_index("code")["name"]
    return pd.DataFrame(
        {
            "code": counts.index,
            "name": [names.get(c, c) for c in counts.index],
            "facilities": counts.values,
        }
    ).sort_values("code", ignore_index=True)
