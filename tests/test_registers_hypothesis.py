"""Property-based test of the register importer (issue 11) over generated registers.

Random encodings (UTF-8, UTF-8 with BOM, GBK), title rows above the header, column orders,
coordinate systems (WGS84, GCJ-02, BD-09, degree–minute–second text, lon/lat in one cell),
junk cells and empty cells. Invariants:

* rows read = rows imported + rows named in the report (rejected, or skipped as duplicates);
* nothing but the project's own errors escapes (and never the "read failure" fallback, which
  would hide a bug);
* a workspace is unchanged after any failure inside a run's transaction.

The run is derandomised (fixed examples) so CI is repeatable; ``HYPOTHESIS_PROFILE=dev`` explores.
"""

from __future__ import annotations

import io
import os

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo._errors import DataMissingError, InputError
from geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from geo.registers import read_register
from geo.workspace import Workspace

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=500, deadline=None)

OFFICIAL = pd.DataFrame(
    {
        "code": ["420103001", "420103007", "420103009", "420104005"],
        "name": ["民族街街道", "新华街道", "万松街道", "新华街道"],
        "county_code": ["420103", "420103", "420103", "420104"],
        "kind": ["街道"] * 4,
    }
)
REGION = shapely.box(114.20, 30.55, 114.30, 30.65)
TOWNSHIP_POLYGONS = {
    "420103001": shapely.box(114.20, 30.55, 114.25, 30.60),
    "420103007": shapely.box(114.25, 30.55, 114.30, 30.60),
    "420103009": shapely.box(114.20, 30.60, 114.30, 30.65),
}

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

NAMES = st.sampled_from(
    ["民族街养老院", "新华社工站", "万松养老服务中心", "颐养之家", "", "  ", "=SUM(A1)"]
)
TOWNS = st.sampled_from(
    ["民族街道", "新华街道", "万松街道", "420103007", "不存在镇", "", "新华街道办事处"]
)
JUNK = st.sampled_from(
    ["abc", "N/A", "-", "0", "12345", "999999", "1e400", "114.3.2", "，", '"', "东经"]
)


@st.composite
def coordinate(draw: st.DrawFn, system: str) -> tuple[str, str]:
    kind = draw(st.sampled_from(["number", "number", "number", "dms", "empty", "junk", "swap"]))
    lon = draw(st.floats(114.205, 114.295))
    lat = draw(st.floats(30.555, 30.645))
    if system == "gcj02":
        glon, glat = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
        lon, lat = float(glon[0]), float(glat[0])
    elif system == "bd09":
        blon, blat = wgs84_to_bd09(np.array([lon]), np.array([lat]))
        lon, lat = float(blon[0]), float(blat[0])
    if kind == "empty":
        return "", ""
    if kind == "junk":
        return draw(JUNK), draw(st.one_of(JUNK, st.just(f"{lat:.6f}")))
    if kind == "swap":
        return f"{lat:.6f}", f"{lon:.6f}"
    if kind == "dms":

        def dms(v: float) -> str:
            d = int(v)
            m = int((v - d) * 60)
            s = (v - d - m / 60) * 3600
            return f"{d}°{m}′{s:.2f}″"

        return dms(lon), dms(lat)
    return f"{lon:.6f}", f"{lat:.6f}"


