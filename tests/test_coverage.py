"""Coverage on a drawn 5-township county: every figure here can be counted by hand.

x: 0    1    2    3    4    5  (km, EPSG:32650 squares converted to WGS84)
   | T1 | T2 | T3 | T4 | T5 |     T1–T3 街道, T4–T5 镇; county A = 420999
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from analysis.assign import assign_facilities, disagreements
from analysis.coverage import coverage_summary, township_counts
from geo._errors import InputError

UTM = "EPSG:32650"
X0, Y0 = 740_000.0, 3_380_000.0  # central Wuhan in UTM 50N


def _km(x: float, y: float = 0.5) -> Point:
    return Point(X0 + x * 1000, Y0 + y * 1000)


@pytest.fixture()
def county() -> dict:
    codes = [f"420999{i:03d}" for i in (1, 2, 3, 101, 102)]
    names = ["一街道", "二街道", "三街道", "四镇", "五镇"]
    townships = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": names,
            "county_code": "420999",
            "kind": ["街道", "街道", "街道", "镇", "镇"],
        },
        geometry=[box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(5)],
        crs=UTM,
    ).to_crs("EPSG:4326")
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": ["a", "b", "c", "d", "e", "f"],
            "name": ["甲", "乙", "丙", "丁", "戊", "己"],
            "layer": ["elderly_care"] * 5 + ["cremains"],
            # d has no point but declares 四镇; e lies in 五镇 but declares 二街道
            "township_code": ["", codes[0], "", codes[3], codes[1], ""],
        },
        geometry=[_km(0.2), _km(0.8), _km(2.5), None, _km(4.5), _km(3.5)],
        crs=UTM,
    ).to_crs("EPSG:4326")
    counties = pd.DataFrame(
        {
            "code": ["420999"],
            "name": ["示例区"],
            "city_code": ["4209"],
            "city_name": ["示例市"],
            "province_code": ["42"],
            "province_name": ["湖北省"],
        }
    )
    return {"townships": townships, "facilities": facilities, "counties": counties}


def test_assignment_polygon_wins_and_lists_disagreement(county):
    t, f = county["townships"], county["facilities"]
    a = assign_facilities(f, t, prefer="polygon")
    assert a.index.equals(f.index)
    assert list(a["township_code"]) == [
        t.code[0],
        t.code[0],
        t.code[2],
        t.code[3],
        t.code[4],
        t.code[3],
    ]
    assert list(a["assigned_by"]) == [
        "polygon",
        "polygon",
        "polygon",
        "declared",
        "polygon",
        "polygon",
    ]
    d = disagreements(f, a, t)
    assert d.to_dict("records") == [
        {
            "facility_id": "e",
            "name": "戊",
            "layer": "elderly_care",
            "declared": "二街道",
            "lies_in": "五镇",
            "chosen": "五镇",
        }
    ]
    assert "township_code" in f.columns and f["township_code"].iloc[4] == t.code[1]  # not mutated


def test_assignment_declared_wins(county):
    t, f = county["townships"], county["facilities"]
    a = assign_facilities(f, t, prefer="declared")
    assert a.loc[4, "township_code"] == t.code[1]
    assert a.loc[4, "assigned_by"] == "declared"


@pytest.mark.parametrize(("prefer", "uncovered"), [("polygon", ["二街道"]), ("declared", ["五镇"])])
def test_township_coverage_hand_counted(county, prefer, uncovered):
    t, f, c = county["townships"], county["facilities"], county["counties"]
    a = assign_facilities(f, t, prefer=prefer).assign(layer=f["layer"])
    s = coverage_summary(t, a, c, layers=["elderly_care", "cremains"])
    row = s[
        (s.scope == "county") & (s.layer == "elderly_care") & (s.unit_level == "township")
    ].iloc[0]
    assert (row.units, row.covered) == (5, 4)
    assert row.rate == pytest.approx(0.8)
    assert row.uncovered_names == uncovered
    street = s[
        (s.layer == "elderly_care") & (s.unit_level == "street_only") & (s.scope == "county")
    ].iloc[0]
    assert street.units == 3
    assert street.covered == (2 if prefer == "polygon" else 3)
    county_level = s[
        (s.layer == "cremains") & (s.unit_level == "county") & (s.scope == "county")
    ].iloc[0]
    assert (county_level.units, county_level.covered) == (1, 1)
    city = s[(s.scope == "city") & (s.layer == "elderly_care") & (s.unit_level == "township")].iloc[
        0
    ]
    assert (city.code, city.units, city.covered) == ("4209", 5, 4)


def test_counts_align_to_townships_and_no_facility_means_zero(county):
    t = county["townships"].iloc[::-1]  # reversed index must be kept
    a = pd.DataFrame({"layer": ["social_work"], "township_code": [t.code.iloc[0]]})
    counts = township_counts(t, a, layers=["social_work", "elderly_care"])
    assert counts.index.equals(t.index)
    assert counts["n_social_work"].tolist() == [1, 0, 0, 0, 0]
    assert not counts["covered_elderly_care"].any()


def test_missing_columns_are_named(county):
    with pytest.raises(InputError, match="kind"):
        township_counts(
            county["townships"].drop(columns="kind"),
            pd.DataFrame({"layer": [], "township_code": []}),
        )
