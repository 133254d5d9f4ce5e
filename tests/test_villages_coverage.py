"""Village-level coverage: assignment to 社区/村 by code, polygon and name within the township,
the coverage roll-ups, the three added layers, and a measuring path for every plan target."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from analysis.targets import compare_with_targets, measured_levels
from analysis.villages import assign_villages, village_summary
from geo.layers import DEFAULT_UNIT_LEVEL, LAYER_KEYWORDS, LAYERS, TOWNSHIP_LAYERS, layers_in_text
from geo.plans import read_plan_targets

A, B = "360203001", "360203002"
VILLAGES = pd.DataFrame(
    {
        "code": [A + "001", A + "201", A + "202", B + "001", B + "201"],
        "name": ["城东社区居委会", "城东村委会", "新村村委会", "城东社区居委会", "新村村委会"],
        "kind": ["社区", "村", "村", "社区", "村"],
        "township_code": [A, A, A, B, B],
        "county_code": ["360203"] * 5,
    }
)
TOWNSHIPS = pd.DataFrame(
    {
        "code": [A, B],
        "name": ["甲街道", "乙镇"],
        "county_code": ["360203"] * 2,
        "kind": ["街道", "镇"],
    }
)
COUNTIES = pd.DataFrame(
    {
        "code": ["360203"],
        "name": ["珠山区"],
        "city_code": ["3602"],
        "city_name": ["景德镇市"],
        "province_code": ["36"],
        "province_name": ["江西省"],
    }
)


def _facilities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "layer": ["day_care", "mutual_aid", "mutual_aid", "mutual_aid", "day_care"],
            "name": ["日照中心一", "城东互助养老点", "互助点三", "互助点四", "日照中心五"],
            "township_code": [A, A, B, B, ""],
            "village_declared": ["城东社区", "", "", "新村", "城东社区"],
            "village_code_declared": ["", "", B + "201", "", ""],
        },
        index=[10, 11, 12, 13, 14],
    )


def test_assignment_by_code_name_and_layer_kind():
    out = assign_villages(_facilities(), VILLAGES)
    assert out.index.tolist() == [10, 11, 12, 13, 14]
    # declared 城东社区 in 甲: the 社区, not 甲's 城东村 (same key 城东)
    assert out.loc[10, "village_code"] == A + "001"
    assert out.loc[10, "village_by"] == "所属社区/村名称"
    # no declaration: 城东 in the facility's own name; a mutual-aid point counts a 村
    assert out.loc[11, ["village_code", "village_by"]].tolist() == [A + "201", "设施名称或地址"]
    assert out.loc[12, ["village_code", "village_by"]].tolist() == [B + "201", "区划代码"]
    # 新村 is looked up in 乙 (its township), not in 甲 which has a 新村 too
    assert out.loc[13, "village_code"] == B + "201"
    # township unknown: no guess across townships
    assert out.loc[14, "village_code"] == "" and out.loc[14, "village_note"]


def test_ambiguous_name_is_left_unassigned_with_the_candidates():
    fac = pd.DataFrame(
        {"layer": ["civil_station"], "name": ["城东服务点"], "township_code": [A]},
    )
    out = assign_villages(fac, VILLAGES)
    assert out.loc[0, "village_code"] == ""
    assert (
        "城东社区居委会" in out.loc[0, "village_note"]
        and "城东村委会" in out.loc[0, "village_note"]
    )


def test_point_in_village_polygon_beats_names():
    polys = gpd.GeoDataFrame(
        {"code": [A + "202"]}, geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:4326"
    )
    fac = gpd.GeoDataFrame(
        {"layer": ["mutual_aid"], "name": ["城东互助养老点"], "township_code": [A]},
        geometry=[shapely.Point(0.5, 0.5)],
        crs="EPSG:4326",
    )
    out = assign_villages(fac, VILLAGES, polygons=polys)
    assert out.loc[0, ["village_code", "village_by"]].tolist() == [A + "202", "村界"]


def test_village_summary_counts_each_layer_over_its_kind_of_unit():
    fac = _facilities()
    assigned = fac.join(assign_villages(fac, VILLAGES))
    summary = village_summary(VILLAGES, assigned, COUNTIES, TOWNSHIPS)
    county = summary[summary.scope == "county"].set_index("layer")
    assert county.loc["day_care", ["unit_level", "units", "covered"]].tolist() == [
        "community",
        2,
        1,
    ]
    assert county.loc["mutual_aid", ["unit_level", "units", "covered"]].tolist() == [
        "village",
        3,
        2,
    ]
    assert county.loc["mutual_aid", "uncovered_names"] == ["新村村委会"]
    assert county.loc["mutual_aid", "uncovered_codes"] == [A + "202"]
    town = summary[(summary.scope == "township") & (summary.layer == "mutual_aid")]
    assert dict(zip(town.code, town.covered)) == {A: 1, B: 1}
    assert dict(zip(town.code, town.name)) == {A: "甲街道", B: "乙镇"}
    # the city and province rows add up their counties (one here)
    for scope in ("city", "province"):
        row = summary[(summary.scope == scope) & (summary.layer == "mutual_aid")].iloc[0]
        assert (row.units, row.covered) == (3, 2)


def test_village_rows_are_held_to_targets_exactly():
    fac = _facilities()
    assigned = fac.join(assign_villages(fac, VILLAGES))
    summary = village_summary(VILLAGES, assigned, COUNTIES, TOWNSHIPS)
    cat = read_plan_targets()
    targets = cat[cat.target_id.isin(["jx-mut-vil-2025-table", "zs-day-com-2025-table"])]
    out = compare_with_targets(summary[summary.scope == "county"], targets)
    mut = out[out.layer == "mutual_aid"].iloc[0]
    # 2 of 3 建制村 against ≥85 %: 85 % of 3 = 2.55, so 3 are needed, 1 more
    assert (mut.status, int(mut.units_needed)) == ("未达标", 1)
    day = out[out.layer == "day_care"].iloc[0]
    assert (day.status, int(day.units_needed)) == ("未达标", 1)


def test_existing_layers_keep_their_keywords_and_new_phrases_win():
    for layer in TOWNSHIP_LAYERS:
        for word in LAYER_KEYWORDS[layer]:
            assert layers_in_text(word.lower()) == [layer], word
    assert layers_in_text("日间照料中心") == ["elderly_care"]
    assert layers_in_text("社区日间照料中心") == ["day_care"]
    assert layers_in_text("农村互助养老服务站") == ["mutual_aid"]
    assert layers_in_text("民政服务站") == ["civil_station"]
    assert layers_in_text("养老社工站") == ["elderly_care", "social_work"]


@pytest.mark.parametrize("layer", list(LAYERS))
def test_every_layer_has_a_unit(layer):
    assert DEFAULT_UNIT_LEVEL[layer] in measured_levels()[layer]


def test_register_rows_get_the_new_layers_and_their_declared_units(tmp_path):
    """A real register file: the 类型 column names the new layers, and the declared 所属社区/村
    and 12-digit codes are read back on the reader's own row numbers (title row included)."""
    import openpyxl

    from geo.registers import read_register
    from geo.villages import declared_villages

    path = tmp_path / "村级设施.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["珠山区村级养老设施登记表（示例）"])  # a title row above the header
    sheet.append(["名称", "类型", "所属街道", "所属社区", "村级代码"])
    sheet.append(["风景路日照中心", "社区日间照料中心", "石狮埠街道", "风景路社区", ""])
    sheet.append(["湖田互助点", "农村互助养老服务站", "竟成街道", "", "360203011206"])
    sheet.append(["珠山民政服务站", "民政服务站", "珠山街道", "", ""])
    sheet.append(["老年活动室", "日间照料中心", "珠山街道", "", ""])
    book.save(path)
    result = read_register(path)
    assert result.facilities["layer"].tolist() == [
        "day_care",
        "mutual_aid",
        "civil_station",
        "elderly_care",
    ]
    declared = declared_villages(path)
    rows = list(zip(result.facilities["source_file"], result.facilities["source_row"], strict=True))
    assert declared.loc[rows, "village_declared"].tolist() == ["风景路社区", "", "", ""]
    assert declared.loc[rows, "village_code_declared"].tolist() == ["", "360203011206", "", ""]


def test_declared_units_of_every_sheet_match_the_register_rows(tmp_path):
    """A workbook of two sheets: each sheet's declared 社区 lines up with its own facilities."""
    import openpyxl

    from geo.registers import read_register
    from geo.villages import declared_villages

    path = tmp_path / "两个工作表.xlsx"
    book = openpyxl.Workbook()
    first = book.active
    first.title = "城区"
    first.append(["名称", "类型", "所属街道", "所属社区"])
    first.append(["甲日照中心", "社区日间照料中心", "石狮埠街道", "风景路社区"])
    second = book.create_sheet("郊区")
    second.append(["名称", "类型", "所属街道", "所属社区"])
    second.append(["乙日照中心", "社区日间照料中心", "珠山街道", "新村社区"])
    book.save(path)
    result = read_register(path)
    declared = declared_villages(path)
    keys = list(zip(result.facilities["source_file"], result.facilities["source_row"], strict=True))
    assert len(set(keys)) == 2  # same row number on both sheets, told apart by the sheet
    assert declared.loc[keys, "village_declared"].tolist() == ["风景路社区", "新村社区"]
