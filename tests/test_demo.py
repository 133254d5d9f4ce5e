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


# --------------------------------------------------------------------------- the plans' regions


def _counties(region: str) -> list[str]:
    from geo.divisions import counties_in

    return counties_in(region)["code"].tolist()


def _declared_units(path, region: str) -> set[str]:
    """The 社区/村 a village register's rows declare, resolved here without the project's
    matching: a 12-digit code, or the official name (or its 村/社区 short form) in the township."""
    from geo.divisions import townships_of
    from geo.villages import villages_of

    if path.suffix == ".csv":
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    else:
        table = pd.read_excel(path, dtype=str).fillna("")
    units = villages_of(_counties(region))
    towns = townships_of(_counties(region))
    town_code = dict(zip(towns["name"], towns["code"]))
    found = set()
    for rec in table.to_dict("records"):
        if rec["村级区划代码"]:
            found.add(rec["村级区划代码"])
            continue
        here = units[units["township_code"] == town_code[rec["所属乡镇"]]]
        short = (
            here["name"]
            .str.replace(r"(社区)?居委会$", "社区", regex=True)
            .str.replace(r"村委会$", "村", regex=True)
        )
        hit = here[(here["name"] == rec["所属社区/村"]) | (short == rec["所属社区/村"])]
        assert len(hit) == 1, rec
        found.add(hit["code"].iloc[0])
    return found


@pytest.mark.slow
def test_demo_on_zhushan_measures_every_target(bundle, tmp_path, capsys):
    from analysis.targets import reach_targets, targets_for_region
    from geo.plans import read_plan_targets
    from geo.settings import project_root

    out = tmp_path / "zs"
    assert main(["demo", "--region", "360203", "--out", str(out), "--basemap", "none"]) == 0
    text = capsys.readouterr().out
    assert "no street network" in text
    for name in ("coverage.xlsx", "coverage.csv", "townships.geojson", "coverage_map.html"):
        assert (out / name).is_file(), name
    sheets = pd.read_excel(out / "coverage.xlsx", sheet_name=None, dtype=str)
    for name in (
        "指标测算",
        "社区日间照料机构_覆盖率",
        "农村互助养老服务设施_覆盖率",
        "村级设施归属",
    ):
        assert name in sheets, name
    # every target of 珠山区 is listed, and all but the reach statements carry a figure
    cat = read_plan_targets()
    ids = set(targets_for_region(cat, region_code="360203").target_id) | set(
        reach_targets(cat, region_code="360203").target_id
    )
    measured = sheets["指标测算"]
    assert set(measured["指标编号"]) == ids
    reach = measured["统计单元"] == "15分钟服务圈"
    assert reach.sum() == 4  # national, 江西 and two 珠山 statements
    assert measured.loc[~reach, "已覆盖"].notna().all()
    assert measured.loc[reach, "已覆盖"].isna().all()
    assert measured["测算方法"].str.len().gt(0).all()
    # village coverage: 58 社区 and 13 村, covered = the units the registers declare
    table = _comparison(out)
    demo = project_root() / "data" / "demo"
    for layer, units, file in (
        ("day_care", 58, "珠山区_社区日间照料机构_示例.xlsx"),
        ("mutual_aid", 13, "珠山区_农村互助养老服务设施_示例.csv"),
    ):
        row = table[(table.scope == "county") & (table.layer == layer)].iloc[0]
        assert row.units == units
        assert row.covered == len(_declared_units(demo / file, "360203"))
    # 民政服务站 is measured per township on the real polygons
    station = table[(table.layer == "civil_station") & (table.unit_level == "township")]
    assert (station.units == 11).all() and set(station.target_id.dropna()) == {
        "zs-mzfwz-twp-2025-text"
    }


@pytest.mark.slow
@pytest.mark.parametrize(("region", "target"), [("4407", "jm-day-com-2025-text"), ("3212", None)])
def test_demo_on_the_plan_cities(bundle, tmp_path, region, target):
    from geo.villages import villages_of

    out = tmp_path / region
    assert main(["demo", "--region", region, "--out", str(out), "--basemap", "none"]) == 0
    table = _comparison(out)
    city = table[table.scope == "city"]
    kinds = villages_of(_counties(region))["kind"].value_counts()
    for layer, kind in (("day_care", "社区"), ("mutual_aid", "村")):
        rows = city[city.layer == layer]
        if len(rows):
            assert (rows.units == kinds[kind]).all()
    if target:
        row = city[city.target_id == target].iloc[0]
        assert row.status == ("达标" if row.covered * 100 >= 90 * row.units else "未达标")


def test_demo_on_zhushan_without_bundle(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SERVICE_DATA_DIR", raising=False)
    out = tmp_path / "zs"
    assert main(["demo", "--region", "360203", "--out", str(out), "--basemap", "none"]) == 0
    table = _comparison(out)
    row = table[(table.scope == "county") & (table.layer == "mutual_aid")].iloc[0]
    assert row.units == 13 and row.covered > 0  # village registers need no polygons
