"""The cached loaders: region, import, coverage, streets, demand, reach and the siting problem.

Keyed on plain, hashable inputs so ``st.cache_data`` can hash them; each cached function is
defined here once (Streamlit keys its caches on the function). Nothing happens at import:
the cache decorators only wrap the functions.
"""

from __future__ import annotations

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
    """:func:`servicecircle.workflows.load_region`, cached per region code."""
    from servicecircle.workflows import load_region

    code = region_code.strip()
    if not code.isdigit() or len(code) not in (2, 4, 6):
        raise InputError(
            f"区域代码 {region_code!r} 无效；请输入 6 位区县代码（如 420102 江岸区）、"
            "4 位地级市代码或 2 位省级代码。"
        )
    return load_region(code, seat_points=_seat_points(code))


@st.cache_data(show_spinner=False, max_entries=16)
def cached_import(region_code: str, registers: tuple[UploadedRegister, ...] | None) -> Imported:
    """:func:`~servicecircle.workflows.import_registers` of the uploads (None: the demo)."""
    from servicecircle.workflows import import_registers

    region = cached_region(region_code)
    return import_registers(register_specs(registers), region)


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
        from servicecircle.scenarios import candidates_from_file

        cands, _ = candidates_from_file(candidate_file.spec(), cached_region(region_code))
        parts.append(cands)
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
