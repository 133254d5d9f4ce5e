"""The command line, end to end on hand-made registers (no bundle needed)."""

from __future__ import annotations

import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

from servicecircle.cli import build_parser, main

ZHUSHAN_STREETS = [
    "石狮埠街道",
    "新厂街道",
    "里村街道",
    "周路口街道",
    "昌江街道",
    "新村街道",
    "珠山街道",
]


def test_coverage_help_documents_every_input():
    help_text = build_parser()._subparsers._group_actions[0].choices["coverage"].format_help()
    for option in (
        "--region",
        "--register",
        "--columns",
        "--townships",
        "--kinds",
        "--township-polygons",
        "--seats",
        "--counties",
        "--plan",
        "--year",
        "--prefer",
        "--out",
        "--workspace",
        "--basemap",
    ):
        assert option in help_text
    for word in ("GBK", "gcj02", "bd09", "layer=", "crs=", "骨灰安放设施"):
        assert word in help_text


def test_console_script_is_installed():
    out = subprocess.run(
        [sys.executable, "-m", "servicecircle.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "coverage" in out.stdout and "demo" in out.stdout


@pytest.fixture()
def zhushan_register(tmp_path):
    """Seven 养老 centres in seven of 珠山区's eleven units, declared by name (no coordinates)."""
    path = tmp_path / "养老服务中心.csv"
    names = [s.replace("街道", "街道办事处") for s in ZHUSHAN_STREETS]  # register-style names
    pd.DataFrame(
        {"机构名称": [f"{s}养老服务中心" for s in ZHUSHAN_STREETS], "所属街道": names}
    ).to_csv(path, index=False, encoding="gbk")
    return path


def test_coverage_zhushan_against_its_own_plan(zhushan_register, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SERVICE_DATA_DIR", raising=False)
    out = tmp_path / "out"
    code = main(
        [
            "coverage",
            "--region",
            "360203",
            "--register",
            f"{zhushan_register},layer=elderly_care",
            "--plan",
            "zhushan",
            "--out",
            str(out),
            "--workspace",
            str(tmp_path / "ws.duckdb"),
            "--basemap",
            "none",
        ]
    )
    assert code == 0
    for name in (
        "coverage.xlsx",
        "coverage.csv",
        "townships.geojson",
        "coverage_map.html",
        "coverage_map.png",
    ):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "coverage.csv", encoding="utf-8-sig", dtype={"code": str})
    text = capsys.readouterr().out
    assert "7/11" in text  # 7 of 珠山区's 11 official units
    rows = table[
        (table["scope"] == "county")
        & (table["layer"] == "elderly_care")
        & (table["unit_level"] == "township")
    ]
    assert set(rows["units"]) == {11} and set(rows["covered"]) == {7}
    # 7/11 = 63.6 %: meets 60 %, misses 80 % by two units (ceil(0.8 × 11) = 9)
    by_target = {float(r.target_pct): (r.status, int(r.units_needed)) for r in rows.itertuples()}
    assert by_target[60.0] == ("达标", 0)
    assert by_target[80.0] == ("未达标", 2)
    # only 珠山区's own plan is used with --plan zhushan
    assert set(table.loc[table["target_pct"].notna(), "plan_name"]) == {
        "《珠山区民政事业发展“十四五”规划》"
    }
    wb = openpyxl.load_workbook(out / "coverage.xlsx")
    assert "说明" in wb.sheetnames and "校验报告" in wb.sheetnames
    assert "达标" in text and "未达标" in text


def test_bad_region_is_a_readable_error(zhushan_register, tmp_path, capsys):
    code = main(
        [
            "coverage",
            "--region",
            "36020",
            "--register",
            str(zhushan_register),
            "--out",
            str(tmp_path / "o"),
            "--workspace",
            str(tmp_path / "w.duckdb"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "36020" in err and "Traceback" not in err


def test_register_option_typo_is_named(zhushan_register, capsys):
    code = main(["coverage", "--region", "360203", "--register", f"{zhushan_register},lyr=x"])
    assert code == 2
    assert "选项 'lyr' 无法识别" in capsys.readouterr().err


@pytest.mark.slow
def test_site_command_best_k_and_what_if(bundle, tmp_path, capsys):
    from geo.settings import project_root
    from geo.workspace import Workspace
    from servicecircle.scenarios import load_scenario

    register = project_root() / "data" / "demo" / "养老服务中心_示例_GCJ02.xlsx"
    ws = tmp_path / "ws.duckdb"
    common = [
        "--region",
        "420102",
        "--register",
        f"{register},layer=elderly_care,crs=gcj02",
        "--seats",
        "bundle",
        "--basemap",
        "none",
        "--workspace",
        str(ws),
    ]
    assert main(["site", *common, "--k", "3", "--out", str(tmp_path / "k3")]) == 0
    out = capsys.readouterr().out
    assert "最优3处" in out
    for name in ("siting.xlsx", "siting_sites.geojson", "siting_map.html", "reach.xlsx"):
        assert (tmp_path / "k3" / name).is_file(), name
    with Workspace.open(ws) as w:
        runs = w.runs(kind="siting")
        best = load_scenario(w, int(runs["run_id"].iloc[-1]))
    assert len(best.chosen) == 3
    # what-if with the same three sites gives the same reach
    ids = ",".join(best.chosen["site_id"])
    assert main(["site", *common, "--open", ids, "--out", str(tmp_path / "wi")]) == 0
    with Workspace.open(ws) as w:
        runs = w.runs(kind="siting")
        wi = load_scenario(w, int(runs["run_id"].iloc[-1]))
    assert wi.reach_total["reached_after"].tolist() == best.reach_total["reached_after"].tolist()
    # two questions at once is refused
    assert (
        main(["site", *common, "--k", "2", "--min-share", "0.5", "--out", str(tmp_path / "x")]) == 2
    )
    assert "ask one question" in capsys.readouterr().err


def _listening(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _group_alive(pgid: int) -> bool:
    import os

    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_app_command_serves_the_streamlit_app_and_stops_with_it(tmp_path):
    """The app is served on 127.0.0.1; terminating the command stops Streamlit too (it used to
    outlive the test run), and nothing the test started is left running or listening."""
    import os
    import signal
    import urllib.request

    from e2e_util import free_port, wait_until  # tests/ is on sys.path

    port = free_port()
    log = tmp_path / "app.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "servicecircle.cli", "app", "--port", str(port)],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the finally below ends all of it
        )
    try:

        def healthy() -> bool:
            assert proc.poll() is None, log.read_text()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                return r.read().strip() == b"ok"

        assert wait_until(healthy, timeout_s=90, what="servicecircle app")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert "<title>Streamlit</title>" in r.read().decode()
        proc.terminate()  # the command only, as a user's Ctrl-C or a service manager would
        proc.wait(timeout=30)
        assert wait_until(
            lambda: not _group_alive(proc.pid) and not _listening(port),
            timeout_s=30,
            what="the Streamlit child to stop with the command",
        )
    finally:
        if _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert not _listening(port)


def test_targets_command_lists_what_a_region_inherits(capsys):
    assert main(["targets", "--region", "360203"]) == 0
    out = capsys.readouterr().out
    assert "珠山区" in out and "江西省" in out and "全国" in out
    assert "江门" not in out  # another city's plan is not inherited
    assert "001_7b4ff369ae545bff.txt" in out  # every row cites its plan file
