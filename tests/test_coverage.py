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


# --------------------------------------------------------------------------- Voronoi vs real


def test_polygon_agreement_on_drawn_squares():
    from analysis.polygons import polygon_agreement

    # real: two 1 km squares side by side; approx: the border drawn 250 m too far east
    real = gpd.GeoDataFrame(
        {"code": ["a", "b"]},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)],
        crs=UTM,
    ).to_crs(4326)
    approx = gpd.GeoDataFrame(
        {"code": ["a", "b"]},
        geometry=[box(X0, Y0, X0 + 1250, Y0 + 1000), box(X0 + 1250, Y0, X0 + 2000, Y0 + 1000)],
        crs=UTM,
    ).to_crs(4326)
    facilities = gpd.GeoDataFrame(geometry=[_km(0.5), _km(1.1), _km(1.6)], crs=UTM).to_crs(4326)
    out = polygon_agreement(approx, real, metric_crs=UTM, facilities=facilities)
    # 0.25 km² of a's 1.25 km² lies in b; none of b's 0.75 km² lies outside b: 0.25 / 2
    assert out.area_share_misassigned == pytest.approx(0.125, abs=1e-3)
    assert out.facilities_compared == 3
    assert out.facilities_moved == 1  # the point at 1.1 km: a by the approximation, b really
    assert out.moved.iloc[0].tolist() == ["a", "b"]


@pytest.mark.slow
def test_voronoi_approximation_against_real_jiangan_polygons(bundle):
    """江岸区: the seat-point Voronoi cells against the bundle's real township polygons."""
    from analysis.polygons import polygon_agreement
    from geo.crs import local_metric_crs
    from servicecircle import workflows
    from servicecircle.demo import demo_register_specs, demo_seat_points
    from servicecircle.demo_regions import region_for_demo

    voronoi = workflows.load_region("420102", seat_points=demo_seat_points())
    real = region_for_demo("420102", seat_points=demo_seat_points())
    assert real.townships.geometry.notna().all() and not real.townships["approximate"].any()
    assert voronoi.townships["approximate"].any()
    imported = workflows.import_registers(demo_register_specs(), real)
    c = real.county_polygons.geometry.iloc[0].centroid
    metric = local_metric_crs(c.x, c.y)
    agree = polygon_agreement(
        voronoi.townships, real.townships, metric_crs=metric, facilities=imported.facilities
    )
    assert 0.0 < agree.area_share_misassigned < 1.0
    # the facilities that move are exactly those whose coverage run assignments differ
    on_voronoi = workflows.coverage_run(voronoi, imported)
    on_real = workflows.coverage_run(real, imported)
    differ = (
        (on_voronoi.facilities["by_polygon"] != on_real.facilities["by_polygon"])
        & (on_voronoi.facilities["by_polygon"] != "")
        & (on_real.facilities["by_polygon"] != "")
    )
    assert agree.facilities_moved == int(differ.sum())
    # the bundle README's worked facts: elderly care 9/17 on the real polygons (11/17 on the
    # Voronoi cells) and 6 facilities lying in another township than they declare
    rows = {
        name: run.summary[
            (run.summary.scope == "county")
            & (run.summary.layer == "elderly_care")
            & (run.summary.unit_level == "township")
        ].iloc[0]
        for name, run in (("voronoi", on_voronoi), ("real", on_real))
    }
    assert (rows["real"].covered, rows["real"].units) == (9, 17)
    assert (rows["voronoi"].covered, rows["voronoi"].units) == (11, 17)
    placed = on_real.facilities
    other = (placed["by_polygon"] != "") & (placed["by_declared"] != "")
    assert int((other & (placed["by_polygon"] != placed["by_declared"])).sum()) == 6
    # the README states these figures: keep them true
    from geo.settings import project_root

    readme = (project_root() / "README.md").read_text(encoding="utf-8")
    assert f"{agree.area_share_misassigned:.1%}".replace("%", " %") in readme
    assert f"{agree.facilities_moved} of the {agree.facilities_compared} demo facilities" in readme
