"""Registers in a run (issue 11): duplicates across registers, multi-layer and empty registers,
the workspace's import counts, a failed run leaving workspace and outputs as they were, inputs
checked first, Chinese console lines and paths with commas.

The runs use 珠山区 (360203: 11 official units, no bundle needed) and registers by name.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import shapely

from geo._errors import WorkspaceError
from geo.registers import read_register
from geo.workspace import Workspace
from servicecircle.cli import main

STREETS = ["石狮埠街道", "新厂街道", "里村街道", "周路口街道", "昌江街道", "新村街道", "珠山街道"]


def _register(path: Path, names: list[str], towns: list[str], **extra: list[str]) -> Path:
    pd.DataFrame({"机构名称": names, "所属街道": towns, **extra}).to_csv(
        path, index=False, encoding="gbk"
    )
    return path


def _coverage(tmp_path: Path, *registers: str, out: Path | None = None) -> int:
    return main(
        [
            "coverage",
            "--region",
            "360203",
            *[a for r in registers for a in ("--register", r)],
            "--out",
            str(out or tmp_path / "out"),
            "--workspace",
            str(tmp_path / "ws.duckdb"),
            "--basemap",
            "none",
        ]
    )


def _elderly_count(out: Path) -> int:
    sheet = pd.read_excel(out / "coverage.xlsx", sheet_name="养老服务中心")
    return int(sheet["养老服务中心数量"].sum())


# ---------------------------------------------------------------- 6. duplicates
def test_same_file_twice_is_counted_once(tmp_path, capsys):
    reg = _register(tmp_path / "养老服务中心.csv", [f"{s}养老服务中心" for s in STREETS], STREETS)
    assert _coverage(tmp_path, f"{reg},layer=elderly_care", f"{reg},layer=elderly_care") == 0
    text = capsys.readouterr().out
    assert _elderly_count(tmp_path / "out") == 7  # not 14
    assert "同一文件导入两次" in text


def test_same_facility_in_two_registers_is_reported_not_double_counted():
    from geo.registers import drop_duplicates_across

    a = "名称,经度,纬度,编号\n甲养老院,114.2700,30.5850,A1\n乙养老院,114.2550,30.6000,A2\n"
    b = (
        "名称,经度,纬度,编号\n"
        "甲 养老院,114.27005,30.58505,B9\n"  # same name (spaces aside), ~7 m away: one facility
        "乙养老院,114.2550,30.6030,B2\n"  # same name 330 m away: two facilities
        "丙养老院,114.2400,30.6150,A1\n"  # another name with register A's 编号 A1: flagged
    )
    parts = [read_register((a.encode(), "a_养老.csv")), read_register((b.encode(), "b_养老.csv"))]
    out = drop_duplicates_across(parts)
    assert out[0].facilities["name"].tolist() == ["甲养老院", "乙养老院"]
    assert out[1].facilities["name"].tolist() == ["乙养老院", "丙养老院"]
    assert out[1].source["duplicates_dropped"] == 1 and out[1].source["rows_kept"] == 2
    rep = out[1].report.set_index("row")
    assert "与 a_养老.csv 第 2 行是同一设施" in rep.loc[2, "reason"]
    assert "编号 'A1' 与 a_养老.csv 第 2 行" in rep.loc[4, "reason"]
    assert out[1].source["rows_read"] == (
        out[1].source["rows_kept"]
        + out[1].source["rows_rejected"]
        + out[1].source["duplicates_dropped"]
    )


def test_duplicate_ids_within_a_file_are_flagged():
    text = "名称,编号,经度,纬度\n甲,N1,114.27,30.585\n乙,N2,114.26,30.59\n丙,N1,114.25,30.60\n"
    result = read_register((text.encode(), "养老.csv"))
    assert len(result.facilities) == 3
    rep = result.report[result.report["row"] == 4]
    assert rep["action"].tolist() == ["warning"]
    assert "编号 'N1' 与第 2 行重复" in rep["reason"].iloc[0]


# ---------------------------------------------------------------- 7 and 8. layers and counts
def test_one_file_of_several_layers_and_an_empty_register(tmp_path, capsys):
    mixed = _register(
        tmp_path / "设施名录.csv",
        ["石狮埠养老服务中心", "新厂社工站", "里村养老服务中心", "", "无名站"],
        ["石狮埠街道", "新厂街道", "里村街道", "珠山街道", "珠山街道"],
        类型=["养老服务中心", "社工站", "养老服务中心", "养老服务中心", "办公楼"],
    )
    empty = _register(tmp_path / "社工站.csv", ["", ""], ["新厂街道", "里村街道"])
    assert _coverage(tmp_path, str(mixed), str(empty)) == 0
    capsys.readouterr()
    with Workspace.open(tmp_path / "ws.duckdb") as ws:
        imports = ws.imports().set_index("source_file")
        facilities = ws.facilities()
    assert imports.loc["设施名录.csv", "layer"] == "mixed"
    assert imports.loc["设施名录.csv", ["rows_read", "rows_kept", "rows_rejected"]].tolist() == [
        5,
        3,
        2,
    ]
    assert imports.loc["社工站.csv", "layer"] == "none"
    assert imports.loc["社工站.csv", ["rows_read", "rows_kept", "rows_rejected"]].tolist() == [
        2,
        0,
        2,
    ]
    assert sorted(facilities["layer"]) == ["elderly_care", "elderly_care", "social_work"]


# ---------------------------------------------------------------- 4. a failed run
def test_failed_run_leaves_workspace_and_outputs_as_they_were(tmp_path, monkeypatch, capsys):
    first = _register(
        tmp_path / "养老服务中心.csv", [f"{s}养老服务中心" for s in STREETS[:3]], STREETS[:3]
    )
    out = tmp_path / "out"
    assert _coverage(tmp_path, f"{first},layer=elderly_care", out=out) == 0
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    with Workspace.open(tmp_path / "ws.duckdb") as ws:
        before = ws.snapshot()
    capsys.readouterr()

    second = _register(tmp_path / "养老2.csv", [f"{s}养老服务中心" for s in STREETS], STREETS)
    empty = _register(tmp_path / "社工站.csv", ["新厂社工站"], ["新厂街道"])

    def broken_save_run(self, *args, **kwargs):  # the last write of the run fails
        raise WorkspaceError("磁盘已满（测试注入的故障）")

    monkeypatch.setattr("geo.workspace.store._Store.save_run", broken_save_run)
    code = _coverage(
        tmp_path, f"{second},layer=elderly_care", f"{empty},layer=social_work", out=out
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "之前的输出文件未改动" in err
    with Workspace.open(tmp_path / "ws.duckdb") as ws:
        assert ws.snapshot() == before  # no import of the failed run was kept
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_workspace_transaction_rolls_back_every_write(tmp_path):
    import geopandas as gpd

    fac = gpd.GeoDataFrame(
        {
            "facility_id": ["F1"],
            "name": ["甲"],
            "layer": ["elderly_care"],
            "kind": [""],
            "township_declared": [""],
            "township_code": [""],
            "address": [""],
            "source_file": ["a.csv"],
            "source_row": [2],
        },
        geometry=[shapely.Point(114.27, 30.58)],
        crs="EPSG:4326",
    )
    report = pd.DataFrame(columns=["file", "row", "column", "value", "reason", "fix", "action"])
    source = {
        "file": "a.csv",
        "sha256": "a" * 64,
        "rows_read": 3,
        "rows_kept": 1,
        "rows_rejected": 2,
    }
    with Workspace.open(tmp_path / "ws.duckdb") as ws:
        before = ws.snapshot()
        with pytest.raises(RuntimeError, match="boom"), ws.transaction("test"):
            ws.save_import(fac, report, source, layer=None)
            ws.save_run("coverage", {}, {"t": pd.DataFrame({"a": [1]})})
            raise RuntimeError("boom")
        assert ws.snapshot() == before
        ws.save_import(fac, report, source, layer=None)
        row = ws.imports().iloc[0]
    assert [row.layer, row.rows_read, row.rows_kept, row.rows_rejected] == ["elderly_care", 3, 1, 2]


# ---------------------------------------------------------------- validation first, 9. language
def test_all_input_problems_are_listed_before_any_work(tmp_path, capsys):
    reg = _register(tmp_path / "养老服务中心.csv", ["甲"], ["新厂街道"])
    bad = tmp_path / "名单.csv"
    bad.write_text("备注\n无\n", encoding="utf-8")
    code = main(
        [
            "coverage",
            "--region",
            "360203",
            "--register",
            str(reg),
            "--register",
            str(tmp_path / "缺失.csv"),
            "--register",
            str(bad),
            "--townships",
            str(tmp_path / "没有这个文件.csv"),
            "--out",
            str(tmp_path / "out"),
            "--workspace",
            str(tmp_path / "ws.duckdb"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "输入检查发现 3 个问题（尚未开始计算）" in err
    assert "缺失.csv" in err and "名单.csv 没有机构名称列" in err and "没有这个文件.csv" in err
    assert not (tmp_path / "ws.duckdb").exists() and not (tmp_path / "out").exists()


def test_console_is_chinese_and_paths_may_hold_commas(tmp_path, capsys):
    folder = tmp_path / "2024,第二批"
    folder.mkdir()
    reg = _register(
        folder / "养老服务中心,珠山区.csv",
        ["石狮埠养老服务中心", "", "里村养老服务中心"],
        ["石狮埠街道", "新厂街道", "里村街道"],
    )
    assert _coverage(tmp_path, f"{reg},layer=elderly_care") == 0
    assert _coverage(tmp_path, str(reg)) == 0  # the bare path, commas and all
    text = capsys.readouterr().out
    for english in ("{'", "(rejected)", "(warning)", "saved in the workspace", "more in the"):
        assert english not in text
    assert "校验报告：" in text and "未导入 1 条" in text and "（未导入）" in text
    assert "运行记录 1 已保存到工作区" in text
    assert "读取 养老服务中心,珠山区.csv：格式 csv；编码 gb18030" in text
    assert "表头 第 1 行" in text and "名称=机构名称" in text and "所属乡镇=所属街道" in text
