"""Interactive (folium) and static (matplotlib) coverage maps."""

from __future__ import annotations

import io
import json
import re
import struct
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from analysis.maps import CJK_FAMILIES, cjk_font, coverage_map, static_map_pdf, static_map_png
from geo._errors import InputError
from geo.crs import wgs84_to_gcj02
from geo.export import save_html
from geo.settings import ATTRIBUTION_OSM

XSS = "<script>alert(1)</script>"
TITLE = "武昌区 养老服务设施覆盖情况"


def _townships() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["420106001", "420106002"],
            "name": ["积玉桥街道", "中南路街道"],
            "county_code": ["420106", "420106"],
            "kind": ["street", "street"],
            "approximate": [False, True],
            "n_elderly_care": [1, 0],
            "covered_elderly_care": [True, False],
            "n_social_work": [1, 1],
            "covered_social_work": [True, True],
        },
        geometry=[box(114.30, 30.53, 114.33, 30.56), box(114.33, 30.53, 114.36, 30.56)],
        crs="EPSG:4326",
    )


def _facilities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "facility_id": ["F1", "F2", "F3", "F4"],
            "name": [XSS, "积玉桥社工站", "中南路社工站", "无坐标的站"],
            "layer": ["elderly_care", "social_work", "social_work", "elderly_care"],
            "kind": ["养老服务中心", "社工站", "社工站", None],
            "address": ["和平大道<b>1</b>号", None, None, None],
            "township_declared": ["积玉桥街道"] * 4,
        },
        geometry=[Point(114.31, 30.54), Point(114.32, 30.55), Point(114.34, 30.54), None],
        crs="EPSG:4326",
    )


def _js(text: str) -> str:
    """How folium writes a layer name into the page (ASCII-escaped JSON)."""
    return json.dumps(text)


def _render(**kwargs) -> str:
    args = {"title": TITLE, "basemap": "none", "date": "2026-01-31"} | kwargs
    return coverage_map(_townships(), _facilities(), **args).get_root().render()


def test_html_has_title_legend_attribution_and_escaped_names():
    towns, facs = _townships(), _facilities()
    towns_before, facs_before = towns.copy(), facs.copy()
    page = (
        coverage_map(
            towns,
            facs,
            title=TITLE,
            layer="elderly_care",
            basemap="none",
            date="2026-01-31",
            sources=["武昌区民政局 养老机构名录（2025）"],
        )
        .get_root()
        .render()
    )

    assert TITLE in page and "2026-01-31" in page
    assert "武昌区民政局 养老机构名录（2025）" in page
    for label in ("图例", "已覆盖", "未覆盖", "近似边界", "养老服务中心", "社工站"):
        assert label in page, label
    assert "另有 1 处设施无坐标" in page  # F4 has no location
    assert ATTRIBUTION_OSM in page
    assert 'attribution: "© OpenStreetMap contributors (ODbL)"' in page  # Leaflet's control too
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert XSS not in page
    assert "和平大道&lt;b&gt;1&lt;/b&gt;号" in page
    assert "（近似边界）" in page  # tooltip of the approximate township
    assert "L.control.scale()" in page and "L.control.layers" in page
    # layer-control names (folium writes them as ASCII-escaped JSON); F4 is not on the map
    assert _js("养老服务中心（1 处）") in page and _js("社工站（2 处）") in page
    # the inputs are not changed
    assert towns.equals(towns_before) and facs.equals(facs_before)


def test_without_layer_townships_show_how_many_layers_cover_them():
    page = _render()
    assert "乡镇（街道）：已覆盖的设施类型数" in page
    assert all(f"{k} 类" in page for k in range(3))
    assert "3 类" not in page  # only two covered_<layer> columns


def test_saved_html_is_self_contained(tmp_path: Path):
    m = coverage_map(_townships(), _facilities(), title=TITLE, basemap="none")
    html = save_html(m, tmp_path / "map.html").read_text(encoding="utf-8")
    assert not re.search(r"""<script[^>]*\bsrc=""", html)
    assert not re.search(r"""<link[^>]*\bhref=["'](https?:)?//""", html)
    assert TITLE in html and "L.map(" in html


def test_amap_basemap_shifts_every_overlay_to_gcj02():
    page = _render(basemap="amap", layer="elderly_care")
    lon, lat = wgs84_to_gcj02(np.array([114.31]), np.array([30.54]))
    shifted = f"[{round(float(lon[0]), 6)},{round(float(lat[0]), 6)}]"
    assert abs(lon[0] - 114.31) > 1e-3  # a few hundred metres in Wuhan
    assert shifted in page
    assert "[114.31,30.54]" not in page
    corner_lon, corner_lat = wgs84_to_gcj02(np.array([114.30]), np.array([30.53]))
    assert f"[{round(float(corner_lon[0]), 6)},{round(float(corner_lat[0]), 6)}]" in page
    assert "autonavi.com" in page

    plain = _render(basemap="none", layer="elderly_care")
    assert "[114.31,30.54]" in plain


