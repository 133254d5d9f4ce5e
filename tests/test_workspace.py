"""The DuckDB workspace: round trips, duplicate imports, all-or-nothing writes, runs."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon

from geo._errors import InputError, WorkspaceError
from geo.workspace import ImportOutcome, Workspace
from geo.workspace import imports as workspace_module  # where the facility batches are written


def _facilities(names: list[str], *, geoms: list | None = None) -> gpd.GeoDataFrame:
    n = len(names)
    geoms = geoms if geoms is not None else [Point(114.30 + i / 100, 30.50) for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "facility_id": [f"F{i + 1}" for i in range(n)],
            "name": names,
            "layer": ["elderly_care"] * n,
            "kind": ["养老服务中心"] * n,
            "township_declared": ["中南路街道"] * n,
            "township_code": ["420106002"] * n,
            "address": [f"武昌区中南路{i + 1}号" for i in range(n)],
            "source_file": ["养老机构.xlsx"] * n,
            "source_row": list(range(2, n + 2)),
        },
        geometry=geoms,
        crs="EPSG:4326",
    )


def _report() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "file": ["养老机构.xlsx", "养老机构.xlsx"],
            "row": [7, None],
            "column": ["经度", "名称"],
            "value": ["abc", None],
            "reason": ["经度不是数字", "名称为空"],
            "fix": ["填写数字经度", "补全名称"],
            "action": ["rejected", "kept"],
        }
    )


def _source(content: bytes = b"register v1") -> dict:
    return {
        "file": "养老机构.xlsx",
        "sha256": hashlib.sha256(content).hexdigest(),
        "format": "xlsx",
        "encoding": None,
        "crs": "EPSG:4326",
        "columns": {"名称": "name", "地址": "address"},
        "counts": {"rows_read": 4, "rows_kept": 3, "rows_rejected": 1},
    }


@pytest.fixture
def ws():
    with Workspace.open(":memory:") as workspace:
        yield workspace


def test_facilities_round_trip_keeps_chinese_names_and_missing_geometry(ws):
    names = ["武昌区颐养中心", "<script>alert(1)</script>", "中南路街道社区养老服务站"]
    gdf = _facilities(names, geoms=[Point(114.3, 30.5), None, Point(114.31, 30.52)])
    gdf["geocode_quality"] = ["exact", None, "street"]  # an extra column travels as JSON

    outcome = ws.save_import(gdf, _report(), _source(), layer="elderly_care")

    assert outcome == ImportOutcome(import_id=outcome.import_id, duplicate=False)
    back = ws.facilities(layer="elderly_care")
    assert back.crs.to_epsg() == 4326
    assert back["name"].tolist() == names
    assert back["address"].tolist() == gdf["address"].tolist()
    assert back["source_row"].tolist() == [2, 3, 4]
    assert back["import_id"].tolist() == [outcome.import_id] * 3
    assert back.geometry.iloc[1] is None
    assert back.geometry.iloc[2].equals(Point(114.31, 30.52))
    assert back["geocode_quality"].fillna("-").tolist() == ["exact", "-", "street"]
    assert ws.facilities(layer="social_work").empty

    report = ws.validation(outcome.import_id)
    assert report["reason"].tolist() == ["经度不是数字", "名称为空"]
    assert report["row"].tolist()[0] == 7 and pd.isna(report["row"].iloc[1])

    imports = ws.imports()
    assert imports.loc[0, ["rows_read", "rows_kept", "rows_rejected"]].tolist() == [4, 3, 1]
    assert imports.loc[0, "params"] == {"columns": {"名称": "name", "地址": "address"}}


def test_same_file_twice_for_a_layer_is_not_duplicated(ws):
    gdf = _facilities(["甲", "乙"])
    first = ws.save_import(gdf, _report(), _source(), layer="elderly_care")
    again = ws.save_import(gdf, _report(), _source(), layer="elderly_care")
    other_layer = ws.save_import(
        gdf.assign(layer="social_work"), _report(), _source(), layer="social_work"
    )
    new_content = ws.save_import(gdf, _report(), _source(b"register v2"), layer="elderly_care")

    assert again == ImportOutcome(import_id=first.import_id, duplicate=True)
    assert not other_layer.duplicate and other_layer.import_id != first.import_id
    assert not new_content.duplicate
    assert len(ws.imports()) == 3
    assert len(ws.facilities(layer="elderly_care")) == 4  # 2 from each elderly-care import


class _Unencodable:
    """Not a geometry: stands in a geometry column where the data went wrong."""


@pytest.mark.parametrize(
    ("bad_row", "match"),
    [
        (
            lambda gdf: gdf.geometry.array._data.__setitem__(2, _Unencodable()),
            r"facility row 2 \(facility_id 'F3'\), geometry.*cannot be encoded as WKB",
        ),
        (
            # a GBK file decoded with errors="surrogateescape" leaves lone surrogates
            lambda gdf: gdf.__setitem__(
                "name", pd.Series(["甲", "乙", "坏\udcb5名"], dtype=object)
            ),
            r"facility row 2 \(facility_id 'F3'\), column 'name'.*cannot be encoded as UTF-8",
        ),
    ],
)
def test_failed_import_leaves_the_workspace_exactly_as_it_was(ws, bad_row, match):
    ws.save_import(_facilities(["甲", "乙"]), _report(), _source(b"first"), layer="elderly_care")
    ws.save_run("coverage", {"layer": "elderly_care"}, {"t": pd.DataFrame({"a": [1]})})
    before = ws.snapshot()

    gdf = _facilities(["甲", "乙", "丙"])
    bad_row(gdf)  # the LAST row cannot be stored: the import row and report are written first
    with pytest.raises(WorkspaceError, match=match):
        ws.save_import(gdf, _report(), _source(b"second"), layer="elderly_care")

    assert ws.snapshot() == before
    # and the workspace still works after the rollback
    assert not ws.save_import(
        _facilities(["丁"]), _report(), _source(b"third"), layer="elderly_care"
    ).duplicate


def test_failure_in_a_later_batch_rolls_back_earlier_batches(ws, monkeypatch):
    monkeypatch.setattr(workspace_module, "_BATCH_ROWS", 2)
    before = ws.snapshot()
    gdf = _facilities(["甲", "乙", "丙", "丁", "戊"])
    gdf.geometry.array._data[4] = _Unencodable()
    with pytest.raises(WorkspaceError, match=r"facility row 4"):
        ws.save_import(gdf, _report(), _source(), layer="elderly_care")
    assert ws.snapshot() == before


def test_bad_arguments_are_input_errors(ws):
    gdf = _facilities(["甲"])
    with pytest.raises(InputError, match="unknown facility layer 'elderly'"):
        ws.save_import(gdf, _report(), _source(), layer="elderly")
    with pytest.raises(InputError, match=r"sha256.*64-hex-digit"):
        ws.save_import(gdf, _report(), {**_source(), "sha256": "abc"}, layer="elderly_care")
    with pytest.raises(InputError, match="lack the column.*address"):
        ws.save_import(gdf.drop(columns="address"), _report(), _source(), layer="elderly_care")
    with pytest.raises(InputError, match="EPSG:4326"):
        ws.save_import(gdf.to_crs(3857), _report(), _source(), layer="elderly_care")
    with pytest.raises(InputError, match=r"row 0 \(facility_id 'F1'\) has layer 'elderly_care'"):
        ws.save_import(gdf, _report(), _source(), layer="social_work")
    with pytest.raises(InputError, match="import_id 99 is not in workspace"):
        ws.delete_import(99)


def test_delete_import_removes_its_rows_only(ws):
    a = ws.save_import(_facilities(["甲"]), _report(), _source(b"a"), layer="elderly_care")
    b = ws.save_import(_facilities(["乙", "丙"]), _report(), _source(b"b"), layer="elderly_care")
    ws.delete_import(a.import_id)
    assert ws.imports()["import_id"].tolist() == [b.import_id]
    assert ws.facilities()["name"].tolist() == ["乙", "丙"]
    assert set(ws.validation()["import_id"]) == {b.import_id}
    # the same file can be imported again once deleted
    assert not ws.save_import(
        _facilities(["甲"]), _report(), _source(b"a"), layer="elderly_care"
    ).duplicate


def test_layers_round_trip_and_replace(ws):
    townships = gpd.GeoDataFrame(
        {
            "code": ["420106002", "420106003"],
            "name": ["中南路街道", "水果湖街道"],
            "approximate": [False, True],
            "n_elderly_care": [2, 0],
        },
        geometry=[Polygon([(0, 0), (1, 0), (1, 1)]), Polygon([(1, 0), (2, 0), (2, 1)])],
        crs="EPSG:4326",
    )
    assert ws.load_layer("townships") is None
    ws.save_layer("townships", townships, kind="townships", params={"source": "bundle"})
    back = ws.load_layer("townships")
    assert back.crs.to_epsg() == 4326
    assert back.columns.tolist() == townships.columns.tolist()
    assert back["code"].tolist() == ["420106002", "420106003"]  # codes stay text
    assert back["approximate"].tolist() == [False, True]
    assert back["n_elderly_care"].tolist() == [2, 0]
    assert back.geometry.equals(townships.geometry)

    edges = gpd.GeoDataFrame(
        {"length_m": [12.5]}, geometry=[LineString([(0, 0), (12.5, 0)])], crs="EPSG:32650"
    )
    ws.save_layer("townships", edges, kind="street_edges", params={})
    replaced = ws.load_layer("townships")
    assert len(replaced) == 1 and replaced.crs.to_epsg() == 32650
    assert ws.layers()["kind"].tolist() == ["street_edges"]


def test_runs_round_trip_with_list_columns_and_geodataframes(ws):
    comparison = pd.DataFrame(
        {
            "code": ["420106", "420111"],
            "rate": [0.5, 1.0],
            "uncovered_codes": [["420106002"], []],
            "uncovered_names": [["中南路街道"], []],
            "status": ["未达标", "达标"],
        },
        index=pd.Index(["a", "b"], name="key"),
    )
    sites = gpd.GeoDataFrame(
        {"site": ["S1"], "covers": [["420106002", "420106003"]]},
        geometry=[Point(114.3, 30.5)],
        crs="EPSG:4326",
    )
    run_id = ws.save_run(
        "coverage",
        {"layer": "elderly_care", "minutes": 15},
        {"comparison": comparison, "sites": sites},
        label="2025 基线",
    )
    second = ws.save_run("siting", {"k": 3}, {})

    run = ws.load_run(run_id)
    assert (run.run_id, run.kind, run.label) == (run_id, "coverage", "2025 基线")
    assert run.params == {"layer": "elderly_care", "minutes": 15}
    pd.testing.assert_frame_equal(run.tables["comparison"], comparison)
    assert isinstance(run.tables["sites"], gpd.GeoDataFrame)
    assert run.tables["sites"]["covers"].tolist() == [["420106002", "420106003"]]
    assert run.tables["sites"].geometry.iloc[0].equals(Point(114.3, 30.5))

    listing = ws.runs()
    assert listing["run_id"].tolist() == [run_id, second]
    assert listing["tables"].tolist() == [["comparison", "sites"], []]
    assert ws.runs("siting")["run_id"].tolist() == [second]
    with pytest.raises(InputError, match="run_id 42 is not in workspace"):
        ws.load_run(42)


def test_unstorable_run_is_rolled_back(ws):
    before = ws.snapshot()
    with pytest.raises(WorkspaceError, match="cannot be stored as JSON"):
        ws.save_run("coverage", {"bad": object()}, {})
    mixed = pd.DataFrame({"value": [1, "x"]}, dtype=object)
    with pytest.raises(
        WorkspaceError, match=r"run table 'bad'.*mixed value types in column\(s\) value"
    ):
        ws.save_run("coverage", {}, {"good": pd.DataFrame({"a": [1]}), "bad": mixed})
    assert ws.snapshot() == before


def test_file_workspace_is_seen_by_another_connection_and_process(tmp_path: Path):
    path = tmp_path / "ws.duckdb"
    with Workspace.open(path) as ws:
        outcome = ws.save_import(
            _facilities(["武昌区颐养中心"]), _report(), _source(), layer="elderly_care"
        )
        # a second connection in this process sees the committed import
        with Workspace.open(path) as other:
            assert other.facilities()["name"].tolist() == ["武昌区颐养中心"]

    code = textwrap.dedent(
        f"""
        from geo.workspace import Workspace
        with Workspace.open({str(path)!r}, read_only=True) as ws:
            print(ws.imports()["import_id"].tolist(), ws.facilities()["name"].tolist())
        """
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"[{outcome.import_id}] ['武昌区颐养中心']"


def test_open_errors_say_what_to_do(tmp_path: Path):
    with pytest.raises(WorkspaceError, match="文件夹 .* 不存在；请先创建"):
        Workspace.open(tmp_path / "missing" / "ws.duckdb")
    not_db = tmp_path / "notes.duckdb"
    not_db.write_text("not a database", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="无法打开工作区"):
        Workspace.open(not_db)
