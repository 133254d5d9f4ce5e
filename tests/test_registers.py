"""geo.registers: reading real-world registers in every format, and the row-level report.

Every file is written by the test into tmp_path; positions are hand-picked points in 武汉江汉区.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod, Transformer

from geo._errors import DataMissingError, InputError
from geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from geo.registers import REPORT_COLUMNS, RegisterImport, read_register

GEOD = Geod(ellps="WGS84")

# three facilities in 江汉区 (WGS84) and a box around them standing in for the county
PTS = [(114.2700, 30.5850), (114.2550, 30.6000), (114.2400, 30.6150)]
REGION = shapely.box(114.20, 30.55, 114.30, 30.65)
HEADER = "名称,类型,经度,纬度,所属乡镇,地址"
ROWS = [
    f"民族街养老服务中心,养老服务中心,{PTS[0][0]},{PTS[0][1]},民族街道,民族路1号",
    f"新华街社工站,社工站,{PTS[1][0]},{PTS[1][1]},新华街道,新华路2号",
    f"万松街未成年人保护工作站,未成年人保护工作站,{PTS[2][0]},{PTS[2][1]},万松街道,万松园路3号",
]
OFFICIAL = pd.DataFrame(
    {
        "code": ["420103001", "420103007", "420103009"],
        "name": ["民族街街道", "新华街道", "万松街道"],
        "county_code": ["420103"] * 3,
        "kind": ["街道"] * 3,
    }
)


def _dist_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def _positions(result: RegisterImport) -> tuple[np.ndarray, np.ndarray]:
    g = result.facilities.geometry
    return g.x.to_numpy(), g.y.to_numpy()


def _report_row(result: RegisterImport, row: int) -> pd.DataFrame:
    return result.report[result.report["row"] == row]


def test_gbk_csv_with_chinese_headers(tmp_path: Path):
    path = tmp_path / "江汉区设施名录.csv"
    path.write_bytes("\n".join([HEADER, *ROWS]).encode("gbk"))
    result = read_register(path)
    assert result.source["encoding"] == "gb18030"
    assert result.source["columns"] == {
        "name": "名称",
        "kind": "类型",
        "lon": "经度",
        "lat": "纬度",
        "township": "所属乡镇",
        "address": "地址",
    }
    fac = result.facilities
    assert fac["name"].tolist() == [
        "民族街养老服务中心",
        "新华街社工站",
        "万松街未成年人保护工作站",
    ]
    assert fac["layer"].tolist() == ["elderly_care", "social_work", "minor_protection"]
    assert fac["kind"].tolist() == ["养老服务中心", "社工站", "未成年人保护工作站"]
    assert fac["source_row"].tolist() == [2, 3, 4]
    assert fac["address"].iloc[1] == "新华路2号"
    assert fac.crs.to_epsg() == 4326
    x, y = _positions(result)
    np.testing.assert_allclose(x, [p[0] for p in PTS])
    np.testing.assert_allclose(y, [p[1] for p in PTS])
    # no township or county polygons to test GCJ-02/BD-09 against: WGS84, said loudly
    assert result.report[["row", "action"]].values.tolist() == [[1, "warning"]]
    assert result.report["reason"].iloc[0].startswith("坐标系未能确定")
    assert "crs=gcj02" in result.report["fix"].iloc[0]
    assert list(result.report.columns) == list(REPORT_COLUMNS)
    assert result.source["rows_read"] == 3 and result.source["rows_kept"] == 3
    assert result.source["crs"] == "wgs84" and result.source["crs_certain"] is False


def test_utf8_bom_csv_and_stable_ids(tmp_path: Path):
    data = ("\ufeff" + "\n".join([HEADER, *ROWS])).encode("utf-8")
    a = read_register((data, "registers.csv"))
    b = read_register((data, "registers.csv"))
    assert a.source["encoding"] == "utf-8-sig"
    assert a.facilities.columns[0] == "facility_id"  # the BOM did not stick to the header
    assert a.facilities["facility_id"].tolist() == b.facilities["facility_id"].tolist()
    assert a.facilities["facility_id"].str.fullmatch(r"[0-9a-f]{12}").all()
    assert a.facilities["facility_id"].is_unique
    other = read_register((data, "other.csv"))
    assert set(other.facilities["facility_id"]).isdisjoint(a.facilities["facility_id"])
    import hashlib

    assert a.source["sha256"] == hashlib.sha256(data).hexdigest()


def test_xlsx_with_title_row_reports_excel_row_numbers(tmp_path: Path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "名录"
    ws.append(["江汉区养老服务设施名录（2024年）"])  # title row above the header
    ws.append(["序号", "机构名称", "经度", "纬度", "所属街道"])
    ws.append([1, "民族街颐养中心", PTS[0][0], PTS[0][1], "民族街道"])
    ws.append([2, "新华街日间照料中心", "abc", PTS[1][1], None])
    ws.append([3, "万松街敬老院", PTS[2][0], PTS[2][1], "万松街道"])
    path = tmp_path / "养老设施.xlsx"
    book.save(path)
    result = read_register(path)
    assert result.source["format"] == "xlsx" and result.source["sheet"] == "名录"
    # layer from the file name (no 类型 column): 养老 -> elderly_care
    assert result.facilities["layer"].tolist() == ["elderly_care", "elderly_care"]
    assert result.facilities["source_row"].tolist() == [3, 5]
    bad = _report_row(result, 4)
    assert bad["action"].tolist() == ["rejected"]
    assert bad["column"].tolist() == ["经度"]
    assert bad["value"].tolist() == ["abc"]
    assert result.source["rows_rejected"] == 1


def test_abc_longitude_rejected_other_rows_import(tmp_path: Path):
    rows = [*ROWS, "坏坐标养老院,养老院,abc,30.59,,"]
    result = read_register(("\n".join([HEADER, *rows]).encode(), "r.csv"))
    assert len(result.facilities) == 3
    rep = _report_row(result, 5)
    assert rep[["column", "value", "action"]].values.tolist() == [["经度", "abc", "rejected"]]
    assert rep["reason"].iloc[0] == "坐标 'abc' 不是数字，且未填所属乡镇"
    assert "所属乡镇" in rep["fix"].iloc[0]


def test_missing_coordinates_with_township_is_a_warning(tmp_path: Path):
    rows = [*ROWS, "无坐标养老院,养老院,,,民族街道,"]
    result = read_register(("\n".join([HEADER, *rows]).encode(), "r.csv"))
    assert len(result.facilities) == 4
    last = result.facilities.iloc[-1]
    assert last["name"] == "无坐标养老院" and last.geometry is None
    rep = _report_row(result, 5)
    assert rep["action"].tolist() == ["warning"]
    assert rep["reason"].iloc[0] == "缺少坐标；该设施仅按名称计入所属乡镇（街道）"


def test_name_only_register_without_coordinates(tmp_path: Path):
    text = "名称,类型,所属乡镇\n民族街养老服务中心,养老,民族街道\n新华社工站,社工站,新华街道\n"
    result = read_register((text.encode(), "r.csv"), official=OFFICIAL, county_code="420103")
    assert len(result.facilities) == 2
    assert result.facilities.geometry.isna().all()
    assert result.facilities["township_code"].tolist() == ["420103001", "420103007"]
    assert result.report["action"].tolist() == ["warning"]
    assert "仅按名称归入所属乡镇" in result.report["reason"].iloc[0]
    assert result.source["crs"] is None


def test_swapped_row_is_repaired(tmp_path: Path):
    rows = list(ROWS)
    rows[1] = f"新华街社工站,社工站,{PTS[1][1]},{PTS[1][0]},新华街道,"
    result = read_register(("\n".join([HEADER, *rows]).encode(), "r.csv"))
    assert len(result.facilities) == 3
    x, y = _positions(result)
    assert (x[1], y[1]) == pytest.approx(PTS[1])
    rep = _report_row(result, 3)
    assert rep["action"].tolist() == ["repaired"]
    assert rep["value"].iloc[0] == f"{PTS[1][1]}, {PTS[1][0]}"
    assert rep["reason"].iloc[0] == "经纬度填反，已自动交换"
    assert "经度在前" in rep["fix"].iloc[0]
    assert result.source["rows_repaired"] == 1


def test_row_outside_region_is_rejected_with_row_and_value(tmp_path: Path):
    rows = [*ROWS, "汉口站养老院,养老院,114.2600,30.6600,,"]  # 1.1 km north of the box
    rows.append("边界养老院,养老院,114.3010,30.6000,,")  # ~100 m east: within the tolerance
    result = read_register(("\n".join([HEADER, *rows]).encode(), "r.csv"), region=REGION)
    assert result.facilities["name"].tolist()[-1] == "边界养老院"
    assert len(result.facilities) == 4
    rep = _report_row(result, 5)
    assert rep["action"].tolist() == ["rejected"]
    assert rep["value"].iloc[0] == "114.2600, 30.6600"
    assert rep["fix"].iloc[0] == "核对坐标或所属区县"
    assert rep["reason"].iloc[0].startswith("点位 (114.260000, 30.660000) 位于区县边界外 ")
    distance_m = float(rep["reason"].str.extract(r"边界外 ([\d,]+) 米")[0].iloc[0].replace(",", ""))
    assert 1000 < distance_m < 1200  # 0.01° of latitude is ~1.1 km


def test_outside_china_rejected(tmp_path: Path):
    rows = [*ROWS, "巴黎养老院,养老院,2.35,48.85,,"]
    result = read_register(("\n".join([HEADER, *rows]).encode(), "r.csv"))
    assert len(result.facilities) == 3
    rep = _report_row(result, 5)
    assert rep["action"].tolist() == ["rejected"]
    assert rep["reason"].iloc[0] == "点位 (2.350000, 48.850000) 位于中国境外"


def test_unknown_township_is_a_warning_and_keeps_the_row(tmp_path: Path):
    rows = list(ROWS)
    rows[2] = rows[2].replace("万松街道", "万松园街道")
    result = read_register(
        ("\n".join([HEADER, *rows]).encode(), "r.csv"), official=OFFICIAL, county_code="420103"
    )
    assert len(result.facilities) == 3
    assert result.facilities["township_code"].tolist() == ["420103001", "420103007", ""]
    assert result.facilities["township_declared"].iloc[2] == "万松园街道"
    rep = _report_row(result, 4)
    assert rep[["column", "value", "action"]].values.tolist() == [
        ["所属乡镇", "万松园街道", "warning"]
    ]
    assert "万松街道" in rep["fix"].iloc[0]  # the closest official name is suggested
    assert rep["reason"].iloc[0] == "乡镇（街道）'万松园街道' 不在区县 420103 的官方乡镇名录中"


def test_columns_override(tmp_path: Path):
    text = "站点,X坐标,Y坐标,类别说明\n" + "\n".join(
        f"点{i},{x},{y},骨灰堂" for i, (x, y) in enumerate(PTS)
    )
    with pytest.raises(InputError, match=r"r\.csv 没有机构名称列.*站点.*columns=\{'name'"):
        read_register((text.encode(), "r.csv"))
    result = read_register(
        (text.encode(), "r.csv"),
        columns={"name": "站点", "lon": "X坐标", "lat": "Y坐标", "type": "类别说明"},
    )
    assert result.facilities["layer"].unique().tolist() == ["cremains"]
    x, _ = _positions(result)
    np.testing.assert_allclose(x, [p[0] for p in PTS])
    with pytest.raises(InputError, match=r"r\.csv 中没有列 'Z'.*现有列"):
        read_register((text.encode(), "r.csv"), columns={"name": "Z"})
    with pytest.raises(InputError, match=r"键 'height' 无法识别"):
        read_register((text.encode(), "r.csv"), columns={"height": "站点"})


def test_gcj02_and_bd09_registers_come_back_within_one_metre(tmp_path: Path):
    lon = np.array([p[0] for p in PTS])
    lat = np.array([p[1] for p in PTS])
    for crs_name, forward in (("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)):
        fx, fy = forward(lon, lat)
        text = "名称,经度,纬度\n" + "\n".join(
            f"点{i},{float(x)!r},{float(y)!r}" for i, (x, y) in enumerate(zip(fx, fy, strict=True))
        )
        result = read_register((text.encode(), "养老.csv"), crs=crs_name)
        x, y = _positions(result)
        assert _dist_m(lon, lat, x, y).max() < 1.0
        assert result.source["crs"] == crs_name
        # read as if WGS84, the same file is hundreds of metres off: the conversion matters
        raw = read_register((text.encode(), "养老.csv"), crs="wgs84")
        assert _dist_m(lon, lat, *_positions(raw)).min() > 300.0


def test_coordinate_header_names_the_system(tmp_path: Path):
    fx, fy = wgs84_to_bd09(PTS[0][0], PTS[0][1])
    text = f"名称,百度经度,百度纬度\n点,{float(fx)!r},{float(fy)!r}\n"
    result = read_register((text.encode(), "养老.csv"))
    assert result.source["crs"] == "bd09"
    assert _dist_m([PTS[0][0]], [PTS[0][1]], *_positions(result)).max() < 1.0


def test_gauss_kruger_register_is_detected(tmp_path: Path):
    to_gk = Transformer.from_crs(4490, 4527, always_xy=True)  # 3° zone 39 (117°E)
    pts = [(117.20, 31.80), (117.25, 31.85)]
    e, n = to_gk.transform([p[0] for p in pts], [p[1] for p in pts])
    text = "名称,X,Y\n" + "\n".join(f"点{i},{e[i]:.3f},{n[i]:.3f}" for i in range(2))
    result = read_register((text.encode(), "社工站.csv"))
    assert result.source["crs"] == "EPSG:4527"
    x, y = _positions(result)
    assert _dist_m([p[0] for p in pts], [p[1] for p in pts], x, y).max() < 0.01
    assert result.facilities["layer"].unique().tolist() == ["social_work"]


def _geojson(features: list[dict]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def _feature(lon: float, lat: float, **props) -> dict:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


def test_geojson_rows_are_feature_numbers(tmp_path: Path):
    feats = [_feature(*p, name=f"养老院{i}") for i, p in enumerate(PTS)]
    feats.insert(1, _feature(2.35, 48.85, name="巴黎养老院"))
    path = tmp_path / "yanglao.geojson"
    path.write_bytes(_geojson(feats))
    result = read_register(path, layer="养老服务中心")
    assert result.source["format"] == "geojson"
    assert result.facilities["source_row"].tolist() == [1, 3, 4]
    assert result.facilities["layer"].unique().tolist() == ["elderly_care"]
    assert _report_row(result, 2)["action"].tolist() == ["rejected"]


def test_geojson_mislabelled_gcj02(tmp_path: Path):
    gx, gy = wgs84_to_gcj02([p[0] for p in PTS], [p[1] for p in PTS])
    feats = [
        _feature(float(x), float(y), 名称=f"站{i}")
        for i, (x, y) in enumerate(zip(gx, gy, strict=True))
    ]
    data = _geojson(feats)
    as_is = read_register((data, "社工站.geojson"))
    fixed = read_register((data, "社工站.geojson"), crs="gcj02")
    lon, lat = [p[0] for p in PTS], [p[1] for p in PTS]
    assert _dist_m(lon, lat, *_positions(as_is)).min() > 300.0
    assert _dist_m(lon, lat, *_positions(fixed)).max() < 1.0


def _write_shapefile(tmp_path: Path, *, cpg: bool) -> Path:
    gdf = gpd.GeoDataFrame(
        {"名称": ["民族街颐养中心", "新华社工站"], "类型": ["养老", "社工站"]},
        geometry=[shapely.Point(p) for p in PTS[:2]],
        crs="EPSG:4326",
    )
    path = tmp_path / "facilities.shp"
    gdf.to_file(path, encoding="GBK")
    cpg_path = path.with_suffix(".cpg")
    assert cpg_path.read_text().strip().upper() == "GBK"
    if not cpg:
        cpg_path.unlink()
    return path


@pytest.mark.parametrize("cpg", [True, False])
def test_shapefile_chinese_attributes(tmp_path: Path, cpg: bool):
    path = _write_shapefile(tmp_path, cpg=cpg)
    result = read_register(path)
    assert result.facilities["name"].tolist() == ["民族街颐养中心", "新华社工站"]
    assert result.facilities["layer"].tolist() == ["elderly_care", "social_work"]
    assert result.source["format"] == "shapefile"
    assert ("GBK" in result.source["encoding"]) if cpg else result.source["encoding"] == "GB18030"


def test_zipped_shapefile_upload_and_bare_shp_upload(tmp_path: Path):
    path = _write_shapefile(tmp_path, cpg=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for part in tmp_path.glob("facilities.*"):
            zf.write(part, arcname=part.name)
    result = read_register((buf.getvalue(), "upload.zip"))
    assert result.facilities["name"].tolist() == ["民族街颐养中心", "新华社工站"]
    assert result.facilities["source_file"].unique().tolist() == ["upload.zip"]
    with pytest.raises(InputError, match=r"facilities\.shp.*打包成一个 \.zip"):
        read_register((path.read_bytes(), "facilities.shp"))


def test_geopackage(tmp_path: Path):
    gdf = gpd.GeoDataFrame(
        {"name": ["a", "b"], "type": ["nursing home", "child protection"]},
        geometry=[shapely.Point(p) for p in PTS[:2]],
        crs="EPSG:4326",
    )
    path = tmp_path / "f.gpkg"
    gdf.to_file(path, layer="facilities", driver="GPKG")
    result = read_register(path)
    assert result.facilities["layer"].tolist() == ["elderly_care", "minor_protection"]
    assert result.source["sheet"] == "facilities"


def test_xls_rejected_with_save_as_message(tmp_path: Path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(InputError, match=r"old\.xls.*另存为.*\.xlsx"):
        read_register(path)
    # the same bytes renamed .xlsx are recognised too
    with pytest.raises(InputError, match=r"renamed\.xlsx.*97-2003.*另存为"):
        read_register((path.read_bytes(), "renamed.xlsx"))


def test_layer_unknown_rejected_and_duplicates_dropped(tmp_path: Path):
    rows = [
        *ROWS,
        ROWS[0],  # exact duplicate of row 2
        "某机构,办公楼,114.26,30.59,,",  # 类型 names no layer, file name neither
        ",养老院,114.26,30.59,,",  # empty name
    ]
    result = read_register(("\n".join([HEADER, *rows]).encode(), "list.csv"))
    assert len(result.facilities) == 3
    rep = result.report.set_index("row")
    assert rep.loc[5, "action"] == "warning" and "第 2 行" in rep.loc[5, "reason"]
    assert rep.loc[6, "action"] == "rejected"
    assert rep.loc[6, "reason"] == "类型 '办公楼' 不属于任何一种设施"
    assert rep.loc[6, "fix"] == "补填类型列，或导入时指定设施类型（命令行用 --layer）"
    assert rep.loc[7, "action"] == "rejected" and rep.loc[7, "column"] == "名称"
    assert rep.loc[7, ["reason", "fix"]].tolist() == ["机构名称为空", "补填名称后重新导入"]
    assert result.source["duplicates_dropped"] == 1
    assert result.source["rows_rejected"] == 2
    # with the layer given, the unknown-类型 row imports
    forced = read_register(("\n".join([HEADER, *rows]).encode(), "list.csv"), layer="cremains")
    assert len(forced.facilities) == 4


def test_whole_file_errors(tmp_path: Path):
    with pytest.raises(DataMissingError, match=r"nope\.csv.*不存在；请检查路径"):
        read_register(tmp_path / "nope.csv")
    with pytest.raises(InputError, match=r"a\.docx.*扩展名为 '\.docx' 的文件.*另存为 \.xlsx"):
        read_register((b"x", "a.docx"))
    with pytest.raises(InputError, match=r"layer='hospital' 不是设施类型；请改用.*elderly_care"):
        read_register(("名称,经度,纬度\na,114,30\n".encode(), "a.csv"), layer="hospital")
    with pytest.raises(InputError, match=r"a\.csv 既没有坐标列.*名称、备注.*columns="):
        read_register(("名称,备注\na,b\n".encode(), "a.csv"))
    with pytest.raises(InputError, match=r"养老\.csv：.*EPSG:4547"):
        read_register(("名称,X,Y\na,500000,3390000\n".encode(), "养老.csv"))


def test_inputs_are_not_mutated(tmp_path: Path):
    official = OFFICIAL.copy()
    region = shapely.box(114.20, 30.55, 114.30, 30.65)
    read_register(
        ("\n".join([HEADER, *ROWS]).encode(), "r.csv"),
        official=official,
        county_code="420103",
        region=region,
    )
    pd.testing.assert_frame_equal(official, OFFICIAL)
    assert region.equals(REGION)


@pytest.mark.slow
def test_bundle_osm_pois_of_wuhan(bundle: Path):
    """The 3,279 OSM POIs of the Wuhan bbox (WGS84, CRS84-labelled) import as points inside
    the bbox; exactly the features without a name are rejected."""
    path = bundle / "facilities" / "osm_pois_wuhan.geojson"
    features = json.loads(path.read_text("utf-8"))["features"]
    named = [i + 1 for i, f in enumerate(features) if (f["properties"].get("name") or "").strip()]
    result = read_register(path, layer="elderly_care", columns={"kind": "fclass"})
    assert result.source["rows_read"] == len(features) == 3279
    assert result.source["crs"] == "wgs84"
    fac = result.facilities
    assert fac["source_row"].tolist() == named
    assert fac.geometry.within(shapely.box(113.9, 30.3, 114.6, 30.9)).all()
    rejected = result.report[result.report["action"] == "rejected"]
    assert len(rejected) == len(features) - len(named)
    assert (rejected["reason"] == "机构名称为空").all()
