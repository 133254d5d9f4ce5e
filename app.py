"""民政服务设施覆盖评估 — the planner's Streamlit app.

Run: ``servicecircle app`` (or ``streamlit run app.py``). This file wires widgets to
:mod:`servicecircle.workflows` and :mod:`servicecircle.app_support`; it holds no analysis.
Errors of the project (:mod:`geo._errors`, re-exported by app support) are shown as readable messages.
"""

from __future__ import annotations

import streamlit as st

from servicecircle import app_support as sup
from servicecircle.app_support import LAYERS, MINUTES, WALK_SPEED_M_S, WALK_SPEED_SCENARIOS_M_S
from servicecircle.demo import DEMO_COUNTIES

OTHER_REGION = "__other__"
DEMO_SOURCE = "使用示例登记表"
UPLOAD_SOURCE = "上传登记表"
REACH_VIEW = "15分钟养老服务圈"
SITING_VIEW = "选址"
VIEWS = ("覆盖率", "地图", REACH_VIEW, SITING_VIEW, "下载", "工作区记录")


def sidebar() -> tuple[str, str | None, str]:
    """Region code, plan key and basemap key chosen in the sidebar."""
    sb = st.sidebar
    sb.header("设置")
    choice = sb.selectbox(
        "区域（区县）",
        [*DEMO_COUNTIES, OTHER_REGION],
        format_func=lambda c: (
            "其他：输入区划代码" if c == OTHER_REGION else f"{DEMO_COUNTIES[c]}（{c}）"
        ),
        key="region",
    )
    code = choice
    if choice == OTHER_REGION:
        code = sb.text_input(
            "区划代码",
            value="",
            key="region_code",
            placeholder="6 位区县代码，如 360203",
            help="6 位区县代码、4 位地级市代码或 2 位省级代码（2023 年统计用区划代码）。",
        ).strip()
    plan = sb.selectbox(
        "对照规划",
        list(sup.PLAN_CHOICES),
        format_func=lambda p: sup.PLAN_CHOICES[p],
        key="plan",
        help="全部适用规划：该区域继承的全国、省、市、县各级规划指标。",
    )
    basemap = sb.selectbox(
        "底图",
        list(sup.BASEMAP_CHOICES),
        format_func=lambda b: sup.BASEMAP_CHOICES[b],
        key="basemap",
    )
    sb.caption("示例登记表为据 OSM 位置生成的示例数据（非官方）。")
    return code, plan, basemap


def registers_input() -> tuple[sup.UploadedRegister, ...] | None:
    """The registers to import: None for the demo registers, else the checked uploads."""
    st.subheader("1 登记表")
    source = st.radio(
        "登记表来源", [DEMO_SOURCE, UPLOAD_SOURCE], horizontal=True, key="register_source"
    )
    if source == DEMO_SOURCE:
        st.caption(
            "四份示例登记表：养老服务中心（Excel，GCJ-02）、社工站（GBK 编码 CSV）、"
            "未成年人保护工作站（CSV，BD-09）、骨灰安放设施（GeoJSON）。"
        )
        return None
    files = st.file_uploader(
        f"上传设施登记表（每个不超过 {sup.MAX_UPLOAD_MB:g} MB）",
        type=list(sup.UPLOAD_TYPES),
        accept_multiple_files=True,
        max_upload_size=int(sup.MAX_UPLOAD_MB),
        key="uploads",
        help="CSV（UTF-8 或 GBK）、Excel（.xlsx）、GeoJSON、Shapefile（压缩为 .zip）或 GeoPackage。"
        "文件只被读取解析，不会被执行。",
    )
    registers: list[sup.UploadedRegister] = []
    layer_options = [None, *LAYERS]
    for i, f in enumerate(files or []):
        left, right = st.columns(2)
        layer = left.selectbox(
            f"{f.name}：设施类型",
            layer_options,
            format_func=lambda k: "按“类型”列或文件名识别" if k is None else LAYERS[k],
            key=f"upload_layer_{i}",
        )
        crs = right.selectbox(
            f"{f.name}：坐标系",
            list(sup.CRS_CHOICES),
            format_func=lambda c: sup.CRS_CHOICES[c],
            key=f"upload_crs_{i}",
        )
        try:
            registers.append(
                sup.uploaded_register(name=f.name, data=f.getvalue(), layer=layer, crs=crs)
            )
        except sup.USER_ERRORS as exc:
            st.error(sup.error_message(exc))
    if not registers:
        st.info("请上传至少一份设施登记表，或在上方选择“使用示例登记表”。")
        st.stop()
    return tuple(registers)


