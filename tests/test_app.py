"""The Streamlit app (AppTest, no browser) and its support helpers.

Helper tests need nothing; app tests run ``app.py`` with the reference bundle (``bundle``).
The numbers the app shows are checked against hand-made registers (two facilities in two
townships cover 2 of 江岸区's 17 units) and against the library's own run on the demo.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from geo._errors import InputError
from servicecircle import app_support as sup

APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT_S = 180

# Two 江岸区 facilities in BD-09 (百度 picker) coordinates, in two different 街道 about 4 km
# apart: whatever the township polygons, they cover exactly 2 of the 17 units.
TWO_ELDERLY_BD09 = (
    "名称,街道,经度,纬度\n"
    "测试·后湖街道养老服务中心,后湖街道,114.299069,30.641434\n"
    "测试·球场街道养老服务中心,球场街道,114.305307,30.60419\n"
).encode()


# ---------------------------------------------------------------- helpers (no bundle)
def test_check_upload_refuses_oversized_file_naming_size_and_limit(monkeypatch):
    with pytest.raises(InputError, match=r"big\.csv.*21\.0 MB.*上限 20 MB"):
        sup.check_upload(name="big.csv", size_bytes=21 * 1024 * 1024, max_mb=20)
    sup.check_upload(name="ok.csv", size_bytes=20 * 1024 * 1024, max_mb=20)  # at the limit
    monkeypatch.delenv("SERVICECIRCLE_MAX_UPLOAD_MB", raising=False)
    assert sup.max_upload_mb() == 200  # a 20 MB register is no longer refused
    sup.check_upload(name="ok.csv", size_bytes=20 * 1024 * 1024 + 1)
    monkeypatch.setenv("SERVICECIRCLE_MAX_UPLOAD_MB", "1")
    with pytest.raises(InputError, match="上限 1 MB"):
        sup.check_upload(name="big.csv", size_bytes=2 * 1024 * 1024)


def test_streamlit_upload_limit_leaves_room_for_the_chinese_message():
    import tomllib

    config = tomllib.loads((APP.parent / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["server"]["maxUploadSize"] >= 2 * sup.MAX_UPLOAD_MB


def test_check_upload_refuses_other_types_and_empty_files():
    with pytest.raises(InputError, match=r"run\.py.*\.py.*不受支持"):
        sup.check_upload(name="run.py", size_bytes=10)
    with pytest.raises(InputError, match=r"old\.xls.*\.xlsx"):
        sup.check_upload(name="old.xls", size_bytes=10)
    with pytest.raises(InputError, match=r"e\.csv.*空文件"):
        sup.check_upload(name="e.csv", size_bytes=0)
    sup.check_upload(name="站点.GeoJSON", size_bytes=10)  # suffix case does not matter


def test_uploaded_register_checks_layer_and_crs_and_builds_a_bytes_spec():
    with pytest.raises(InputError, match=r"a\.csv.*'nursing'"):
        sup.uploaded_register(name="a.csv", data=b"x", layer="nursing")
    with pytest.raises(InputError, match=r"a\.csv.*'gcj-02'"):
        sup.uploaded_register(name="a.csv", data=b"x", crs="gcj-02")
    reg = sup.uploaded_register(name="a.csv", data=b"x", layer="social_work", crs="bd09")
    spec = reg.spec()
    assert spec.source == (b"x", "a.csv")
    assert (spec.layer, spec.crs) == ("social_work", "bd09")


def test_session_workspaces_are_separate_and_stable_within_a_session():
    one: dict = {}
    two: dict = {}
    a = sup.session_workspace(one)
    b = sup.session_workspace(two)
    assert a != b and a.parent != b.parent
    assert sup.session_workspace(one) == a
    assert a.parent.is_dir() and a.suffix == ".duckdb"


def test_basemap_problem_asks_for_the_tianditu_key_only_when_missing():
    assert "TIANDITU_KEY" in sup.basemap_problem("tianditu", environ={})
    assert sup.basemap_problem("tianditu", environ={"TIANDITU_KEY": "abc"}) is None
    assert sup.basemap_problem("none", environ={}) is None
    assert "未知" in sup.basemap_problem("google", environ={})


def test_local_basemap_tile_fallback_and_fast_points_on_the_map():
    from types import SimpleNamespace

    import folium
    import geopandas as gpd
    from shapely.geometry import Point, box

    from servicecircle.app_support.basemap import TILE_ERROR_NOTICE, finish_map, split_big_layers

    facilities = gpd.GeoDataFrame(
        {"layer": ["elderly_care"] * 5 + ["social_work"] * 2, "name": list("abcdefg")},
        geometry=[Point(114.3 + i / 1000, 30.6) for i in range(7)],
        crs=4326,
    )
    small, many = split_big_layers(facilities, limit=3)
    assert small["layer"].tolist() == ["social_work"] * 2
    assert many["layer"].tolist() == ["elderly_care"] * 5
    run = SimpleNamespace(
        region=SimpleNamespace(
            county_polygons=gpd.GeoDataFrame(geometry=[box(114.2, 30.5, 114.4, 30.7)], crs=4326)
        )
    )
    fmap = folium.Map(tiles=None)
    folium.TileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", attr="OSM").add_to(fmap)
    html = finish_map(fmap, run, basemap="osm", many=many).get_root().render()
    assert "tileerror" in html and TILE_ERROR_NOTICE in html  # tiles fail -> local basemap
    assert "scBase" in html and "[30.5,114.2]" in html.replace(" ", "")  # the county outline
    assert html.count("养老服务中心：") == 5  # the big layer's points, named
    blank = finish_map(folium.Map(tiles=None), run, basemap="none").get_root().render()
    assert "[30.5,114.2]" not in blank.replace(" ", "")  # 无底图: no lines


def _comparison() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scope": ["county", "county", "city"],
            "name": ["甲区", "甲区", "某市"],
            "layer": ["elderly_care", "social_work", "elderly_care"],
            "unit_level": ["township", "township", "township"],
            "units": [4, 4, 4],
            "covered": [3, 1, 3],
            "rate": [0.75, 0.25, 0.75],
            "uncovered_names": [["丁街道"], ["乙街道", "丙街道", "丁街道"], ["丁街道"]],
            "comparator": [">=", ">=", ">="],
            "target_pct": [60.0, 100.0, 60.0],
            "held_to": ["规划A ≥60%", "规划A ≥100%", "规划A ≥60%"],
            "plan_name": ["规划A", "规划A", "规划A"],
            "target_id": ["a-table", "a-text", "a-table"],
            "year": [2025, 2025, 2025],
            "primary": [True, True, True],
            "status": ["达标", "未达标", "达标"],
            "units_needed": [0, 3, 0],
        },
        index=[10, 11, 12],
    )


def test_dashboard_table_shows_rate_target_status_and_uncovered_names():
    table = sup.dashboard_table(_comparison(), scope="county")
    assert list(table.index) == [10, 11]
    assert table["设施"].tolist() == ["养老服务中心", "社工站"]
    assert table["覆盖率"].tolist() == ["75.0%", "25.0%"]
    assert table["目标"].tolist() == ["≥60%", "≥100%"]
    assert table["对照规划"].tolist() == ["规划A", "规划A"]
    targets = pd.DataFrame({"target_id": ["a-table", "a-text"], "source": ["table", "text"]})
    shown = sup.dashboard_table(_comparison(), scope="county", targets=targets)
    assert shown["对照规划"].tolist() == ["规划A（主要指标表）", "规划A（正文）"]
    # the columns that tell two rows of one unit apart come before the long ones
    assert shown.columns.tolist().index("对照规划") < shown.columns.tolist().index("覆盖率")
    assert table["结果"].tolist() == ["达标", "未达标"]
    assert table["还需覆盖"].tolist() == ["0", "3"]
    assert table["未覆盖单位"].tolist() == ["丁街道", "乙街道、丙街道、丁街道"]


def test_report_table_and_counts_in_chinese():
    report = pd.DataFrame(
        {
            "file": ["a.csv", "a.csv", "a.csv"],
            "row": [2, 3, 5],
            "column": ["名称", "lng/lat", "街道"],
            "value": ["", "30.6, 114.3", "x"],
            "reason": ["机构名称为空", "经纬度填反，已自动交换", "所属街道不在官方名单中"],
            "fix": ["补填名称后重新导入", "核对经纬度列", "核对街道名称"],
            "action": ["rejected", "repaired", "warning"],
        }
    )
    assert sup.report_counts(report) == {"rejected": 1, "repaired": 1, "warning": 1}
    assert sup.report_counts(report.iloc[0:0]) == {"rejected": 0, "repaired": 0, "warning": 0}
    table = sup.report_table(report)
    assert table["处理"].tolist() == ["未导入", "已修正后导入", "提示"]
    assert table["行"].tolist() == [2, 3, 5]


def test_sources_table_names_a_wkt_crs_by_its_name():
    wkt = 'GEOGCRS["WGS 84 (CRS84)",ENSEMBLE["World Geodetic System 1984 ensemble"]]'
    table = sup.sources_table(
        [
            {"file": "a.geojson", "crs": wkt, "rows_read": 3, "rows_kept": 2},
            {"file": "b.csv", "crs": "bd09", "columns": {"lon": "经度"}, "rows_rejected": 1},
        ]
    )
    assert table["坐标系"].tolist() == ["WGS 84 (CRS84)", "bd09"]
    assert table["识别的列"].tolist() == ["", "lon=经度"]
    assert table["未导入行"].tolist() == [0, 1]


# ---------------------------------------------------------------- the app (bundle)
@pytest.fixture
def app(bundle, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SERVICE_DATA_DIR", str(bundle))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _upload(at, name: str, data: bytes, *, layer: str | None = None, crs: str = "auto"):
    at.radio(key="register_source").set_value("上传登记表").run()
    at.file_uploader(key="uploads").upload(name, data, "text/csv").run()
    at.selectbox(key="upload_layer_0").set_value(layer)
    at.selectbox(key="upload_crs_0").set_value(crs)
    at.run()
    return at


def _coverage_table(at) -> pd.DataFrame:
    tables = [d.value for d in at.dataframe if "结果" in d.value.columns]
    assert len(tables) == 1
    return tables[0]


def test_demo_coverage_matches_the_library_run(app, bundle):
    from servicecircle import workflows
    from servicecircle.demo import demo_register_specs, demo_seat_points

    region = workflows.load_region("420102", seat_points=demo_seat_points())
    run = workflows.coverage_run(region, workflows.import_registers(demo_register_specs(), region))
    expected = run.comparison[run.comparison["scope"] == "county"]

    assert not app.error
    table = _coverage_table(app)
    assert table["已覆盖"].tolist() == expected["covered"].tolist()
    assert table["单位数"].tolist() == expected["units"].tolist()
    assert set(table["结果"]) <= {"达标", "未达标", "无对应指标"}
    labels = [m.label for m in app.metric]
    assert {"养老服务中心", "社工站", "骨灰安放设施", "未成年人保护工作站"} <= set(labels)
    # the demo 社工站 CSV has one nameless row: rejected and reported, not a traceback
    report = next(d.value for d in app.dataframe if "修改建议" in d.value.columns)
    assert ((report["文件"] == "社工站_示例_GBK.csv") & (report["处理"] == "未导入")).any()


def test_selecting_another_county_changes_region_and_units(app):
    app.sidebar.selectbox(key="region").set_value("420103").run()
    assert not app.exception and not app.error
    assert any("江汉区" in s.value for s in app.subheader)
    table = _coverage_table(app)
    assert set(table["区域"]) == {"江汉区"}


def test_uploaded_register_is_counted_by_hand(app):
    _upload(app, "两个养老中心.csv", TWO_ELDERLY_BD09, layer="elderly_care", crs="bd09")
    assert not app.exception and not app.error
    table = _coverage_table(app)
    eld = table[(table["设施"] == "养老服务中心") & (table["口径"] == "乡镇（街道）")]
    assert eld["已覆盖"].unique().tolist() == [2]
    assert eld["单位数"].unique().tolist() == [17]
    assert eld["覆盖率"].unique().tolist() == [f"{2 / 17:.1%}"]
    other = table[table["设施"] == "社工站"]
    assert other["已覆盖"].unique().tolist() == [0]


def test_bad_register_rows_are_reported_not_raised(app):
    bad = "名称,经度,纬度\n,114.30,30.60\n某养老院,abc,30.61\n".encode()
    _upload(app, "坏登记表.csv", bad, layer="elderly_care")
    assert not app.exception
    report = next(d.value for d in app.dataframe if "修改建议" in d.value.columns)
    assert set(report["文件"]) == {"坏登记表.csv"}
    assert set(report["行"]) == {2, 3}
    assert (report["处理"] == "未导入").all()
    assert next(m.value for m in app.metric if m.label == "导入设施") == "0 个"


def test_unreadable_register_shows_a_readable_error(app):
    _upload(app, "乱码.csv", b"foo,bar\n1,2\n", layer="elderly_care")
    assert not app.exception
    assert any("乱码.csv" in e.value for e in app.error), [e.value for e in app.error]


def test_oversized_upload_is_refused_with_the_limit(app, monkeypatch):
    monkeypatch.setenv("SERVICECIRCLE_MAX_UPLOAD_MB", "1")
    big = b"a" * (1024 * 1024 + 1)
    _upload_no_options(app, "大文件.csv", big)
    assert not app.exception
    assert any("大文件.csv" in e.value and "上限" in e.value for e in app.error)


def _upload_no_options(at, name: str, data: bytes):
    at.radio(key="register_source").set_value("上传登记表").run()
    at.file_uploader(key="uploads").upload(name, data, "text/csv").run()
    return at


def test_bad_region_code_is_an_error_message(app):
    app.sidebar.selectbox(key="region").set_value("__other__").run()
    app.sidebar.text_input(key="region_code").set_value("12ab").run()
    assert not app.exception
    assert any("12ab" in e.value for e in app.error)


def test_confirm_import_saves_into_this_sessions_workspace_only(app):
    app.radio(key="view").set_value("工作区记录").run()
    assert any("还没有记录" in i.value for i in app.info)
    app.button(key="confirm_import").click().run()
    assert not app.exception and not app.error
    assert any("已导入 4 份登记表" in s.value for s in app.success)
    runs = app.dataframe[-1].value
    assert runs["类型"].tolist() == ["覆盖率"]
    assert list(runs.columns) == ["记录编号", "类型", "名称", "保存时间（UTC）"]
    path = app.session_state[sup.WORKSPACE_STATE_KEY]
    assert Path(path).is_file()
    labels = {b.label for b in app.get("download_button")}
    assert {"工作区文件（DuckDB）", "记录 1 Excel"} <= labels


@pytest.mark.slow
def test_map_and_downloads_views(app):
    app.sidebar.selectbox(key="basemap").set_value("tianditu").run()
    app.radio(key="view").set_value("地图").run()
    assert not app.exception and not app.error
    assert any("TIANDITU_KEY" in w.value for w in app.warning)  # falls back to no tiles
    app.sidebar.selectbox(key="basemap").set_value("none")
    app.radio(key="view").set_value("下载").run()
    assert not app.exception and not app.error
    buttons = app.get("download_button")
    labels = {b.label for b in buttons}
    assert {"Excel 工作簿", "CSV 对照表（中文列名）", "HTML 地图", "PNG 静态图"} <= labels
    assert all(not b.label.isascii() for b in buttons)  # every label in Chinese


def _reached(at) -> tuple[int, int]:
    card = next(m for m in at.metric if "分钟可达" in m.label)
    reached, points = card.delta.split(" ")[0], card.delta.split(" ")[2]
    assert card.value == f"{int(reached) / int(points):.1%}"
    return int(reached), int(points)


@pytest.mark.slow
def test_reach_view_never_falls_as_minutes_grow(app):
    app.sidebar.selectbox(key="basemap").set_value("none")
    app.radio(key="view").set_value("15分钟养老服务圈").run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    reached_15, points = _reached(app)
    assert 0 < reached_15 <= points
    scenarios = next(d.value for d in app.dataframe if "直线距离口径" in d.value.columns)
    assert scenarios["步行速度（米/秒）"].tolist() == ["1", "0.9", "0.8", "0.6"]
    assert scenarios["15分钟直线半径（米）"].tolist() == ["900", "810", "720", "540"]
    app.slider(key="reach_minutes").set_value(10).run()
    reached_10, points_10 = _reached(app)
    app.slider(key="reach_minutes").set_value(30).run()
    reached_30, points_30 = _reached(app)
    assert points_10 == points_30 == points
    assert reached_10 <= reached_15 <= reached_30
    assert any("一刻钟" in c.value or "15分钟" in c.value for c in app.caption)
    # the sources are printed under the map: no box of them over the district
    from servicecircle.app_support.maps import reach_folium_map

    run = sup.cached_coverage("420102", None, None)
    reach = sup.cached_reach("420102", None, minutes=30.0, walk_speed_m_s=1.0)
    assert "数据来源" not in reach_folium_map(run, reach, basemap="local").get_root().render()
    assert any(c.value.startswith("数据来源：") and "道路" in c.value for c in app.caption)
    # uniform 60+ weights within the county: the weighted share is not shown twice
    assert not any(m.label == "按60岁以上人口加权" for m in app.metric)
    assert any("权重相同" in c.value for c in app.caption)
    app.toggle(key="reach_exports").set_value(True).run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    files = {b.label for b in app.get("download_button")}
    assert {"15分钟圈 Excel", "15分钟圈 HTML 地图", "15分钟圈 PNG 静态图"} <= files


def test_reach_view_explains_regions_without_streets(app):
    app.sidebar.selectbox(key="region").set_value("__other__").run()
    app.sidebar.text_input(key="region_code").set_value("360203").run()
    app.radio(key="view").set_value("15分钟养老服务圈").run()
    assert not app.exception and not app.error
    assert any("360203" in i.value and "道路" in i.value for i in app.info)


def _table_with(at, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _pct(text: str) -> float:
    return float(text.rstrip("%"))


@pytest.fixture
def siting(app):
    app.sidebar.selectbox(key="basemap").set_value("none")
    app.radio(key="view").set_value("选址").run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    return app


@pytest.mark.slow
def test_what_if_with_a_clicked_site(siting):
    # a map click arrives as st_folium's last_clicked; AppTest has no browser, so the click
    # goes through the same session-state hook record_click writes (the e2e test clicks)
    assert sup.record_click(siting.session_state, {"lng": 114.30, "lat": 30.62}, basemap="none")
    siting.run()
    siting.button(key="run_whatif").click().run()
    assert not siting.exception and not siting.error, [e.value for e in siting.error]
    row = _table_with(siting, "可达（后）").iloc[-1]
    assert (row["类型"], row["新增"], row["关闭"]) == ("方案测算", 1, 0)
    assert _pct(row["可达（后）"]) >= _pct(row["可达（前）"])
    site = _table_with(siting, "编号").iloc[0]
    assert (site["经度"], site["纬度"], site["来源"]) == (114.3, 30.62, "地图点选")


def test_record_click_adds_each_click_once_and_unshifts_amap():
    state: dict = {}
    assert sup.record_click(state, {"lng": 114.3, "lat": 30.6}, basemap="none")
    assert not sup.record_click(state, {"lng": 114.3, "lat": 30.6}, basemap="none")  # rerun
    assert not sup.record_click(state, None, basemap="none")
    assert sup.record_click(state, {"lng": 114.31, "lat": 30.61}, basemap="amap")
    (x0, y0), (x1, y1) = state[sup.CLICKS_STATE_KEY]
    assert (x0, y0) == (114.3, 30.6)
    # GCJ-02 is offset from WGS84 by a few hundred metres in Wuhan: the click moves back
    assert 0.001 < abs(114.31 - x1) < 0.01 and 0.001 < abs(30.61 - y1) < 0.01


@pytest.mark.slow
def test_best_k_exact_never_worse_than_greedy_and_scenarios_saved(siting):
    siting.radio(key="siting_kind").set_value("best_k").run()
    siting.number_input(key="best_k").set_value(3).run()
    siting.button(key="run_best_k").click().run()
    siting.selectbox(key="best_k_solver").set_value("greedy").run()
    siting.button(key="run_best_k").click().run()
    assert not siting.exception and not siting.error
    table = _table_with(siting, "可达（后）")
    exact, greedy = table.iloc[-2], table.iloc[-1]
    assert exact["新增"] == greedy["新增"] == 3
    assert _pct(exact["可达（后）"]) >= _pct(greedy["可达（后）"]) >= _pct(greedy["可达（前）"])
    siting.button(key="save_scenarios").click().run()
    assert any("已保存 2 个方案" in s.value for s in siting.success)
    runs = sup.workspace_runs(Path(siting.session_state[sup.WORKSPACE_STATE_KEY]))
    assert runs["kind"].tolist() == ["siting", "siting"]
    assert table["求解"].tolist()[-2:] == ["精确求解（HiGHS）", "贪心 + 交换"]
    chosen = _table_with(siting, "编号")
    assert "新增可达60岁以上人口（人，估算）" in chosen.columns
    siting.toggle(key="siting_exports").set_value(True).run()
    assert not siting.exception and not siting.error, [e.value for e in siting.error]
    files = {b.label for b in siting.get("download_button")}
    assert {"选址方案 Excel", "选址方案 HTML 地图", "选址方案 PNG 静态图"} <= files


@pytest.mark.slow
def test_unreachable_township_target_is_a_message_not_a_traceback(siting):
    siting.radio(key="siting_kind").set_value("township_target").run()
    siting.number_input(key="twp_target").set_value(100).run()
    siting.button(key="run_twp_target").click().run()
    assert not siting.exception
    assert any(e.value.startswith("无法满足") for e in siting.error), [
        e.value for e in siting.error
    ]
    text = next(e.value for e in siting.error if e.value.startswith("无法满足"))
    assert "街道" in text and not any(w in text for w in ("target", "units", "Fix"))
    assert not re.search(r"\d{12}", text)  # township names, not codes
    # the map, the methods and the rest of the view are still there
    assert siting.radio(key="siting_kind").value == "township_target"


@pytest.mark.slow
def test_bad_candidate_file_stays_in_its_box(siting):
    siting.file_uploader(key="candidate_upload").upload("候选.xlsx", b"not a workbook").run()
    assert not siting.exception
    assert any("候选.xlsx" in e.value and "其余功能照常" in e.value for e in siting.error)
    assert siting.radio(key="siting_kind").value == "what_if"  # the methods are still there
    assert any("覆盖矩阵用时" in c.value for c in siting.caption)


# ---------------------------------------------------------------- levels, isolation, exports
def _card(at, label: str):
    return next(m for m in at.metric if m.label == label)


def test_city_cards_show_the_city_roll_up_with_every_target(app):
    app.sidebar.selectbox(key="region").set_value("4201").run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    run = sup.cached_coverage("4201", None, None)
    city = run.summary[(run.summary["scope"] == "city") & (run.summary["unit_level"] == "township")]
    for layer, label in (("elderly_care", "养老服务中心"), ("social_work", "社工站")):
        row = city[city["layer"] == layer].iloc[0]
        assert _card(app, label).value == f"{row['covered'] / row['units']:.1%}"
    county = run.summary[(run.summary["scope"] == "county") & (run.summary["code"] == "420102")]
    jiangan = county[(county["layer"] == "social_work") & (county["unit_level"] == "township")]
    assert _card(app, "社工站").value != f"{jiangan['rate'].iloc[0]:.1%}"  # not 江岸区's
    captions = [c.value for c in app.caption]
    assert any("目标" in c and "专栏" in c and "未达标" in c for c in captions)
    # the demo registers hold no facility in most of 武汉市: the page says so
    assert any("示例登记表只有" in w.value for w in app.warning)
    drill = next(d.value for d in app.dataframe if "代码" in d.value.columns)
    assert len(drill) == 13 and "420103" in drill["代码"].tolist()


def test_drill_down_from_city_to_county(app):
    app.sidebar.selectbox(key="region").set_value("4201").run()
    app.selectbox(key="drill_pick_4201").set_value("420103").run()
    app.button(key="drill_go").click().run()
    assert not app.exception and not app.error
    assert any("江汉区" in s.value for s in app.subheader)
    drill = next(d.value for d in app.dataframe if "类型" in d.value.columns)
    assert len(drill) == 15  # 江汉区's townships
    app.button(key="drill_up").click().run()
    assert any("武汉市" in s.value for s in app.subheader)


def test_province_42_loads_naming_the_units_without_polygons(app):
    app.sidebar.selectbox(key="region").set_value("42").run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert any("湖北省" in s.value for s in app.subheader)
    note = " ".join(c.value for c in app.caption)
    assert "荆州经济技术开发区（421071）" in note and "龙感湖管理区（421171）" in note
    drill = next(d.value for d in app.dataframe if "代码" in d.value.columns)
    assert "4201" in drill["代码"].tolist()


def test_full_width_and_unknown_region_codes(app):
    app.sidebar.selectbox(key="region").set_value("__other__").run()
    app.sidebar.text_input(key="region_code").set_value("４２０１０２").run()
    assert not app.exception and not app.error
    assert any("江岸区" in s.value for s in app.subheader)
    app.sidebar.text_input(key="region_code").set_value("999999").run()
    assert not app.exception
    assert any("999999 不在 2023 年统计用区划代码中" in e.value for e in app.error)


def test_a_bad_upload_does_not_spoil_the_good_one(app):
    gbk = (APP.parent / "data" / "demo" / "社工站_示例_GBK.csv").read_bytes()
    png = b"\x89PNG\r\n\x1a\n" + bytes(200)
    app.radio(key="register_source").set_value("上传登记表").run()
    app.file_uploader(key="uploads").set_value(
        [("社工站.csv", gbk, "text/csv"), ("照片.xlsx", png, "application/octet-stream")]
    ).run()
    assert not app.exception
    errors = " ".join(e.value for e in app.error)
    assert "照片.xlsx" in errors and "社工站.csv" not in errors
    assert _card(app, "导入设施").value != "0 个"
    assert _card(app, "社工站").value != "0.0%"


def test_word_briefing_one_click(app):
    import io

    import docx

    app.radio(key="view").set_value("下载").run()
    app.checkbox(key="docx_reach").uncheck().run()
    app.button(key="make_docx").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    doc = app.session_state["docx_file"]
    assert doc.file_name.endswith(".docx")
    d = docx.Document(io.BytesIO(doc.data))
    assert d.paragraphs[0].text == "江岸区 民政服务设施覆盖情况简报"
    header = [c.text for c in d.tables[0].rows[0].cells]
    assert {"区域", "设施", "覆盖率", "目标", "结果"} <= set(header)
    run = sup.cached_coverage("420102", None, None)
    county = run.comparison[run.comparison["scope"] == "county"]
    assert len(d.tables[0].rows) - 1 == len(county)
    assert len(d.inline_shapes) == 1


def test_stale_session_workspaces_are_removed(tmp_path):
    import os
    import time

    from servicecircle.app_support.workspace import SESSION_PREFIX, remove_stale_workspaces

    old, new = tmp_path / f"{SESSION_PREFIX}old", tmp_path / f"{SESSION_PREFIX}new"
    for folder in (old, new):
        folder.mkdir()
        (folder / "workspace.duckdb").write_bytes(b"x")
    two_days_ago = time.time() - 48 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    other = tmp_path / "someone-else"
    other.mkdir()
    os.utime(other, (two_days_ago, two_days_ago))
    assert remove_stale_workspaces(root=tmp_path) == [old]
    assert not old.exists() and new.is_dir() and other.is_dir()
