"""The downloads view and the workspace view: every output of the run, the Word briefing, the
saved records (each downloadable) and the workspace file itself.

A view draws widgets (one page of the app, kept out of ``app.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from servicecircle.app_support import loaders
from servicecircle.app_support.downloads import cached_downloads
from servicecircle.app_support.messages import USER_ERRORS, basemap_problem, error_message
from servicecircle.app_support.siting import SCENARIOS_STATE_KEY
from servicecircle.app_support.workspace import runs_table, session_workspace, workspace_runs

if TYPE_CHECKING:
    import pandas as pd

    from servicecircle.app_support.uploads import UploadedRegister
    from servicecircle.workflows import CoverageRun


def _buttons(files: dict, *, per_row: int = 3) -> None:
    cols = st.columns(per_row)
    for i, (key, d) in enumerate(files.items()):
        cols[i % per_row].download_button(
            d.label, d.data, file_name=d.file_name, mime=d.mime, key=f"download_{key}"
        )


def show_briefing(
    region_code: str,
    registers: tuple[UploadedRegister, ...] | None,
    run: CoverageRun,
    comparison: pd.DataFrame,
    *,
    sources: tuple[str, ...],
) -> None:
    """The one-click Word briefing (with the 15-minute figures and the latest scenario when
    there are)."""
    from servicecircle.app_support.exports import briefing_download
    from servicecircle.app_support.messages import reach_problem

    st.markdown("**Word 简报**")
    can_reach = reach_problem(region_code) is None
    with_reach = st.checkbox(
        "包含15分钟养老服务圈（沿街道步行 15 分钟，1.0 米/秒）",
        value=can_reach,
        disabled=not can_reach,
        key="docx_reach",
    )
    scenarios = st.session_state.get(SCENARIOS_STATE_KEY, [])
    if scenarios:
        st.caption(f"选址建议取本会话最新的方案：{scenarios[-1].name}。")
    if st.button("生成 Word 简报", type="primary", key="make_docx"):
        with st.status("正在生成 Word 简报……", expanded=False) as status:
            reach = None
            if with_reach and can_reach:
                reach = loaders.cached_reach(
                    region_code, registers, minutes=15.0, walk_speed_m_s=1.0
                )
            st.session_state["docx_file"] = briefing_download(
                region_code,
                run,
                comparison=comparison,
                sources=sources,
                reach=reach,
                scenario=scenarios[-1] if scenarios else None,
            )
            status.update(label="Word 简报已生成", state="complete")
    doc = st.session_state.get("docx_file")
    if doc is not None:
        st.download_button(
            doc.label, doc.data, file_name=doc.file_name, mime=doc.mime, key="download_docx"
        )


def show_downloads(
    region_code: str,
    registers: tuple[UploadedRegister, ...] | None,
    run: CoverageRun,
    comparison: pd.DataFrame,
    *,
    plan: str | None,
    basemap: str,
    sources: tuple[str, ...],
) -> None:
    """Excel, CSV, GeoJSON, HTML map, PNG/PDF of the run, and the Word briefing."""
    problem = basemap_problem(basemap)
    if problem:
        st.warning(problem)
        basemap = "local"
    with st.status("正在生成 Excel、CSV、GeoJSON、HTML 地图和 PNG……", expanded=False) as status:
        files = cached_downloads(region_code, registers, plan, basemap)
        status.update(label=f"已生成 {len(files)} 个文件", state="complete")
    st.markdown("**覆盖率结果**")
    _buttons(files)
    st.caption("15分钟养老服务圈和选址方案的文件在各自页面下方下载。")
    show_briefing(region_code, registers, run, comparison, sources=sources)


def show_runs() -> None:
    """The runs saved in this session's workspace, each downloadable, and the file itself."""
    from servicecircle.app_support.exports import saved_run_download, workspace_download

    path = session_workspace(st.session_state)
    runs = workspace_runs(path)
    if runs.empty:
        st.info("本会话的工作区还没有记录；核对校验报告后点击“确认导入”。")
        return
    st.dataframe(runs_table(runs), hide_index=True, key="runs_table")
    left, right = st.columns([3, 1])
    ids = runs["run_id"].astype(int).tolist()
    labels = dict(zip(ids, runs["label"].astype(str)))
    pick = left.selectbox(
        "打开记录", ids, index=len(ids) - 1, format_func=lambda i: f"记录 {i}：{labels[i]}",
        key="run_pick",
    )  # fmt: skip
    try:
        d = saved_run_download(path, pick)
    except USER_ERRORS as exc:
        st.error(error_message(exc))
    else:
        right.download_button(
            d.label, d.data, file_name=d.file_name, mime=d.mime, key="download_run"
        )
    ws = workspace_download(path)
    if ws is not None:
        st.download_button(
            ws.label, ws.data, file_name=ws.file_name, mime=ws.mime, key="download_workspace"
        )
        st.caption(
            "工作区文件可用 DuckDB 打开，或在命令行用 servicecircle 的 --workspace 参数继续使用。"
        )