def show_report(imported, registers) -> None:
    """The validation report, shown before anything is saved."""
    st.subheader("2 校验报告")
    counts = sup.report_counts(imported.report)
    c = st.columns(4)
    c[0].metric("导入设施", f"{len(imported.facilities)} 个")
    c[1].metric("未导入行", counts["rejected"])
    c[2].metric("修正后导入", counts["repaired"])
    c[3].metric("提示", counts["warning"])
    if len(imported.report):
        st.dataframe(sup.report_table(imported.report), hide_index=True, key="report_table")
    else:
        st.success("全部行通过校验。")
    with st.expander("读取方式（编码、坐标系、列）"):
        st.dataframe(sup.sources_table(imported.sources), hide_index=True)


def confirm_import(region_code, registers, imported, run) -> None:
    """The 确认导入 button: save the registers and the run into the session's workspace."""
    if st.button("确认导入", type="primary", key="confirm_import"):
        path = sup.session_workspace(st.session_state)
        layers = [s.layer for s in sup.register_specs(registers)]
        try:
            ids, dup, run_id = sup.save_to_workspace(
                path, imported=imported, run=run, layers=layers, label=region_code
            )
        except sup.USER_ERRORS as exc:
            st.error(sup.error_message(exc))
            return
        note = f"（其中 {dup} 份此前已导入，未重复保存）" if dup else ""
        st.success(f"已导入 {len(ids)} 份登记表{note}，覆盖率结果保存为记录 {run_id}。")
    else:
        st.caption("核对校验报告后点击“确认导入”，登记表和结果才会保存到本会话的工作区。")


def show_dashboard(run) -> None:
    """Coverage against the plan targets, per layer."""
    headlines = sup.layer_headlines(run.comparison)
    cols = st.columns(max(len(headlines), 1))
    for col, h in zip(cols, headlines.itertuples()):
        target = "" if h.target_pct is None else f"目标 {h.target_pct:g}%"
        need = f"，还需 {h.units_needed}" if h.units_needed else ""
        col.metric(
            h.label,
            "—" if h.rate != h.rate else f"{h.rate:.1%}",
            delta=f"{h.status}{need}" if target else h.status,
            delta_color="normal" if h.status == "达标" else "inverse",
            delta_arrow="off",
            help=h.held_to or None,
            border=True,
        )
    scopes = [s for s in ("county", "city", "province") if (run.comparison["scope"] == s).any()]
    scope = st.radio(
        "汇总层级",
        scopes,
        format_func=lambda s: {"county": "区县", "city": "地级市", "province": "省"}[s],
        horizontal=True,
        key="scope",
    )
    st.dataframe(sup.dashboard_table(run.comparison, scope=scope), hide_index=True, key="coverage")
    st.caption(f"乡镇边界：{run.region.polygon_source}")
    for note in run.region.notes:
        st.caption(f"说明：{note}")
    if len(run.disagreements):
        with st.expander(f"归属不一致的设施（{len(run.disagreements)} 个）"):
            st.dataframe(run.disagreements, hide_index=True)