@st.composite
def register(draw: st.DrawFn) -> dict:
    system = draw(st.sampled_from(["wgs84", "gcj02", "bd09"]))
    n = draw(st.integers(0, 12))
    one_cell = draw(st.booleans())
    rows = []
    for _ in range(n):
        lon, lat = draw(coordinate(system))
        row = {"名称": draw(NAMES), "所属街道": draw(TOWNS), "类型": "养老服务中心"}
        if one_cell:
            row["经纬度"] = f"{lon},{lat}" if lon or lat else ""
        else:
            row["经度"], row["纬度"] = lon, lat
        if draw(st.booleans()):
            row["备注"] = draw(st.text(max_size=8))
        rows.append(row)
    columns = ["名称", "所属街道", "类型"] + (["经纬度"] if one_cell else ["经度", "纬度"])
    if any("备注" in r for r in rows):
        columns.append("备注")
    order = draw(st.permutations(columns))
    titles = draw(st.integers(0, 2))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk"]))
    fmt = draw(st.sampled_from(["csv", "csv", "csv", "xlsx"]))
    duplicate_last = n > 0 and draw(st.booleans())
    if duplicate_last:
        rows.append(dict(rows[-1]))
    return {
        "rows": rows,
        "columns": list(order),
        "titles": titles,
        "encoding": encoding,
        "fmt": fmt,
        "with_polygons": draw(st.booleans()),
    }


def _encode(spec: dict) -> tuple[bytes, str]:
    records = [["江汉区养老设施名录"]] * spec["titles"] + [spec["columns"]]
    records += [[r.get(c, "") for c in spec["columns"]] for r in spec["rows"]]
    if spec["fmt"] == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        for rec in records:  # Excel itself cannot hold control characters
            book.active.append([ILLEGAL_CHARACTERS_RE.sub("", str(c)) for c in rec])
        buf = io.BytesIO()
        book.save(buf)
        return buf.getvalue(), "养老名录.xlsx"
    import csv

    text = io.StringIO()
    csv.writer(text).writerows(records)
    data = text.getvalue().encode(spec["encoding"], errors="replace")
    return data, "养老名录.csv"


def _data_rows(spec: dict) -> int:
    """Rows with at least one non-blank cell (a blank line is no row)."""
    return sum(any(str(r.get(c, "")).strip() for c in spec["columns"]) for r in spec["rows"])


@settings.get_profile(PROFILE)
@given(spec=register(), fail_inside=st.booleans())
def test_every_row_is_imported_or_named_and_failures_change_nothing(spec, fail_inside):
    import geopandas as gpd

    data, name = _encode(spec)
    polygons = (
        gpd.GeoDataFrame(
            {"code": list(TOWNSHIP_POLYGONS)},
            geometry=list(TOWNSHIP_POLYGONS.values()),
            crs="EPSG:4326",
        )
        if spec["with_polygons"]
        else None
    )
    with Workspace.open(":memory:") as ws:
        before = ws.snapshot()
        try:
            result = read_register(
                (data, name), official=OFFICIAL, region=REGION, townships=polygons
            )
        except (InputError, DataMissingError) as exc:
            assert "无法读取（" not in str(exc) or "Error:" not in str(exc), exc  # no hidden bug
            assert ws.snapshot() == before
            return
        src = result.source
        assert src["rows_read"] == _data_rows(spec)
        assert (
            src["rows_read"] == src["rows_kept"] + src["rows_rejected"] + src["duplicates_dropped"]
        )
        assert len(result.facilities) == src["rows_kept"]
        named = result.report[result.report["action"].isin(["rejected", "warning"])]
        out_rows = set(zip(named["file"], named["row"], strict=True))
        kept_rows = set(result.facilities["source_row"].tolist())
        assert len(kept_rows) == src["rows_kept"]
        # every row not kept is named in the report
        assert src["rows_read"] - src["rows_kept"] <= len(
            {r for f, r in out_rows if r not in kept_rows}
        )
        geoms = result.facilities.geometry
        placed = geoms[geoms.notna()]
        assert placed.within(REGION.buffer(0.01)).all()
        if fail_inside:
            with pytest.raises(RuntimeError), ws.transaction("property test"):
                ws.save_import(result.facilities, result.report, result.source, layer=None)
                raise RuntimeError("a later step of the run failed")
            assert ws.snapshot() == before
        else:
            ws.save_import(result.facilities, result.report, result.source, layer=None)
            row = ws.imports().iloc[0]
            assert [row.rows_read, row.rows_kept, row.rows_rejected] == [
                src["rows_read"],
                src["rows_kept"],
                src["rows_rejected"],
            ]
