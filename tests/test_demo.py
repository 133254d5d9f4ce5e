"""`servicecircle demo` end to end: with the bundle everything, without it what still runs."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from servicecircle.cli import main


def _comparison(out):
    return pd.read_csv(out / "coverage.csv", encoding="utf-8-sig", dtype={"code": str})


def test_demo_without_bundle_says_what_is_missing_and_still_measures(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SERVICE_DATA_DIR", raising=False)
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--basemap", "none"]) == 0
    err = capsys.readouterr().err
    assert "roads/wuhan_osm_drive_edges.parquet" in err
    assert "Still runs" in err and "Skipped" in err
    assert not (out / "reach.xlsx").exists()
    table = _comparison(out)
    row = table[
        (table.scope == "county")
        & (table.layer == "elderly_care")
        & (table.unit_level == "township")
    ].iloc[0]
    assert row.units == 17  # 江岸区's official township-level units


@pytest.mark.slow
def test_full_demo_on_wuhan(bundle, tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--basemap", "none"]) == 0
    text = capsys.readouterr().out
    for name in (
        "coverage.xlsx",
        "coverage.csv",
        "townships.geojson",
        "facilities.geojson",
        "coverage_map.html",
        "coverage_map.png",
        "reach.xlsx",
        "service_areas.geojson",
        "siting.xlsx",
        "siting_sites.geojson",
        "servicecircle.duckdb",
    ):
        assert (out / name).is_file(), name
    table = _comparison(out)
    fac = gpd.read_file(out / "facilities.geojson")
    for layer in ("elderly_care", "social_work", "minor_protection"):
        row = table[
            (table.scope == "county") & (table.layer == layer) & (table.unit_level == "township")
        ].iloc[0]
        codes = set(fac.loc[(fac.layer == layer) & fac.township_code.notna(), "township_code"]) - {
            ""
        }
        assert row.units == 17
        assert row.covered == len(codes)  # covered = distinct townships holding a facility
    # the committed registers have one nameless row and six cemeteries outside 江岸区
    assert "8 findings (7 rows rejected)" in text
    assert "held to every plan the region inherits" in text
    # the k = 5 siting run chose five sites
    sites = gpd.read_file(out / "siting_sites.geojson")
    assert len(sites) == 5


@pytest.mark.slow
def test_demo_held_to_jiangxi(bundle, tmp_path):
    out = tmp_path / "jx"
    assert (
        main(
            [
                "demo",
                "--out",
                str(out),
                "--basemap",
                "none",
                "--plan",
                "jiangxi",
                "--skip-reach",
                "--skip-siting",
            ]
        )
        == 0
    )
    table = _comparison(out)
    held = table[table["target_pct"].notna()]
    assert set(held["plan_name"]) == {"《江西省民政事业发展“十四五”规划》"}
    elderly = held[
        (held.scope == "county") & (held.layer == "elderly_care") & (held.unit_level == "township")
    ]
    assert {60.0, 80.0} <= set(elderly["target_pct"])
    eighty = elderly[elderly["target_pct"] == 80.0].iloc[0]
    assert eighty.status == ("达标" if eighty.covered * 100 >= 80 * eighty.units else "未达标")
