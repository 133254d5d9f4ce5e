"""民政服务设施覆盖评估 — the planner's Streamlit app.

Run: ``servicecircle app`` (or ``streamlit run app.py``). This file wires the sidebar, the
register upload and the report; the views live in :mod:`servicecircle.app_support` (``view_*``)
and hold no analysis either. Errors of the project are shown as readable Chinese messages.
"""

from __future__ import annotations

import streamlit as st

from servicecircle import app_support as sup
from servicecircle.app_support import LAYERS

DEMO_SOURCE = "使用示例登记表"
UPLOAD_SOURCE = "上传登记表"
REACH_VIEW = "15分钟养老服务圈"
SITING_VIEW = "选址"
VIEWS = ("覆盖率", "地图", REACH_VIEW, SITING_VIEW, "下载", "工作区记录")


def sidebar() -> tuple[str, str | None, str]:
    """Region code (county, city, province or 全国), plan key and basemap key."""
    sb = st.sidebar
    sb.header("设置")
    options = sup.region_choices()
    choice = sb.selectbox(
        "区域（区县、地级市、省或全国）",
        [*options, sup.OTHER_REGION],
        format_func=lambda c: "其他：输入区划代码" if c == sup.OTHER_REGION else options[c],
        key=sup.REGION_KEY,
        help="选地级市、省或全国时，卡片和表格显示该级的汇总；在“覆盖率”页可逐级下钻。",
    )
    code = choice
    if choice == sup.OTHER_REGION:
        code = sb.text_input(
            "区划代码",
            value="",
            key=sup.REGION_CODE_KEY,
            placeholder="如 360203、3602、36 或 全国",
            help="6 位区县代码、4 位地级市代码、2 位省级代码或“全国”（2023 年统计用区划代码）；"
            "全角数字也可以。",
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
        help="本地矢量底图不需联网；在线瓦片加载失败时地图会自动改用本地底图并提示。",
    )
    return code, plan, basemap


def demo_sidebar_notice(region) -> None:
    """Which districts the demo registers cover, and whether this region is one of them."""
    demo = sup.cached_demo_counties()
    st.sidebar.caption(
        "示例登记表为据 OSM 位置生成的示例数据（非官方），含以下区县的设施："
        + "、".join(f"{n}（{c}）" for c, n in zip(demo["code"], demo["name"]))
        + "。"
    )
    notice = sup.demo_notice(region.code, region.counties["code"].tolist(), demo)
    if notice:
        st.sidebar.warning(notice)
        st.warning(notice)


def registers_input(region_code: str) -> tuple[sup.UploadedRegister, ...] | None:
    """The registers to import: None for the demo registers, else the uploads that read.

    Every upload is checked on its own: a bad one is listed with its reason and the others
    still import.
    """
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
    limit = sup.max_upload_mb()
    files = st.file_uploader(
        f"上传设施登记表（可多选；每个不超过 {limit:g} MB）",
        type=list(sup.UPLOAD_TYPES),
        accept_multiple_files=True,
        max_upload_size=int(limit * 2),
        key="uploads",
        help="CSV（UTF-8 或 GBK）、Excel（.xlsx）、GeoJSON、Shapefile（压缩为 .zip）或 GeoPackage。"
        "文件只被读取解析，不会被执行。",
    )
    checked: list[sup.UploadedRegister] = []
    bad: list[tuple[str, str]] = []
    for i, f in enumerate(files or []):
        left, right = st.columns(2)
        layer = left.selectbox(
            f"{f.name}：设施类型",
            [None, *LAYERS],
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
            checked.append(
                sup.uploaded_register(name=f.name, data=f.getvalue(), layer=layer, crs=crs)
            )
        except sup.USER_ERRORS as exc:
            bad.append((f.name, sup.error_message(exc)))
    good: tuple[sup.UploadedRegister, ...] = ()
    if checked:
        bar = st.progress(0.0, text="正在逐个读取、校验登记表……")
        good, unreadable = sup.readable_registers(
            region_code, tuple(checked), progress=bar.progress
        )
        bar.empty()
        bad += unreadable
    if bad:
        st.error(
            f"{len(bad)} 个文件未能导入（其余文件照常导入）：\n\n"
            + "\n".join(f"- **{name}**：{why}" for name, why in bad)
        )
    if not good:
        st.info("请上传至少一份可读的设施登记表，或在上方选择“使用示例登记表”。")
        st.stop()
    return good


def show_report(imported) -> None:
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


def load_all(region_code, registers, plan):
    """Region, import and coverage run, with a status box naming each step."""
    slow = "（全国约 4 万个乡镇，首次约需 2 分钟）" if region_code == sup.NATIONAL_CODE else ""
    with st.status(f"正在读取区划和乡镇边界、校验登记表、计算覆盖率{slow}……") as status:
        bar = st.progress(0.0, text="第 1 步（共 3 步）：读取区划和乡镇边界")
        region = sup.cached_region(region_code)
        bar.progress(1 / 3, text="第 2 步（共 3 步）：读取并校验登记表")
        imported = sup.cached_import(region.code, registers)
        bar.progress(2 / 3, text="第 3 步（共 3 步）：归属乡镇、计算覆盖率、对照规划目标")
        run = sup.cached_coverage(region.code, registers, plan)
        bar.progress(1.0, text="完成")
        status.update(
            label=f"{region.name}：已读取 {len(imported.facilities)} 处设施", state="complete"
        )
    return region, imported, run


def main() -> None:
    st.set_page_config(page_title="民政服务设施覆盖评估", page_icon="🏘️", layout="wide")
    st.title("民政服务设施覆盖评估")
    st.caption("养老服务中心 · 社工站 · 骨灰安放设施 · 未成年人保护工作站：对照“十四五”规划目标")
    sup.chinese_uploader_texts(limit_mb=sup.max_upload_mb())  # every uploader of the page
    typed, plan, basemap = sidebar()
    if not typed:
        st.info("请在左侧输入区划代码。")
        st.stop()
    try:
        region_code = sup.region_code_from_text(typed)
        sup.cached_region(region_code)
    except sup.USER_ERRORS as exc:
        st.error(sup.error_message(exc))
        st.stop()
    registers = registers_input(region_code)
    try:
        region, imported, run = load_all(region_code, registers, plan)
    except sup.USER_ERRORS as exc:
        st.error(sup.error_message(exc))
        st.stop()
    if registers is None:
        demo_sidebar_notice(region)
    show_report(imported)
    confirm_import(region_code, registers, imported, run)

    st.subheader(f"3 {region.name}覆盖情况")
    view = st.radio("查看", VIEWS, horizontal=True, key="view", label_visibility="collapsed")
    sources = sup.output_sources(registers, polygons=region.polygon_source)
    comparison = sup.level_comparison(run)
    try:
        if view == "覆盖率":
            sup.view_coverage.show_dashboard(run, comparison, tuple(sup.region_choices()))
        elif view == "地图":
            sup.view_coverage.show_map(run, basemap=basemap, sources=sources)
        elif view == REACH_VIEW:
            sup.view_reach.show_reach(
                region_code, registers, run, plan=plan, basemap=basemap, sources=sources
            )
        elif view == SITING_VIEW:
            sup.view_siting.show_siting(region_code, registers, basemap=basemap, sources=sources)
        elif view == "下载":
            sup.view_files.show_downloads(
                region_code, registers, run, comparison, plan=plan, basemap=basemap, sources=sources
            )
        else:
            sup.view_files.show_runs()
    except sup.USER_ERRORS as exc:
        st.error(sup.error_message(exc))


main()
