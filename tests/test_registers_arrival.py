"""Registers as they really arrive (issue 11): codes beside ambiguous names, undeclared web-map
coordinates, several sheets, half-junk coordinates, two-row headers, lon/lat in one cell,
degree–minute–second forms, header-only files and giant cells.

Every file is written by the test; positions are hand-picked points in 武汉 (WGS84).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from geo._errors import InputError
from geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from geo.registers import read_register

GEOD = Geod(ellps="WGS84")

# 新华街道 exists in two counties: by name alone it is ambiguous, by code it is not
OFFICIAL = pd.DataFrame(
    {
        "code": ["420103001", "420103007", "420104005", "420104006"],
        "name": ["民族街街道", "新华街道", "新华街道", "汉正街街道"],
        "county_code": ["420103", "420103", "420104", "420104"],
        "kind": ["街道"] * 4,
    }
)


def _csv(text: str, name: str = "养老服务中心.csv") -> tuple[bytes, str]:
    return text.encode("utf-8"), name


def _complete(result) -> None:
    """Every row read is kept, or named in the report as not imported / skipped."""
    src = result.source
    assert src["rows_read"] == src["rows_kept"] + src["rows_rejected"] + src["duplicates_dropped"]
    out = result.report[result.report["action"] == "rejected"]
    assert len(out[["file", "row"]].drop_duplicates()) == src["rows_rejected"]


# ---------------------------------------------------------------- 1. code beats an ambiguous name
def test_valid_code_wins_over_ambiguous_name_and_contradictions_are_reported():
    text = (
        "名称,所属街道,区划代码\n"
        "甲养老院,新华街道,420104005\n"  # ambiguous name, code says which
        "乙养老院,新华街道,420104005000\n"  # 12-digit code: its first nine digits
        "丙养老院,民族街道,420103007\n"  # the code names 新华街道 of 420103: reported
        "丁养老院,汉正街,420199999\n"  # unknown code: the (unique) name decides, reported
        "戊养老院,新华街道,\n"  # ambiguous name, no code: reported as before
    )
    result = read_register(_csv(text), official=OFFICIAL)
    codes = result.facilities.set_index("name")["township_code"]
    assert codes["甲养老院"] == "420104005"
    assert codes["乙养老院"] == "420104005"
    assert codes["丙养老院"] == "420103007"
    assert codes["丁养老院"] == "420104006"
    assert codes["戊养老院"] == ""
    rep = result.report.set_index("row")
    assert 2 not in rep.index and 3 not in rep.index  # the code settled it: no warning
    assert "区划代码 420103007 是新华街道" in rep.loc[4, "reason"]
    assert "不符" in rep.loc[4, "reason"] and rep.loc[4, "action"] == "warning"
    assert "不在官方名录中" in rep.loc[5, "reason"] and "汉正街" in rep.loc[5, "reason"]
    assert "可对应多个单位" in rep.loc[6, "reason"]


# ---------------------------------------------------------------- 2. undeclared GCJ-02 / BD-09
# ten facilities 0.02° apart; each declared township is a box reaching 0.004° from the point,
# except in the direction of the GCJ-02 shift, where it reaches only half that shift: read as
# WGS84, GCJ-02 coordinates land outside their township; read right, inside
TRUE = [(114.20 + 0.02 * (i % 5), 30.55 + 0.02 * (i // 5)) for i in range(10)]


def _townships() -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    lon = np.array([p[0] for p in TRUE])
    lat = np.array([p[1] for p in TRUE])
    glon, glat = wgs84_to_gcj02(lon, lat)
    boxes = []
    for x, y, dx, dy in zip(lon, lat, glon - lon, glat - lat, strict=True):
        minx = x - (0.5 * abs(dx) if dx < 0 else 0.004)
        maxx = x + (0.5 * abs(dx) if dx > 0 else 0.004)
        miny = y - (0.5 * abs(dy) if dy < 0 else 0.004)
        maxy = y + (0.5 * abs(dy) if dy > 0 else 0.004)
        boxes.append(shapely.box(minx, miny, maxx, maxy))
    codes = [f"4201030{i:02d}" for i in range(10)]
    names = [f"第{i}街道" for i in range(10)]
    official = pd.DataFrame(
        {"code": codes, "name": names, "county_code": ["420103"] * 10, "kind": ["街道"] * 10}
    )
    polys = gpd.GeoDataFrame({"code": codes}, geometry=boxes, crs="EPSG:4326")
    return official, polys


def _web_register(system: str, header: tuple[str, str] = ("经度", "纬度")) -> bytes:
    lon = np.array([p[0] for p in TRUE])
    lat = np.array([p[1] for p in TRUE])
    if system == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    elif system == "bd09":
        lon, lat = wgs84_to_bd09(lon, lat)
    lines = [f"名称,所属街道,{header[0]},{header[1]}"]
    lines += [f"养老院{i},第{i}街道,{x:.7f},{y:.7f}" for i, (x, y) in enumerate(zip(lon, lat))]
    return "\n".join(lines).encode()


@pytest.mark.parametrize("system", ["wgs84", "gcj02", "bd09"])
def test_undeclared_web_map_coordinates_are_detected_per_file(system):
    official, polys = _townships()
    result = read_register((_web_register(system), "养老.csv"), official=official, townships=polys)
    assert result.source["crs"] == system
    assert result.source["crs_certain"] is True
    assert "所属乡镇（街道）边界" in result.source["crs_reason"]
    g = result.facilities.geometry
    dist = GEOD.inv(g.x.to_numpy(), g.y.to_numpy(), [p[0] for p in TRUE], [p[1] for p in TRUE])[2]
    assert np.max(dist) < 1.0  # back where they are, to the metre
    assert not (result.report["action"] == "warning").any()


def test_web_map_guess_without_evidence_is_loud():
    result = read_register((_web_register("gcj02"), "养老.csv"))
    assert result.source["crs"] == "wgs84" and result.source["crs_certain"] is False
    warn = result.report[result.report["reason"].str.startswith("坐标系未能确定")]
    assert len(warn) == 1 and "crs=gcj02" in warn["fix"].iloc[0]


@pytest.mark.parametrize(
    ("header", "system"),
    [
        (("bd_lng", "bd_lat"), "bd09"),
        (("经度(高德)", "纬度(高德)"), "gcj02"),
        (("百度经度", "百度纬度"), "bd09"),
    ],
)
def test_header_naming_the_system_decides(header, system):
    result = read_register((_web_register(system, header), "养老.csv"))
    assert result.source["crs"] == system
    assert "列名" in result.source["crs_reason"]


# ---------------------------------------------------------------- 3. nothing vanishes
def _book(path: Path, sheets: dict[str, list[list[object]]], merges: dict | None = None) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for r in rows:
            ws.append(r)
        for rng in (merges or {}).get(title, []):
            ws.merge_cells(rng)
    book.save(path)
    return path


def test_every_sheet_of_a_workbook_is_read_or_named(tmp_path):
    path = _book(
        tmp_path / "养老服务中心.xlsx",
        {
            "第一批": [["名称", "经度", "纬度"], ["甲", 114.27, 30.58], ["乙", 114.26, 30.59]],
            "第二批": [
                ["机构名称", "经度", "纬度"],
                *[[f"丙{i}", 114.25, 30.60 + i / 1000] for i in range(6)],
            ],
            "备注": [["填表说明"], ["坐标用高德地图拾取"]],
        },
    )
    result = read_register(path)
    assert len(result.facilities) == 8
    assert set(result.facilities["source_file"]) == {
        "养老服务中心.xlsx[第一批]",
        "养老服务中心.xlsx[第二批]",
    }
    assert result.source["rows_read"] == 9
    notes = result.report[result.report["file"] == "养老服务中心.xlsx[备注]"]
    assert notes[["row", "action"]].values.tolist() == [[2, "rejected"]]
    assert "没有机构名称列" in notes["reason"].iloc[0]
    assert [s["sheet"] for s in result.source["sheets"]] == ["第一批", "第二批", "备注"]
    _complete(result)


def test_half_junk_coordinates_keep_the_good_rows(tmp_path):
    good = [f"好{i},民族街道,{114.26 + i / 1000:.3f},30.59" for i in range(6)]
    junk = [
        f"坏{i},民族街道,{v},{v}"
        for i, v in enumerate(["0", "12345", "999999", "1", "-5", "77777"])
    ]
    text = "名称,所属街道,经度,纬度\n" + "\n".join(good + junk)
    result = read_register(_csv(text), official=OFFICIAL, county_code="420103")
    assert len(result.facilities) == 12  # the junk rows stay, known by their township
    assert result.facilities.geometry.notna().sum() == 6
    junk_rows = result.report[result.report["row"] >= 8]
    assert len(junk_rows) == 6 and (junk_rows["action"] == "warning").all()
    assert junk_rows["reason"].str.contains("仅按名称计入所属乡镇").all()
    _complete(result)


def test_two_row_merged_header(tmp_path):
    path = _book(
        tmp_path / "养老.xlsx",
        {
            "名录": [
                ["江汉区养老机构名录"],
                ["名称", "所属街道", "坐标", None],
                [None, None, "经度", "纬度"],
                ["甲", "民族街道", 114.27, 30.585],
                ["乙", "新华街道", 114.255, 30.60],
            ]
        },
        merges={"名录": ["A2:A3", "B2:B3", "C2:D2"]},
    )
    result = read_register(path)
    assert result.source["columns"]["lon"] == "经度" and result.source["columns"]["lat"] == "纬度"
    assert result.source["header_row"] == "第 2–3 行（两行表头）"
    assert result.facilities["source_row"].tolist() == [4, 5]
    assert result.facilities.geometry.x.tolist() == pytest.approx([114.27, 114.255])
    assert not result.report["reason"].str.contains("没有坐标").any()


@pytest.mark.parametrize("header", ["经纬度", "坐标", "位置"])
def test_lon_lat_in_one_column(header):
    text = f'名称,{header}\n甲,"114.30,30.60"\n乙,114.31，30.61\n丙,114.32 30.62\n丁,abc\n'
    result = read_register(_csv(text), region=shapely.box(114, 30, 115, 31))
    fac = result.facilities
    assert fac["name"].tolist() == ["甲", "乙", "丙"]
    assert fac.geometry.x.tolist() == pytest.approx([114.30, 114.31, 114.32])
    assert fac.geometry.y.tolist() == pytest.approx([30.60, 30.61, 30.62])
    bad = result.report[result.report["row"] == 5]
    assert bad["action"].tolist() == ["rejected"] and "abc" in bad["value"].iloc[0]


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        ("114°18′18″E", "30°36′00″N"),
        ("114°18'18\"", "30°36'0\""),
        ("114:18:18", "30:36:00"),
        ("114 18 18", "30 36 0"),
        ("东经114度18分18秒", "北纬30度36分"),
        ("114°18.3′", "30°36′"),
    ],
)
def test_degree_minute_second_forms(lon, lat):
    def quoted(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"'

    text = f"名称,经度,纬度\n甲,{quoted(lon)},{quoted(lat)}\n"
    result = read_register(_csv(text))
    g = result.facilities.geometry
    assert g.x.iloc[0] == pytest.approx(114 + 18 / 60 + 18 / 3600)
    assert g.y.iloc[0] == pytest.approx(30.6)


def test_dms_nonsense_is_refused_not_guessed():
    text = '名称,经度,纬度\n甲,"114 75 10","30 36 0"\n'  # 75 minutes
    result = read_register(_csv(text))
    assert result.facilities.empty
    assert result.report["action"].tolist() == ["rejected"]


# ---------------------------------------------------------------- 5. no traceback
def test_header_only_csv_is_an_empty_import():
    result = read_register(_csv("名称,经度,纬度\n"))
    assert result.facilities.empty and result.source["rows_read"] == 0


def test_cell_over_the_csv_field_limit():
    huge = "院" * 200_000
    text = f"名称,经度,纬度\n{huge},114.27,30.58\n乙,114.26,30.59\n"
    result = read_register(_csv(text))
    assert result.facilities["name"].tolist() == ["乙"]
    rep = result.report[result.report["row"] == 2]
    assert rep["action"].tolist() == ["rejected"] and "200000 个字符" in rep["reason"].iloc[0]
    assert len(rep["value"].iloc[0]) < 100


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\xfe\x00garbage", b"PK\x03\x04broken zip", b"\x00\x01\x02"],
)
def test_damaged_files_are_input_errors(data):
    for suffix in (".xlsx", ".geojson", ".gpkg", ".zip"):
        with pytest.raises(InputError) as info:
            read_register((data, f"x{suffix}"))
        assert f"x{suffix}" in str(info.value)
        assert "Error" not in str(info.value).split("（")[0]  # said in Chinese first