def show_map(run, *, basemap: str, sources: tuple[str, ...]) -> None:
    """The coverage map of one layer; display-only (no reruns on pan or click)."""
    from streamlit_folium import st_folium

    layer = st.selectbox("图层", list(LAYERS), format_func=LAYERS.get, key="map_layer")
    problem = sup.basemap_problem(basemap)
    if problem:
        st.warning(problem)
        basemap = "none"
    fmap = sup.coverage_folium_map(run, layer=layer, basemap=basemap, sources=sources)
    st_folium(fmap, key=f"coverage_map_{layer}", height=560, width=None, returned_objects=[])


def show_reach(region_code, registers, run, *, plan, basemap: str, sources) -> None:
    """Who can walk to a 养老服务中心 within the minutes, over the streets, per township."""
    from streamlit_folium import st_folium

    problem = sup.reach_problem(region_code)
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
    with st.spinner("正在沿街道计算步行可达范围（首次需构建武汉路网，约 10–20 秒）……"):
        reach = sup.cached_reach(
            region_code, registers, minutes=float(minutes), walk_speed_m_s=float(speed)
        )
    county = reach.by_county[reach.by_county["code"].isin(run.region.counties["code"])]
    cols = st.columns(max(len(county), 1) * 2)
    for i, r in enumerate(county.itertuples()):
        cols[2 * i].metric(
            f"{r.name}：居住小区{minutes}分钟可达",
            f"{r.share_points:.1%}",
            f"{int(r.points_reached)} / {int(r.points)} 个小区",
            delta_color="off",
            delta_arrow="off",
            border=True,
        )
        cols[2 * i + 1].metric(
            "按60岁以上人口加权",
            f"{r.share_weight:.1%}",
            reach.weight_label[:18] + "…",
            delta_color="off",
            delta_arrow="off",
            border=True,
            help=reach.weight_label,
        )
    for text in sup.reach_statements(region_code, plan=plan):
        st.caption(f"对照：{text}")
    st.markdown("**步行速度情景：沿路网与直线半径口径对比**")
    st.dataframe(
        sup.reach_scenario_table(reach.scenarios, minutes=minutes),
        hide_index=True,
        key="reach_scenarios",
    )
    st.markdown("**各乡镇（街道）居住小区可达情况**")
    st.dataframe(
        sup.reach_township_table(reach.by_township, minutes=minutes),
        hide_index=True,
        key="reach_townships",
    )
    if len(reach.unsnapped_facilities):
        names = "、".join(reach.unsnapped_facilities["name"].astype(str))
        st.warning(f"以下设施距最近街道超过 300 米，未计入步行可达：{names}")
    st.caption(f"需求点：{reach.demand_source}")
    problem = sup.basemap_problem(basemap)
    if problem:
        st.warning(problem)
        basemap = "none"
    fmap = sup.reach_folium_map(run, reach, basemap=basemap, sources=sources)
    st_folium(fmap, key=f"reach_map_{minutes}_{speed}", height=560, width=None, returned_objects=[])


