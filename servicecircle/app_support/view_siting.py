"""The siting view: where to add 养老服务中心 — click the map or use candidates; what-if, best
k, fewest sites; scenarios compared, saved and downloaded.

A view draws widgets (one page of the app, kept out of ``app.py``). A bad candidate file
shows its error in its own box; the rest of the view carries on without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

from geo.settings import MINUTES, WALK_SPEED_M_S, WALK_SPEED_SCENARIOS_M_S
from servicecircle.app_support import loaders
from servicecircle.app_support import siting as state_keys
from servicecircle.app_support.choices import SCENARIO_KINDS, status_label
from servicecircle.app_support.messages import USER_ERRORS, basemap_problem, error_message
from servicecircle.app_support.tables import chosen_table, scenarios_table
from servicecircle.app_support.uploads import UPLOAD_TYPES, max_upload_mb, uploaded_register
from servicecircle.app_support.view_coverage import map_caption
from servicecircle.wording import in_chinese

if TYPE_CHECKING:
    from servicecircle.app_support.uploads import UploadedRegister

SOLVERS = {"exact": "精确（HiGHS，限时 10 秒）", "greedy": "贪心 + 交换"}
SOLVER_SHORT = {"exact": "精确", "greedy": "贪心"}


def candidate_file_box() -> UploadedRegister | None:
    """The optional candidate file, checked in its own box (None when absent or bad)."""
    box = st.container(border=True)
    file = box.file_uploader(
        "上传候选点文件（可选：名称 + 经纬度，CSV/Excel/GeoJSON）",
        type=list(UPLOAD_TYPES),
        max_upload_size=int(max_upload_mb() * 2),
        key="candidate_upload",
    )
    if file is None:
        return None
    try:
        reg = uploaded_register(name=file.name, data=file.getvalue(), layer="elderly_care")
        loaders.cached_candidate_file(reg)
    except USER_ERRORS as exc:
        box.error(error_message(exc) + "（本文件未使用，其余功能照常。）")
        return None
    return reg


def _names(problem: Any) -> dict[str, str]:
    t = problem.run.region.townships
    return dict(zip(t["code"].astype(str), t["name"].astype(str)))


def ask_question(problem: Any, kind: str, clicks: list, n_scenarios: int) -> Any | None:
    """The widgets of one siting question; the scenario when its button is pressed."""
    from servicecircle import scenarios as sc

    if kind == "what_if":
        existing = problem.facilities
        close = st.multiselect(
            "假设关闭的现有设施",
            existing["facility_id"].tolist(),
            format_func=dict(zip(existing["facility_id"], existing["name"])).get,
            key="whatif_close",
            placeholder="可多选",
        )
        open_sites = st.multiselect(
            "同时启用的候选点",
            problem.candidates["site_id"].tolist(),
            format_func=dict(zip(problem.candidates["site_id"], problem.candidates["name"])).get,
            key="whatif_open",
            placeholder="可多选",
        )
        st.caption(f"地图点选的拟建点：{len(clicks)} 处。")
        if st.button("测算", type="primary", key="run_whatif"):
            return sc.what_if(
                problem,
                open_sites=open_sites,
                new_points=state_keys.clicks_frame(clicks) if clicks else None,
                close=close,
                name=f"方案测算{n_scenarios + 1}",
            )
    elif kind == "best_k":
        a, b = st.columns(2)
        k = a.number_input("新增数量 k", 1, 50, 5, key="best_k")
        solver = b.selectbox(
            "求解方法", list(SOLVERS), format_func=SOLVERS.get, key="best_k_solver"
        )
        if st.button("求解", type="primary", key="run_best_k"):
            return sc.best_k(
                problem, k=int(k), solver=solver, name=f"新增{int(k)}处（{SOLVER_SHORT[solver]}）"
            )
    elif kind == "fewest_share":
        share = st.number_input("居住小区可达比例目标（%）", 1, 100, 50, key="fewest_share")
        if st.button("求解", type="primary", key="run_fewest_share"):
            return sc.fewest_for_share(problem, min_share=share / 100, name=f"可达≥{share}%")
    else:
        target = st.number_input("乡镇（街道）覆盖率目标（%）", 1, 100, 60, key="twp_target")
        if st.button("求解", type="primary", key="run_twp_target"):
            return sc.fewest_for_township_target(
                problem, target_pct=float(target), name=f"乡镇覆盖≥{target}%"
            )
    return None


def show_siting(
    region_code: str,
    registers: tuple[UploadedRegister, ...] | None,
    *,
    basemap: str,
    sources: tuple[str, ...],
) -> None:
    """Where to add 养老服务中心: click the map or use candidates; what-if, best k, fewest."""
    from streamlit_folium import st_folium

    from servicecircle.app_support.maps import siting_folium_map
    from servicecircle.app_support.messages import reach_problem
    from servicecircle.app_support.view_reach import reach_with_progress, street_basemap

    problem_text = reach_problem(region_code)
    if problem_text:
        st.info(problem_text)
        return
    state = st.session_state
    c1, c2, c3 = st.columns(3)
    minutes = c1.slider("步行时间（分钟）", 5, 30, int(MINUTES), key="siting_minutes")
    speed = c2.selectbox(
        "步行速度（米/秒）",
        list(WALK_SPEED_SCENARIOS_M_S),
        index=list(WALK_SPEED_SCENARIOS_M_S).index(WALK_SPEED_M_S),
        format_func=lambda v: f"{v:g} 米/秒",
        key="siting_speed",
    )
    auto = c3.checkbox(
        "自动生成候选点",
        value=True,
        key="siting_auto",
        help="未覆盖乡镇（街道）的办事处附近，以及15分钟服务圈外的居住小区。",
    )
    candidate_file = candidate_file_box()
    reach_with_progress(region_code, registers, minutes=float(minutes), walk_speed_m_s=float(speed))
    try:
        with st.status("正在准备候选点和步行覆盖矩阵……", expanded=False) as status:
            problem = loaders.cached_siting_problem(
                region_code,
                registers,
                minutes=float(minutes),
                walk_speed_m_s=float(speed),
                auto=auto,
                candidate_file=candidate_file,
            )
            status.update(label="候选点和覆盖矩阵已准备好", state="complete")
    except USER_ERRORS as exc:
        st.error(error_message(exc))
        return
    unreachable = problem.candidates[~problem.candidates["snapped"]]
    st.caption(
        f"候选点 {len(problem.candidates)} 处（其中 {len(unreachable)} 处距街道超过 300 米，不参与）；"
        f"覆盖矩阵用时 {problem.build_s:.2f} 秒。"
    )

    scenarios = state.get(state_keys.SCENARIOS_STATE_KEY, [])
    latest = scenarios[-1] if scenarios else None
    if latest is not None and latest.params.get("minutes") != float(minutes):
        latest = None  # drawn for other minutes: not on this map
    clicks = state.get(state_keys.CLICKS_STATE_KEY, [])
    problem_basemap = basemap_problem(basemap)
    if problem_basemap:
        st.warning(problem_basemap)
        basemap = "local"
    streets = street_basemap(region_code, problem.run) if basemap == "local" else None
    fmap = siting_folium_map(
        problem, clicks=clicks, scenario=latest, basemap=basemap, streets=streets
    )
    result = st_folium(
        fmap, key=f"siting_map_{basemap}", height=560, width=None, returned_objects=["last_clicked"]
    )
    map_caption(sources)
    if state_keys.record_click(state, (result or {}).get("last_clicked"), basemap=basemap):
        st.rerun()
    if clicks:
        left, right = st.columns([4, 1])
        left.dataframe(
            state_keys.clicks_frame(clicks)
            .assign(经度=[round(c[0], 6) for c in clicks], 纬度=[round(c[1], 6) for c in clicks])[
                ["name", "经度", "纬度"]
            ]
            .rename(columns={"name": "拟建点"}),
            hide_index=True,
            key="clicks_table",
        )
        if right.button("清除点选", key="clear_clicks"):
            state[state_keys.CLICKS_STATE_KEY] = []
            st.rerun()

    kind = st.radio(
        "方法",
        list(SCENARIO_KINDS),
        format_func=SCENARIO_KINDS.get,
        horizontal=True,
        key="siting_kind",
    )
    try:
        scenario = ask_question(problem, kind, clicks, len(scenarios))
    except USER_ERRORS as exc:
        kind_label = error_message(exc).split("：", 1)[0]
        st.error(f"{kind_label}：{in_chinese(str(exc), _names(problem))}")
        scenario = None
    if scenario is not None:
        state_keys.add_scenario(state, scenario)
        st.rerun()  # redraw the map with the new sites
    if scenarios:
        show_scenarios(region_code, problem, scenarios, basemap=basemap, sources=sources)


def show_scenarios(
    region_code: str, problem: Any, scenarios: list, *, basemap: str, sources: tuple[str, ...]
) -> None:
    """The latest scenario, the comparison, save, clear and the downloads."""
    from servicecircle.app_support.exports import siting_downloads
    from servicecircle.app_support.maps import siting_folium_map
    from servicecircle.app_support.workspace import save_scenarios, session_workspace

    state = st.session_state
    latest = scenarios[-1]
    names = _names(problem)
    notes = "；".join(in_chinese(n, names) for n in latest.notes)
    st.markdown(
        f"**{latest.name}**：{status_label(latest.status)}" + (f"；{notes}" if notes else "")
    )
    if len(latest.chosen):
        weighted = "权重为1" not in problem.reach.weight_label
        st.dataframe(chosen_table(latest, weighted=weighted), hide_index=True, key="chosen_table")
    st.markdown("**方案对比**")
    st.dataframe(scenarios_table(scenarios), hide_index=True, key="scenarios_table")
    a, b = st.columns(2)
    if a.button("保存方案到工作区", key="save_scenarios"):
        ids = save_scenarios(session_workspace(state), scenarios, label=region_code)
        st.success(f"已保存 {len(ids)} 个方案（记录 {'、'.join(map(str, ids))}）。")
    if b.button("清空方案", key="clear_scenarios"):
        state[state_keys.SCENARIOS_STATE_KEY] = []
        st.rerun()
    if st.toggle("生成选址下载文件（Excel、HTML 地图、PNG 静态图）", key="siting_exports"):
        with st.spinner("正在生成选址方案的 Excel、HTML 地图和 PNG……"):
            fmap = siting_folium_map(
                problem,
                clicks=[],
                scenario=latest,
                basemap=basemap,
                sources=sources,
                for_page=False,
            )
            files = siting_downloads(region_code, problem, scenarios, fmap, sources=sources)
        cols = st.columns(len(files))
        for col, (key, d) in zip(cols, files.items()):
            col.download_button(
                d.label, d.data, file_name=d.file_name, mime=d.mime, key=f"download_{key}"
            )
