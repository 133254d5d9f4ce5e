"""The coverage view and the map view: headline cards of the chosen level with every target,
the drill-down one level down, the coverage table, and the coverage map.

Views draw widgets (they are the app's pages, kept out of ``app.py`` so it stays short);
everything they show is computed in the other rooms of :mod:`servicecircle.app_support`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from geo.layers import LAYERS
from servicecircle.app_support.levels import (
    NATIONAL_CODE,
    SCOPE_LABELS,
    child_scope,
    drill_table,
    headline_lines,
    headlines,
    scope_of,
)
from servicecircle.app_support.tables import dashboard_table

if TYPE_CHECKING:
    import pandas as pd

    from servicecircle.workflows import CoverageRun

#: session-state keys of the sidebar's region widgets (the drill-down sets them)
REGION_KEY = "region"
REGION_CODE_KEY = "region_code"
OTHER_REGION = "__other__"


def go_to_region(code: str, options: tuple[str, ...]) -> None:
    """Callback: make ``code`` the sidebar's region (before the next run draws the sidebar)."""
    if code in options:
        st.session_state[REGION_KEY] = code
    else:
        st.session_state[REGION_KEY] = OTHER_REGION
        st.session_state[REGION_CODE_KEY] = code


def show_cards(run: CoverageRun, comparison: pd.DataFrame) -> None:
    """One card per layer at the chosen level, with every target, its value and status."""
    scope = scope_of(run.region.code)
    cards = headlines(comparison, scope=scope, code=run.region.code, targets=run.targets)
    cols = st.columns(max(len(cards), 1))
    for col, h in zip(cols, cards):
        first = h.targets[0] if h.targets else None
        col.metric(
            h.label,
            "—" if h.rate != h.rate else f"{h.rate:.1%}",
            delta=h.status if first is None else f"{h.status}（目标 {first.target_pct:g}%）",
            delta_color="normal" if h.status == "达标" else "inverse",
            delta_arrow="off",
            border=True,
            help=f"{SCOPE_LABELS[scope]}合计：{h.covered} / {h.units} 个单位有该类设施",
        )
        col.caption(f"{h.covered} / {h.units} 个单位已覆盖")
        for line in headline_lines(h):
            col.caption(line)


def show_drill(run: CoverageRun, comparison: pd.DataFrame, options: tuple[str, ...]) -> None:
    """The units one level down, with a select-and-go to each (province → city → county)."""
    scope = scope_of(run.region.code)
    down = child_scope(scope)
    table = drill_table(run, comparison)
    st.markdown(f"**下一级：{SCOPE_LABELS[down]}（{len(table)} 个）**")
    parent = _parent_code(run.region.code)
    if parent is not None:
        st.button("返回上一级", key="drill_up", on_click=go_to_region, args=(parent, options))
    if down == "township":
        st.dataframe(table, hide_index=True, key="drill_table")
        return
    codes = table["代码"].tolist()
    key = f"drill_table_{run.region.code}"

    def on_row() -> None:  # a click on a row goes one level down at once
        rows = st.session_state[key].selection.rows
        if rows:
            go_to_region(codes[rows[0]], options)

    st.dataframe(
        table,
        hide_index=True,
        key=key,
        on_select=on_row,
        selection_mode="single-row",
    )
    left, right = st.columns([3, 1])
    names = dict(zip(table["代码"], table["名称"]))
    pick = left.selectbox(
        f"查看某个{SCOPE_LABELS[down]}",
        codes,
        format_func=lambda c: f"{names.get(c, c)}（{c}）",
        key=f"drill_pick_{run.region.code}",
        help="也可以直接点击上表中的一行。",
    )
    right.button(
        "进入",
        key="drill_go",
        on_click=go_to_region,
        args=(pick, options),
        use_container_width=True,
    )


def _parent_code(code: str) -> str | None:
    if code == NATIONAL_CODE:
        return None
    return {6: code[:4], 4: code[:2], 2: NATIONAL_CODE}.get(len(code))


def show_dashboard(run: CoverageRun, comparison: pd.DataFrame, options: tuple[str, ...]) -> None:
    """Cards of the chosen level, the drill-down, and the coverage table against the targets."""
    show_cards(run, comparison)
    show_drill(run, comparison, options)
    order = ("national", "province", "city", "county")
    scopes = [s for s in order if (comparison["scope"] == s).any()]
    st.markdown("**覆盖率与规划目标**")
    scope = st.radio(
        "汇总层级",
        scopes,
        index=scopes.index(scope_of(run.region.code)) if scope_of(run.region.code) in scopes else 0,
        format_func=SCOPE_LABELS.get,
        horizontal=True,
        key=f"scope_{run.region.code}",
    )
    st.dataframe(
        dashboard_table(comparison, scope=scope, targets=run.targets),
        hide_index=True,
        key="coverage",
        column_config={"对照指标": st.column_config.TextColumn(width="large")},
    )
    st.caption(f"乡镇边界：{run.region.polygon_source}")
    for note in run.region.notes:
        st.caption(f"说明：{note}")
    if len(run.disagreements):
        with st.expander(f"归属不一致的设施（{len(run.disagreements)} 个）"):
            from servicecircle.outputs import planner_view

            st.dataframe(planner_view(run.disagreements), hide_index=True)


def show_map(run: CoverageRun, *, basemap: str, sources: tuple[str, ...]) -> None:
    """The coverage map of one layer; display-only (no reruns on pan or click)."""
    from streamlit_folium import st_folium

    from servicecircle.app_support.basemap import BIG_LAYER_POINTS
    from servicecircle.app_support.maps import coverage_folium_map
    from servicecircle.app_support.messages import basemap_problem

    layer = st.selectbox("图层", list(LAYERS), format_func=LAYERS.get, key="map_layer")
    problem = basemap_problem(basemap)
    if problem:
        st.warning(problem)
        basemap = "local"
    n = int(run.facilities.geometry.notna().sum())
    with st.status(f"正在绘制地图（{n} 处设施）……", expanded=False) as status:
        fmap = coverage_folium_map(run, layer=layer, basemap=basemap)
        status.update(label=f"地图已绘制（{n} 处设施）", state="complete")
    st_folium(
        fmap, key=f"coverage_map_{layer}_{basemap}", height=560, width=None, returned_objects=[]
    )
    map_caption(sources, big=n > BIG_LAYER_POINTS)


def map_caption(sources: tuple[str, ...], *, big: bool = False) -> None:
    """The data sources under a map (kept off the map, so nothing covers the district)."""
    st.caption("数据来源：" + "；".join(sources))
    if big:
        st.caption("设施较多的图层以快速点图层绘制（悬停显示名称）。")