def show_siting(region_code, registers, *, basemap: str, sources) -> None:
    """Where to add 养老服务中心: click the map or use candidates; what-if, best k, fewest."""
    from streamlit_folium import st_folium

    problem_text = sup.reach_problem(region_code)
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
        key="siting_speed",
    )
    auto = c3.checkbox(
        "自动生成候选点",
        value=True,
        key="siting_auto",
        help="未覆盖乡镇（街道）的办事处附近，以及15分钟服务圈外的居住小区。",
    )
    file = st.file_uploader(
        "上传候选点文件（可选：名称 + 经纬度，CSV/Excel/GeoJSON）",
        type=list(sup.UPLOAD_TYPES),
        max_upload_size=int(sup.MAX_UPLOAD_MB),
        key="candidate_upload",
    )
    candidate_file = None
    if file is not None:
        try:
            candidate_file = sup.uploaded_register(
                name=file.name, data=file.getvalue(), layer="elderly_care"
            )
        except sup.USER_ERRORS as exc:
            st.error(sup.error_message(exc))
    with st.spinner("正在准备候选点和步行覆盖矩阵（首次需构建武汉路网）……"):
        problem = sup.cached_siting_problem(
            region_code,
            registers,
            minutes=float(minutes),
            walk_speed_m_s=float(speed),
            auto=auto,
            candidate_file=candidate_file,
        )
    unreachable = problem.candidates[~problem.candidates["snapped"]]
    st.caption(
        f"候选点 {len(problem.candidates)} 处（其中 {len(unreachable)} 处距街道超过 300 米，不参与）；"
        f"覆盖矩阵用时 {problem.build_s:.2f} 秒。"
    )

    scenarios = state.get(sup.SCENARIOS_STATE_KEY, [])
    latest = scenarios[-1] if scenarios else None
    if latest is not None and latest.params.get("minutes") != float(minutes):
        latest = None  # drawn for other minutes: not on this map
    clicks = state.get(sup.CLICKS_STATE_KEY, [])
    problem_basemap = sup.basemap_problem(basemap)
    if problem_basemap:
        st.warning(problem_basemap)
        basemap = "none"
    fmap = sup.siting_folium_map(
        problem, clicks=clicks, scenario=latest, basemap=basemap, sources=sources
    )
    result = st_folium(
        fmap, key="siting_map", height=560, width=None, returned_objects=["last_clicked"]
    )
    if sup.record_click(state, (result or {}).get("last_clicked"), basemap=basemap):
        st.rerun()
    if clicks:
        left, right = st.columns([4, 1])
        left.dataframe(
            sup.clicks_frame(clicks)
            .assign(经度=[round(c[0], 6) for c in clicks], 纬度=[round(c[1], 6) for c in clicks])[
                ["name", "经度", "纬度"]
            ]
            .rename(columns={"name": "拟建点"}),
            hide_index=True,
            key="clicks_table",
        )
        if right.button("清除点选", key="clear_clicks"):
            state[sup.CLICKS_STATE_KEY] = []
            st.rerun()

    kind = st.radio(
        "方法",
        list(sup.SCENARIO_KINDS),
        format_func=sup.SCENARIO_KINDS.get,
        horizontal=True,
        key="siting_kind",
    )
    from servicecircle import scenarios as sc

    scenario = None
    try:
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
                format_func=dict(
                    zip(problem.candidates["site_id"], problem.candidates["name"])
                ).get,
                key="whatif_open",
                placeholder="可多选",
            )
            st.caption(f"地图点选的拟建点：{len(clicks)} 处。")
            if st.button("测算", type="primary", key="run_whatif"):
                scenario = sc.what_if(
                    problem,
                    open_sites=open_sites,
                    new_points=sup.clicks_frame(clicks) if clicks else None,
                    close=close,
                    name=f"方案测算{len(scenarios) + 1}",
                )
        elif kind == "best_k":
            a, b = st.columns(2)
            k = a.number_input("新增数量 k", 1, 50, 5, key="best_k")
            solver = b.selectbox(
                "求解方法",
                ["exact", "greedy"],
                format_func={"exact": "精确（HiGHS，限时 10 秒）", "greedy": "贪心 + 交换"}.get,
                key="best_k_solver",
            )
            if st.button("求解", type="primary", key="run_best_k"):
                scenario = sc.best_k(
                    problem, k=int(k), solver=solver, name=f"新增{int(k)}处（{solver}）"
                )
        elif kind == "fewest_share":
            share = st.number_input("居住小区可达比例目标（%）", 1, 100, 50, key="fewest_share")
            if st.button("求解", type="primary", key="run_fewest_share"):
                scenario = sc.fewest_for_share(
                    problem, min_share=share / 100, name=f"可达≥{share}%"
                )
        else:
            target = st.number_input("乡镇（街道）覆盖率目标（%）", 1, 100, 60, key="twp_target")
            if st.button("求解", type="primary", key="run_twp_target"):
                scenario = sc.fewest_for_township_target(
                    problem, target_pct=float(target), name=f"乡镇覆盖≥{target}%"
                )
    except sup.USER_ERRORS as exc:
        st.error(sup.error_message(exc))
    if scenario is not None:
        scenarios = sup.add_scenario(state, scenario)
        st.rerun()  # redraw the map with the new sites

    if not scenarios:
        return
    latest = scenarios[-1]
    st.markdown(f"**{latest.name}**：{sup.status_label(latest.status)}；" + "；".join(latest.notes))
    if len(latest.chosen):
        st.dataframe(sup.chosen_table(latest), hide_index=True, key="chosen_table")
    st.markdown("**方案对比**")
    st.dataframe(sup.scenarios_table(scenarios), hide_index=True, key="scenarios_table")
    a, b = st.columns(2)
    if a.button("保存方案到工作区", key="save_scenarios"):
        ids = sup.save_scenarios(sup.session_workspace(state), scenarios, label=region_code)
        st.success(f"已保存 {len(ids)} 个方案（记录 {', '.join(map(str, ids))}）。")
    if b.button("清空方案", key="clear_scenarios"):
        state[sup.SCENARIOS_STATE_KEY] = []
        st.rerun()