def test_tianditu_needs_a_key(monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(InputError, match="set the environment variable TIANDITU_KEY"):
        _render(basemap="tianditu")
    monkeypatch.setenv("TIANDITU_KEY", "abc123")
    page = _render(basemap="tianditu")
    assert "tk=abc123" in page and "天地图" in page


def test_bad_arguments_say_the_fix():
    with pytest.raises(InputError, match="basemap 'google' is not known"):
        _render(basemap="google")
    with pytest.raises(InputError, match="lack the column 'covered_cremains'"):
        _render(layer="cremains")
    with pytest.raises(InputError, match="unknown facility layer 'elderly'"):
        _render(layer="elderly")
    with pytest.raises(InputError, match="has no CRS"):
        coverage_map(_townships().set_crs(None, allow_override=True), _facilities(), title="t")


def test_simplification_is_for_display_only():
    round_town = _townships().iloc[[0]].copy()
    round_town["geometry"] = [Point(114.31, 30.54).buffer(0.01, quad_segs=256)]
    original = round_town.geometry.iloc[0]
    vertices = len(original.exterior.coords)

    detailed = coverage_map(round_town, _facilities(), title="t", simplify_tolerance_m=0)
    simple = coverage_map(round_town, _facilities(), title="t", simplify_tolerance_m=20)
    pairs = r"\[114\.\d+,30\.\d+\]"
    n_detailed = len(re.findall(pairs, detailed.get_root().render()))
    n_simple = len(re.findall(pairs, simple.get_root().render()))
    assert n_detailed >= vertices and n_simple < n_detailed / 3
    assert round_town.geometry.iloc[0].equals(original)  # analysis geometry untouched


def test_optional_overlays_appear_in_map_and_legend():
    areas = gpd.GeoDataFrame(
        {"facility_id": ["F1"]}, geometry=[Point(114.31, 30.54).buffer(0.005)], crs="EPSG:4326"
    )
    outside = gpd.GeoDataFrame(geometry=[Point(114.35, 30.55)], crs="EPSG:4326")
    sites = gpd.GeoDataFrame(
        {"name": ["候选A", "候选B"], "selected": [True, False]},
        geometry=[Point(114.345, 30.545), Point(114.35, 30.54)],
        crs="EPSG:4326",
    )
    page = _render(service_areas=areas, uncovered_points=outside, candidates=sites)
    assert "15分钟步行服务范围" in page
    assert _js("服务范围外居住点（1 个）") in page  # its layer-control name
    assert "推荐选址：候选A" in page and "候选点：候选B" in page


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_static_png_uses_a_chinese_font_and_has_the_requested_size(tmp_path: Path):
    font = cjk_font()
    assert font.get_name() in CJK_FAMILIES
    path = tmp_path / "map.png"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        static_map_png(
            _townships(),
            _facilities(),
            path,
            title=TITLE,
            layer="elderly_care",
            sources=["武昌区民政局"],
            date="2026-01-31",
            dpi=100,
        )
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert missing == []
    width, height = _png_size(path.read_bytes())
    assert abs(width - 827) <= 2 and abs(height - 827) <= 2  # 8.27 in at 100 dpi


def test_static_png_to_a_buffer_and_pdf(tmp_path: Path):
    buffer = io.BytesIO()
    static_map_png(_townships(), _facilities(), buffer, title=TITLE, dpi=60)
    assert _png_size(buffer.getvalue())[0] == pytest.approx(496, abs=2)
    pdf = tmp_path / "map.pdf"
    static_map_pdf(_townships(), _facilities(), pdf, title=TITLE)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and font_name_in(data)
    with pytest.raises(InputError, match="dpi must be a whole number"):
        static_map_png(_townships(), _facilities(), buffer, title=TITLE, dpi=5)


def font_name_in(pdf: bytes) -> bool:
    return any(name.replace(" ", "").encode() in pdf for name in CJK_FAMILIES)


def test_static_png_of_a_run_without_any_geometry_still_renders():
    towns = _townships().iloc[0:0]
    facs = _facilities().iloc[[3]]  # the one without coordinates
    buffer = io.BytesIO()
    static_map_png(towns, facs, buffer, title=TITLE, dpi=50)
    assert _png_size(buffer.getvalue()) == pytest.approx((414, 414), abs=2)


def test_before_and_after_reach_layers_are_separate_and_in_the_legend(tmp_path):
    before = gpd.GeoDataFrame(
        {"name": ["现有"]}, geometry=[box(114.30, 30.53, 114.31, 30.54)], crs="EPSG:4326"
    )
    after = gpd.GeoDataFrame(
        {"name": ["新增"]}, geometry=[box(114.34, 30.54, 114.35, 30.55)], crs="EPSG:4326"
    )
    html_only_before = (
        coverage_map(_townships(), _facilities(), title=TITLE, basemap="none", service_areas=before)
        .get_root()
        .render()
    )
    html = (
        coverage_map(
            _townships(),
            _facilities(),
            title=TITLE,
            basemap="none",
            service_areas=before,
            service_areas_after=after,
        )
        .get_root()
        .render()
    )
    name = "新增选址后的15分钟步行范围"
    assert name not in html_only_before and _js(name) not in html_only_before
    assert _js(name) in html  # its own entry in the layer control
    assert "新增选址后的15分钟范围" in html  # and in the legend
    assert "114.35" in html and "114.35" not in html_only_before.split("leaflet.js")[-1]
