"""Demand points: the user's 社区 table with population, census weights, residential points."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo._errors import InputError
from geo.demand import census_by_county, elderly_weights, read_demand, residential_points


def test_user_table_with_population_column(tmp_path):
    path = tmp_path / "社区.csv"
    pd.DataFrame(
        {
            "名称": ["甲社区", "乙社区", "丙社区"],
            "经度": [114.30, 114.31, 114.32],
            "纬度": [30.60, 30.61, 30.62],
            "60岁以上人口": ["1200", "800", "0"],
        }
    ).to_csv(path, index=False, encoding="gbk")
    d = read_demand(path, weight_column="60岁以上人口")
    assert d["name"].tolist() == ["甲社区", "乙社区", "丙社区"]
    assert d["weight"].tolist() == [1200.0, 800.0, 0.0]
    assert d.crs.to_epsg() == 4326
    assert d.geometry.iloc[1].equals(Point(114.31, 30.61))
    uniform = read_demand(path)
    assert uniform["weight"].tolist() == [1.0, 1.0, 1.0]


def test_bad_population_value_names_row_and_column(tmp_path):
    path = tmp_path / "社区.csv"
    pd.DataFrame(
        {
            "名称": ["甲", "乙"],
            "经度": [114.30, 114.31],
            "纬度": [30.60, 30.61],
            "人口": ["100", "约三百"],
        }
    ).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"row 3: 人口 = '约三百'"):
        read_demand(path, weight_column="人口")
    with pytest.raises(InputError, match="no column '常住人口'"):
        read_demand(path, weight_column="常住人口")


def test_census_matches_the_bundle_facts(bundle):
    c = census_by_county(["360203", "420102"]).set_index("code")
    assert c.loc["360203", "population"] == 383_453  # bundle README: 珠山区 2020 population
    assert round(c.loc["360203", "share_65plus"], 3) == 0.120  # 12.0 % aged 65+
    assert c.loc["360203", "elderly_60plus"] == round(383_453 * c.loc["360203", "share_60plus"])


def test_elderly_weights_share_each_county_total_equally():
    demand = gpd.GeoDataFrame(
        {"weight": [1.0] * 5}, geometry=[Point(i, 0) for i in range(5)], crs=4326
    )
    county = pd.Series(["a", "a", "b", "b", "b"])
    census = pd.DataFrame({"code": ["a", "b"], "elderly_60plus": [100.0, 90.0]})
    w = elderly_weights(demand, county, census)
    assert w.tolist() == [50.0, 50.0, 30.0, 30.0, 30.0]
    assert w.groupby(county).sum().to_dict() == {"a": 100.0, "b": 90.0}


def test_residential_points_inside_an_area(bundle):
    area = box(114.28, 30.58, 114.32, 30.62)
    pts = residential_points(area)
    assert len(pts) > 0
    assert pts.within(area).all()
    assert (pts["weight"] == 1.0).all()
    assert pts["demand_id"].is_unique


def test_population_table_needs_no_names(tmp_path):
    # issue 10: a table without 名称 was refused (after minutes of graph building)
    path = tmp_path / "人口点.csv"
    pd.DataFrame(
        {
            "编号": ["H1", "H2", "H3"],
            "经度": [114.30, 114.31, 114.32],
            "纬度": [30.60, 30.61, 30.62],
            "常住人口": [120, 80, 5],
        }
    ).to_csv(path, index=False, encoding="utf-8-sig")
    d = read_demand(path, weight_column="常住人口")
    assert d["name"].tolist() == ["第2行", "第3行", "第4行"]  # rows as Excel numbers them
    assert d["weight"].tolist() == [120.0, 80.0, 5.0]
    assert d.geometry.iloc[2].equals(Point(114.32, 30.62))
    xlsx = tmp_path / "人口点.xlsx"
    pd.read_csv(path, encoding="utf-8-sig").to_excel(xlsx, index=False)
    assert read_demand(xlsx, weight_column="常住人口")["weight"].tolist() == [120.0, 80.0, 5.0]


def test_check_demand_file_reads_headers_only(tmp_path):
    from geo.demand import check_demand_file

    path = tmp_path / "人口点.csv"
    pd.DataFrame({"编号": ["H1"], "经度": [114.3], "纬度": [30.6], "人口": [1]}).to_csv(
        path, index=False
    )
    check_demand_file(path, weight_column="人口")
    with pytest.raises(InputError, match="no column '常住人口'.*编号"):
        check_demand_file(path, weight_column="常住人口")
    no_lat = tmp_path / "no_lat.csv"
    pd.DataFrame({"名称": ["甲"], "经度": [114.3]}).to_csv(no_lat, index=False)
    with pytest.raises(InputError, match="没有纬度列"):
        check_demand_file(no_lat)
    with pytest.raises(InputError, match="不存在"):
        check_demand_file(tmp_path / "absent.csv")
