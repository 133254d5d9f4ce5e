"""Excel / CSV / GeoJSON / self-contained HTML writers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from shapely.geometry import Point, Polygon

from geo._errors import InputError
from geo._vendor import LEAFLET_CSS_URL, LEAFLET_JS_URL, leaflet_dir
from geo.export import (
    CHINESE_HEADERS,
    chinese_header,
    save_html,
    write_csv,
    write_excel,
    write_geojson,
)

SCRIPT_NAME = "<script>alert(1)</script>"


def _comparison() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scope": ["county", "county"],
            "code": ["420106", "420111"],
            "name": ["武昌区", "洪山区"],
            "layer": ["elderly_care", "elderly_care"],
            "units": [4, 2],
            "covered": [2, 2],
            "rate": [0.5, 1.0],
            "uncovered_names": [["中南路街道", "水果湖街道"], []],
            "target_pct": [90.0, 90.0],
            "status": ["未达标", "达标"],
            "units_needed": [2, 0],
        }
    )


def _facilities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "facility_id": ["F1", "F2", "F3"],
            "name": [SCRIPT_NAME, '=HYPERLINK("http://x","点我")', "武昌区颐养中心"],
            "layer": ["elderly_care"] * 3,
            "n_items": [1, np.nan, 3],
        },
        geometry=[Point(114.3, 30.5), None, Point(114.31, 30.52)],
        crs="EPSG:4326",
    )


def test_excel_workbook_is_formatted_for_planners(tmp_path: Path):
    path = tmp_path / "覆盖.xlsx"
    comparison = _comparison()
    before = comparison.copy()
    write_excel(
        path,
        {"对照目标": comparison, "设施清单": _facilities()},
        title="武汉市 养老服务设施覆盖情况",
        notes=["乡镇边界：OpenStreetMap 行政边界（近似）"],
        date="2026-01-31",
    )
    pd.testing.assert_frame_equal(comparison, before)  # input untouched

    wb = load_workbook(path)
    assert wb.sheetnames == ["说明", "对照目标", "设施清单"]
    about = [c.value for c in wb["说明"]["A"] if c.value]
    assert about[0] == "武汉市 养老服务设施覆盖情况"
    assert "生成日期：2026-01-31" in about
    assert "© OpenStreetMap contributors (ODbL)" in about

    ws = wb["对照目标"]
    headers = [c.value for c in ws[1]]
    assert headers[:5] == ["范围", "代码", "名称", "设施类型", "单元数"]
    assert {"已覆盖", "覆盖率", "未覆盖单元", "目标值(%)", "达标情况", "还需覆盖单元数"} <= set(
        headers
    )
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:K3"
    col = {h: i for i, h in enumerate(headers)}
    rate_cell = ws.cell(row=2, column=col["覆盖率"] + 1)
    assert rate_cell.value == 0.5 and rate_cell.number_format == "0.0%"
    assert ws.cell(row=2, column=col["未覆盖单元"] + 1).value == "中南路街道、水果湖街道"
    failing = ws.cell(row=2, column=col["达标情况"] + 1)
    passing = ws.cell(row=3, column=col["达标情况"] + 1)
    assert failing.value == "未达标" and failing.fill.fgColor.rgb.endswith("FFC7CE")
    assert passing.value == "达标" and passing.fill.fgColor.rgb.endswith("C6EFCE")
    assert ws.column_dimensions["H"].width >= 20  # the joined names fit

    fac = wb["设施清单"]
    fac_headers = [c.value for c in fac[1]]
    assert fac_headers == ["设施编号", "名称", "设施类型", "n_items", "经度", "纬度"]
    assert fac["B2"].value == SCRIPT_NAME and fac["B2"].data_type == "s"
    assert fac["B3"].value.startswith("=HYPERLINK") and fac["B3"].data_type == "s"  # not a formula
    assert fac["D3"].value is None and fac["E3"].value is None  # NaN and no location -> empty
    assert fac["E2"].value == pytest.approx(114.3)


def test_excel_errors_name_the_argument(tmp_path: Path):
    with pytest.raises(InputError, match=r"should end with \.xlsx"):
        write_excel(tmp_path / "a.xls", {"t": _comparison()})
    with pytest.raises(InputError, match="sheets is empty"):
        write_excel(tmp_path / "a.xlsx", {})
    with pytest.raises(InputError, match="folder .* does not exist"):
        write_excel(tmp_path / "no" / "a.xlsx", {"t": _comparison()})


def test_chinese_headers_cover_layer_columns():
    assert chinese_header("n_elderly_care") == "养老服务中心数量"
    assert chinese_header("covered_cremains") == "骨灰安放设施已覆盖"
    assert chinese_header("held_to") == "对照指标" == CHINESE_HEADERS["held_to"]
    assert chinese_header("something_else") == "something_else"


def test_csv_has_bom_joined_lists_and_no_formulas(tmp_path: Path):
    path = write_csv(tmp_path / "c.csv", _facilities().assign(tags=[["a", "b"], [], None]))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back.columns.tolist() == [
        "facility_id",
        "name",
        "layer",
        "n_items",
        "tags",
        "lon",
        "lat",
    ]
    assert back["name"].tolist()[0] == SCRIPT_NAME
    assert back["name"].tolist()[1] == "'" + '=HYPERLINK("http://x","点我")'
    assert back["tags"].tolist() == ["a、b", "", ""]

    zh = write_csv(tmp_path / "zh.csv", _comparison(), chinese_headers=True)
    header = zh.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[:3] == ["范围", "代码", "名称"]


def test_geojson_is_wgs84_with_nulls_and_joined_lists(tmp_path: Path):
    projected = gpd.GeoDataFrame(
        {"name": ["甲", "乙"], "codes": [["1", "2"], []], "rate": [np.nan, 0.25]},
        geometry=[Point(500000, 3380000), None],
        crs="EPSG:32650",
    )
    path = write_geojson(tmp_path / "t.geojson", projected)
    data = json.loads(path.read_text(encoding="utf-8"))  # strict JSON: NaN would fail here
    first, second = data["features"]
    assert first["properties"] == {"name": "甲", "codes": "1、2", "rate": None}
    assert second["properties"]["rate"] == 0.25 and second["geometry"] is None
    lon, lat = first["geometry"]["coordinates"]
    assert 116.9 < lon < 117.1 and 30.5 < lat < 30.6  # UTM 50N easting 500 km = 117°E
    assert "NaN" not in path.read_text(encoding="utf-8")
    with pytest.raises(InputError, match="has no CRS"):
        write_geojson(tmp_path / "x.geojson", projected.set_crs(None, allow_override=True))


def _leaflet_only_map() -> folium.Map:
    m = folium.Map(location=[30.5, 114.3], tiles=None, control_scale=True)
    m.default_js = [("leaflet", LEAFLET_JS_URL)]
    m.default_css = [("leaflet_css", LEAFLET_CSS_URL)]
    folium.CircleMarker([30.5, 114.3], radius=5).add_to(m)
    return m


def test_save_html_inlines_leaflet_and_links_nothing_external(tmp_path: Path):
    path = save_html(_leaflet_only_map(), tmp_path / "m.html")
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+stylesheet", html)
    assert "Leaflet 1.9.4" in html  # the vendored file's banner
    assert "url(images/" not in html and "data:image/png;base64," in html
    assert html.count("</script>") == html.count("<script")


def test_save_html_refuses_unvendored_plugins(tmp_path: Path):
    m = folium.Map(location=[30.5, 114.3], tiles=None)  # folium's defaults: jQuery, Bootstrap…
    with pytest.raises(InputError, match=r"jquery.*not vendored"):
        save_html(m, tmp_path / "m.html")
    assert not (tmp_path / "m.html").exists()


def test_vendored_leaflet_matches_its_checksums():
    import hashlib

    sums = (leaflet_dir() / "SHA256SUMS").read_text().split("\n")
    pairs = [line.split() for line in sums if line.strip()]
    assert {name for _, name in pairs} >= {"leaflet.js", "leaflet.css", "LICENSE"}
    for digest, name in pairs:
        assert hashlib.sha256((leaflet_dir() / name).read_bytes()).hexdigest() == digest, name
    assert "BSD 2-Clause" in (leaflet_dir() / "LICENSE").read_text()


def test_polygons_become_wgs84_geojson(tmp_path: Path):
    square = gpd.GeoDataFrame(
        {"code": ["1"], "approximate": [True]},
        geometry=[Polygon([(114, 30), (114.1, 30), (114.1, 30.1)])],
        crs="EPSG:4326",
    )
    data = json.loads(write_geojson(tmp_path / "p.geojson", square).read_text("utf-8"))
    assert data["features"][0]["geometry"]["type"] == "Polygon"
    assert data["features"][0]["properties"] == {"code": "1", "approximate": True}


def test_vendored_data_url_carries_leaflet_and_its_images():
    import base64

    from geo._vendor import LEAFLET_CSS_URL, LEAFLET_JS_URL, leaflet_dir
    from geo.export import vendored_data_url

    js = vendored_data_url(LEAFLET_JS_URL)
    assert js.startswith("data:text/javascript;base64,")
    assert base64.b64decode(js.split(",", 1)[1]) == (leaflet_dir() / "leaflet.js").read_bytes()
    css = base64.b64decode(vendored_data_url(LEAFLET_CSS_URL).split(",", 1)[1]).decode()
    assert "url(images/" not in css and "data:image/png;base64," in css
    assert vendored_data_url("https://example.org/other.js") is None