def show_downloads(region_code, registers, plan, basemap) -> None:
    """Excel, CSV, GeoJSON, HTML map and PNG of the run."""
    problem = sup.basemap_problem(basemap)
    if problem:
        st.warning(problem)
        basemap = "none"
    with st.spinner("正在生成 Excel、CSV、GeoJSON、HTML 地图和 PNG……"):
        files = sup.cached_downloads(region_code, registers, plan, basemap)
    cols = st.columns(3)
    for i, (key, d) in enumerate(files.items()):
        cols[i % 3].download_button(
            d.label, d.data, file_name=d.file_name, mime=d.mime, key=f"download_{key}"
        )


def show_runs() -> None:
    """The runs saved in this session's workspace."""
    path = sup.session_workspace(st.session_state)
    runs = sup.workspace_runs(path)
    if runs.empty:
        st.info("本会话的工作区还没有记录；核对校验报告后点击“确认导入”。")
        return
    st.dataframe(runs[["run_id", "kind", "label", "created_at"]], hide_index=True)
    st.caption(f"工作区文件：{path}（仅本会话可见）")


def main() -> None:
    st.set_page_config(page_title="民政服务设施覆盖评估", page_icon="🏘️", layout="wide")
    st.title("民政服务设施覆盖评估")
    st.caption("养老服务中心 · 社工站 · 骨灰安放设施 · 未成年人保护工作站：对照“十四五”规划目标")
    region_code, plan, basemap = sidebar()
    if not region_code:
        st.info("请在左侧输入区划代码。")
        st.stop()
    registers = registers_input()
    try:
        with st.spinner("正在读取区划和乡镇边界、校验登记表……"):
            region = sup.cached_region(region_code)
            imported = sup.cached_import(region_code, registers)
            run = sup.cached_coverage(region_code, registers, plan)
    except sup.USER_ERRORS as exc:
        st.error(sup.error_message(exc))
        st.stop()
    show_report(imported, registers)
    confirm_import(region_code, registers, imported, run)

    st.subheader(f"3 {region.name}覆盖情况")
    view = st.radio("查看", VIEWS, horizontal=True, key="view", label_visibility="collapsed")
    sources = sup.output_sources(registers, polygons=region.polygon_source)
    try:
        if view == "覆盖率":
            show_dashboard(run)
        elif view == "地图":
            show_map(run, basemap=basemap, sources=sources)
        elif view == REACH_VIEW:
            show_reach(region_code, registers, run, plan=plan, basemap=basemap, sources=sources)
        elif view == SITING_VIEW:
            show_siting(region_code, registers, basemap=basemap, sources=sources)
        elif view == "下载":
            show_downloads(region_code, registers, plan, basemap)
        else:
            show_runs()
    except sup.USER_ERRORS as exc:
        st.error(sup.error_message(exc))


main()
