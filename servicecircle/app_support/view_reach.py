"""The 15-minute service circle view: progress through graph build and reach, the figures per
county, the tables, the map and their downloads.

A view draws widgets (one page of the app, kept out of ``app.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

from geo.settings import MINUTES, WALK_SPEED_M_S, WALK_SPEED_SCENARIOS_M_S
from servicecircle.app_support import loaders
from servicecircle.app_support.messages import basemap_problem, reach_problem
from servicecircle.app_support.tables import (
    reach_scenario_table,
    reach_statements,
    reach_township_table,
)
from servicecircle.app_support.view_coverage import map_caption

if TYPE_CHECKING:
    from servicecircle.app_support.uploads import UploadedRegister
    from servicecircle.workflows import CoverageRun, ReachRun


def reach_with_progress(
    region_code: str,
    registers: tuple[UploadedRegister, ...] | None,
    *,
    minutes: float,
    walk_speed_m_s: float,
) -> ReachRun:
    """The reach run, with a status box naming each step (street graph, homes, reach)."""
    with st.status("正在计算15分钟养老服务圈……", expanded=True) as status:
        bar = st.progress(0.0, text="第 1 步（共 3 步）：构建步行路网（首次约 10–30 秒，之后复用）")
        loaders.cached_streets()
        bar.progress(1 / 3, text="第 2 步（共 3 步）：读取居住小区和 60 岁以上人口权重")
        loaders.cached_demand(region_code)
        bar.progress(
            2 / 3, text="第 3 步（共 3 步）：沿街道计算各居住小区到最近养老服务中心的步行时间"
        )
        reach = loaders.cached_reach(
            region_code, registers, minutes=minutes, walk_speed_m_s=walk_speed_m_s
        )
        bar.progress(1.0, text="完成")
        status.update(label="15分钟养老服务圈已算好", state="complete", expanded=False)
    return reach


def street_basemap(region_code: str, run: CoverageRun) -> Any:
    """The region's streets for the local basemap (the graph is already built by now)."""
    import shapely

    from servicecircle.app_support.basemap import street_lines

    area = shapely.union_all(list(run.region.county_polygons.geometry))
    return street_lines(loaders.cached_streets(), area)


def weights_are_uniform(reach: ReachRun) -> bool:
    """True when the 60+ weights are equal within each county (weighted share = unweighted)."""
    from servicecircle.briefing import weights_uniform

    return weights_uniform(reach.weight_label)


def show_reach(
    region_code: str,
    registers: tuple[UploadedRegister, ...] | None,
    run: CoverageRun,
    *,
    plan: str | None,
    basemap: str,
    sources: tuple[str, ...],
) -> None:
    """Who can walk to a 养老服务中心 within the minutes, over the streets, per township."""
    from streamlit_folium import st_folium

    from servicecircle.app_support.exports import reach_downloads
    from servicecircle.app_support.maps import reach_folium_map

    problem = reach_problem(region_code)
    if problem:
        st.info(problem)
        return
    left, right = st.columns(2)
    minutes = left.slider("步行时间（分钟）", 5, 30, int(MINUTES), step=1, key="reach_minutes")
    speed = right.selectbox(
        "步行速度（米/秒）",
        list(WALK_SPEED_SCENARIOS_M_S),
        index=list(WALK_SPEED_SCENARIOS_M_S).index(WALK_SPEED_M_S),
        format_func=lambda v: f"{v:g} 米/秒（{v * 60:.0f} 米/分钟）",
        key="reach_speed",
        help="1.0 米/秒为规划惯例（60 米/分钟）；老年人实测约 0.9–0.97 米/秒。",
    )
    reach = reach_with_progress(
        region_code, registers, minutes=float(minutes), walk_speed_m_s=float(speed)
    )
    uniform = weights_are_uniform(reach)
    county = reach.by_county[reach.by_county["code"].isin(run.region.counties["code"])]
    per = 1 if uniform else 2
    cols = st.columns(max(len(county), 1) * per)
    for i, r in enumerate(county.itertuples()):
        cols[per * i].metric(
            f"{r.name}：居住小区{minutes}分钟可达",
            f"{r.share_points:.1%}",
            f"{int(r.points_reached)} / {int(r.points)} 个小区",
            delta_color="off",
            delta_arrow="off",
            border=True,
        )
        if not uniform:
            cols[per * i + 1].metric(
                "按60岁以上人口加权",
                f"{r.share_weight:.1%}",
                "60岁以上人口（估算）",
                delta_color="off",
                delta_arrow="off",
                border=True,
                help=reach.weight_label,
            )
    if uniform:
        st.caption(
            "按60岁以上人口加权的比例与按小区个数的比例相同：普查60岁以上人口只有区县数，"
            "区县内各小区权重相同，故不另列。"
        )
    for text in reach_statements(region_code, plan=plan):
        st.caption(f"对照：{text}")
    st.markdown("**步行速度情景：沿路网与直线半径口径对比**")
    scen = reach_scenario_table(reach.scenarios, minutes=minutes)
    townships = reach_township_table(reach.by_township, minutes=minutes)
    if uniform:
        scen = scen.drop(columns=["按人口加权"])
        townships = townships.drop(columns=["可达比例（加权）"])
    st.dataframe(scen, hide_index=True, key="reach_scenarios")
    st.markdown("**各乡镇（街道）居住小区可达情况**")
    st.dataframe(townships, hide_index=True, key="reach_townships")
    if len(reach.unsnapped_facilities):
        names = "、".join(reach.unsnapped_facilities["name"].astype(str))
        st.warning(f"以下设施距最近街道超过 300 米，未计入步行可达：{names}")
    st.caption(f"需求点：{reach.demand_source}")
    problem = basemap_problem(basemap)
    if problem:
        st.warning(problem)
        basemap = "local"
    with st.status("正在绘制服务圈地图……", expanded=False) as status:
        streets = street_basemap(region_code, run) if basemap == "local" else None
        fmap = reach_folium_map(run, reach, basemap=basemap, streets=streets)
        status.update(label="服务圈地图已绘制", state="complete")
    st_folium(
        fmap,
        key=f"reach_map_{minutes}_{speed}_{basemap}",
        height=560,
        width=None,
        returned_objects=[],
    )
    map_caption((*sources, f"道路：OpenStreetMap；需求点：{reach.demand_source}"))
    st.markdown("**下载本页结果**")
    if st.toggle("生成下载文件（Excel、HTML 地图、PNG 静态图）", key="reach_exports"):
        with st.spinner("正在生成 Excel、HTML 地图和 PNG……"):
            files = reach_downloads(
                region_code,
                run,
                reach,
                reach_folium_map(run, reach, basemap=basemap, sources=sources, for_page=False),
                sources=sources,
            )
        cols = st.columns(len(files))
        for col, (key, d) in zip(cols, files.items()):
            col.download_button(
                d.label, d.data, file_name=d.file_name, mime=d.mime, key=f"download_{key}"
            )
