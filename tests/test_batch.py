"""Partitioned runs (servicecircle.batch): county pieces with a halo on a real Dask cluster.

The fixture is drawn by hand: two counties side by side (a border at 115.02 °E), one street
grid across both with links over the border, a separate street island without a facility,
a home too far from any street, and a facility just across the border from a home.
"""

from __future__ import annotations

import os
import signal

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from servicecircle import batch
from servicecircle.batch import partition, runner, task
from servicecircle.workflows import Region

WGS84 = "EPSG:4326"
BORDER = 115.02
MINUTES, SNAP = 5.0, 100.0  # 300 m walks, 100 m access: pieces are a fraction of the grid


def _haversine(lon1, lat1, lon2, lat2):
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))


def _grid(lon0, lat0, nx, ny, step, first_id):
    lon, lat = np.meshgrid(lon0 + step * np.arange(nx), lat0 + step * np.arange(ny))
    lon, lat = lon.ravel(), lat.ravel()
    idx = np.arange(nx * ny).reshape(ny, nx)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    return first_id + np.arange(nx * ny), lon, lat, u, v


def street_table():
    """A 41 × 16 grid (0.001° ≈ 100 m) over both counties, and a 4 × 2 island in county B."""
    from geo.network import StreetTable

    ids1, lon1, lat1, u1, v1 = _grid(115.0, 28.0, 41, 16, 0.001, 1)
    ids2, lon2, lat2, u2, v2 = _grid(115.035, 28.0185, 4, 2, 0.001, 10_000)
    lon, lat = np.r_[lon1, lon2], np.r_[lat1, lat2]
    u, v = np.r_[u1, u2 + len(ids1)], np.r_[v1, v2 + len(ids1)]
    return StreetTable(
        node_id=np.r_[ids1, ids2].astype(np.int64),
        lon=lon,
        lat=lat,
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        length_m=_haversine(lon[u], lat[u], lon[v], lat[v]),
    )


def region() -> Region:
    a = shapely.box(115.0 - 0.0005, 28.0 - 0.0005, BORDER, 28.02)
    b = shapely.box(BORDER, 28.0 - 0.0005, 115.04 + 0.0005, 28.02)
    counties = pd.DataFrame(
        {
            "code": ["369901", "369902"],
            "name": ["甲县", "乙县"],
            "city_code": "3699",
            "city_name": "测试市",
            "province_code": "36",
            "province_name": "江西省",
        }
    )
    polys = gpd.GeoDataFrame(
        {"code": counties["code"], "name": counties["name"]}, geometry=[a, b], crs=WGS84
    )
    halves = []
    for code, poly in zip(counties["code"], (a, b)):
        x0, y0, x1, y1 = poly.bounds
        halves += [
            (code + "001", code, shapely.box(x0, y0, x1, 28.008)),
            (code + "002", code, shapely.box(x0, 28.008, x1, y1)),
        ]
    towns = gpd.GeoDataFrame(
        {
            "code": [h[0] for h in halves],
            "name": [f"{h[0][-3:]}镇" for h in halves],
            "county_code": [h[1] for h in halves],
            "approximate": False,
        },
        geometry=[h[2] for h in halves],
        crs=WGS84,
    )
    return Region("3699", counties, polys, towns, "test polygons")


def facilities() -> gpd.GeoDataFrame:
    pts = [(115.0215, 28.0102), (115.003, 28.0031), (115.036, 28.0141)]
    return gpd.GeoDataFrame(
        {"facility_id": ["f_border_B", "f_west_A", "f_east_B"], "name": ["边", "西", "东"]},
        geometry=gpd.points_from_xy(*zip(*pts)),
        crs=WGS84,
    )


def demand(n: int = 80) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(7)
    lon = rng.uniform(115.0, 115.04, n)
    lat = rng.uniform(28.0, 28.015, n)
    special = [
        (115.0195, 28.0102),  # home in A, 150 m from the facility across the border
        (115.010, 28.0195),  # 450 m from any street: off the network
        (115.0365, 28.0190),  # on the island: a street, but no facility on its piece
    ]
    lon = np.r_[[s[0] for s in special], lon]
    lat = np.r_[[s[1] for s in special], lat]
    return gpd.GeoDataFrame(
        {
            "demand_id": [f"d{i}" for i in range(len(lon))],
            "weight": rng.integers(1, 50, len(lon)).astype(float),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=WGS84,
    )


def whole_region(table, fac, dem, *, minutes=MINUTES, speed=1.0) -> pd.Series:
    """The unpartitioned engine over the whole street table: minutes per home."""
    from analysis import reach

    arrays = reach.arrays_from_street_table(table, crs="EPSG:32650")
    fs = reach.snap_points(arrays, fac.reset_index(drop=True), max_distance_m=SNAP)
    ds = reach.snap_points(arrays, dem.reset_index(drop=True), max_distance_m=SNAP)
    times = reach.nearest_facility(arrays, fs, walk_speed_m_s=speed)
    m = reach.demand_times(arrays, times, ds, fs, walk_speed_m_s=speed)["minutes"]
    return pd.Series(m.to_numpy(), index=dem["demand_id"].to_numpy())


@pytest.fixture(scope="module")
def client():
    """A real LocalCluster of 2 worker processes on loopback, closed after the module."""
    with runner.dask_client(workers=2, memory_limit="1GiB") as c:
        yield c


def _run(tmp_path, client, **kw):
    table = street_table()
    tmp_path.mkdir(parents=True, exist_ok=True)
    kw.setdefault("minutes", MINUTES)
    return batch.batch_reach(
        region=region(),
        facilities=kw.pop("facilities", facilities()),
        demand=kw.pop("demand", demand()),
        streets=_streets_file(tmp_path),
        out_dir=kw.pop("out_dir", tmp_path / "out"),
        cache_dir=tmp_path / "cache",
        speeds=(1.0,),
        snap_max_m=SNAP,
        client=client,
        street_table=table,
        **kw,
    )


def _streets_file(tmp_path):
    # the cache key of the street table comes from this file; its contents stand for a pbf
    p = tmp_path / "streets.osm.pbf"
    if not p.exists():
        p.write_bytes(b"fixture")
    return p


def test_halo_keeps_pieces_partial_on_the_fixture():
    table, reg = street_table(), region()
    halo = partition.halo_for(minutes=MINUTES, speeds_m_s=[1.0], access_m=SNAP)
    assert (halo.reach_m, halo.access_m, halo.nodes_m) == (300.0, 100.0, 600.0)
    a = partition.county_node_mask(table, reg.county_polygons.geometry[0], halo)
    # county A's piece: nodes up to 600 m past the border (column 26 is 590 m east of it at
    # 28 °N), plus the far ends of their segments (column 27); not the rest of county B
    cols = np.unique(np.round((table.lon[a] - 115.0) / 0.001).astype(int))
    assert cols.max() == 27 and 0 < a.sum() < len(table.lon)


def test_partitioned_equals_whole_region(tmp_path, client):
    run = _run(tmp_path, client)
    assert run.outcome.ok and sorted(run.outcome.done) == ["369901", "369902"]
    expected = whole_region(street_table(), facilities(), demand())
    got = run.demand.set_index("demand_id")["minutes"].reindex(expected.index)
    within = expected <= MINUTES + 1e-9
    # every home reached in the whole-region run is reached in the same minutes, and only those
    assert (
        (run.demand.set_index("demand_id")["status"].reindex(expected.index) == "reached")
        .eq(within)
        .all()
    )
    np.testing.assert_allclose(
        got[within].to_numpy(), expected[within].to_numpy(), rtol=0, atol=1e-9
    )
    assert expected.isna().eq(got.isna()).all()  # the same homes are off the network
    border = run.demand.set_index("demand_id").loc["d0"]
    assert border["county_code"] == "369901" and border["facility_id"] == "f_border_B"
    assert border["minutes"] == pytest.approx(expected["d0"], abs=1e-9)
    assert run.demand.set_index("demand_id").loc["d1", "status"] == "off_network"
    assert run.demand.set_index("demand_id").loc["d2", "status"] == "unreached"


def test_without_the_halo_the_border_home_is_lost(tmp_path):
    """The halo is what makes it exact: cut at the border, the home across it is unreached."""
    table, reg = street_table(), region()
    mask = shapely.contains_xy(reg.county_polygons.geometry[0], table.lon, table.lat)
    piece = tmp_path / "a.parquet"
    table.subset(mask).to_parquet(piece)
    dem = batch.place_demand(demand(), reg)
    own = dem[dem["county_code"] == "369901"]
    fac = facilities()
    t = task.CountyTask(
        code="369901",
        name="甲县",
        piece=piece,
        search_cache=tmp_path / "a.npz",
        result=tmp_path / "a_out.parquet",
        facilities=pd.DataFrame(
            {"facility_id": fac["facility_id"], "lon": fac.geometry.x, "lat": fac.geometry.y}
        ),
        demand=pd.DataFrame(
            {
                "demand_id": own["demand_id"],
                "township_code": own["township_code"],
                "weight": own["weight"],
                "lon": own.geometry.x,
                "lat": own.geometry.y,
            }
        ),
        minutes=MINUTES,
        walk_speed_m_s=1.0,
        reach_m=300.0,
        snap_max_m=SNAP,
    )
    task.run_county(t)
    out = pd.read_parquet(t.result).set_index("demand_id")
    assert out.loc["d0", "status"] == "unreached"


def test_weights_add_up_and_duckdb_reads_the_dataset(tmp_path, client):
    run = _run(tmp_path, client)
    out = tmp_path / "out"
    con = duckdb.connect()
    per_county = con.execute(
        f"""
        select d.county_code, sum(d.weight) as total,
               sum(d.weight) filter (where status = 'reached') as reached,
               sum(d.weight) filter (where status = 'unreached') as unreached,
               sum(d.weight) filter (where status = 'off_network') as off
        from '{out / "demand.parquet"}' d group by 1 order by 1
        """
    ).df()
    assert per_county["county_code"].tolist() == ["369901", "369902"]
    np.testing.assert_allclose(
        per_county[["reached", "unreached", "off"]].fillna(0).sum(axis=1), per_county["total"]
    )
    counties = con.execute(f"select * from '{out / 'counties.parquet'}' order by county_code").df()
    np.testing.assert_allclose(counties["demand_weight"], per_county["total"])
    np.testing.assert_allclose(
        counties["reached_weight"] + counties["unreached_weight"] + counties["off_network_weight"],
        counties["demand_weight"],
    )
    assert counties["share"].between(0, 1).all()
    towns = con.execute(f"select * from '{out / 'townships.parquet'}'").df()
    assert set(towns["township_code"]) == set(region().townships["code"])
    np.testing.assert_allclose(towns["demand_weight"].sum(), demand()["weight"].sum())
    roll = con.execute(f"select * from '{out / 'rollup.parquet'}' where scope = 'province'").df()
    assert roll["name"].tolist() == ["江西省"]
    assert roll["share"].iloc[0] == pytest.approx(
        run.demand.loc[run.demand.status == "reached", "weight"].sum() / demand()["weight"].sum()
    )


def test_resume_skips_done_counties_and_a_failing_county_is_reported(tmp_path, client):
    first = _run(tmp_path, client)
    again = _run(tmp_path, client, resume=True)
    assert sorted(again.outcome.skipped) == ["369901", "369902"] and not again.outcome.done
    pd.testing.assert_frame_equal(first.demand, again.demand)
    # a changed input is not "done": county B's result is for other facilities now
    more = pd.concat([facilities(), facilities().iloc[[2]].assign(facility_id="f_new")])
    third = _run(tmp_path, client, resume=True, facilities=more)
    assert "369902" in third.outcome.done
    # a broken piece: the county is retried, then reported by name; the other completes
    broken = next(t for t in third.tasks if t.code == "369901")
    broken.piece.write_bytes(b"not parquet")
    broken.search_cache.unlink()
    fourth = _run(tmp_path, client, minutes=4.0)
    assert fourth.outcome.done == ("369902",)
    assert fourth.outcome.failed[["code", "name"]].values.tolist() == [["369901", "甲县"]]
    assert fourth.outcome.failed["error"].iloc[0]


def _slow_county(t):
    import time

    time.sleep(0.4)
    return task.run_county(t)


def test_a_worker_killed_mid_run_loses_nothing(tmp_path, client):
    import sys

    import cloudpickle

    # the workers cannot import this test module: its functions travel by value
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    reference = _run(tmp_path / "ref", client)
    pids = client.run(os.getpid)
    killed = []

    def kill_one(summary):
        # the first county is done; kill the worker still busy with the other one
        if not killed:
            busy = [w for w, keys in client.processing().items() if keys]
            victim = busy[0] if busy else next(iter(pids))
            os.kill(pids[victim], signal.SIGKILL)
            killed.append(victim)

    run = _run(tmp_path / "killed", client, task_fn=_slow_county, on_done=kill_one)
    assert killed and run.outcome.ok and sorted(run.outcome.done) == ["369901", "369902"]
    pd.testing.assert_frame_equal(
        run.demand.sort_values("demand_id").reset_index(drop=True),
        reference.demand.sort_values("demand_id").reset_index(drop=True),
    )


def test_warm_recompute_reuses_the_cached_graph_and_equals_a_cold_run(tmp_path, client):
    first = _run(tmp_path / "a", client)
    assert not any(s["warm"] for s in first.outcome.summaries)
    warm = _run(tmp_path / "a", client, minutes=3.0)  # other minutes: same pieces, graphs, snaps
    # within the last search's radius: the answer is the last distances, cut at 180 m
    assert all(s["warm"] and s["derived"] for s in warm.outcome.summaries)
    cold = _run(tmp_path / "b", client, minutes=3.0)
    pd.testing.assert_frame_equal(warm.demand, cold.demand)
    # beyond the last search (180 m) but within the pieces' halo: searched again, not compiled
    again = _run(tmp_path / "a", client, minutes=4.0)
    assert all(s["warm"] and not s["derived"] for s in again.outcome.summaries)
    pd.testing.assert_frame_equal(again.demand, _run(tmp_path / "c", client, minutes=4.0).demand)
    # fewer minutes never reach more homes
    assert (warm.counties["reached_weight"] <= first.counties["reached_weight"]).all()
    # on its own (no client given), a warm run is answered in this process: see below
    own = _run(tmp_path / "a", None, minutes=3.0)
    assert own.cluster == "driver" and all(s["warm"] for s in own.outcome.summaries)
    pd.testing.assert_frame_equal(own.demand, cold.demand)
    # a wider budget than the pieces were cut for cuts new pieces (the halo must cover it)
    wider = _run(tmp_path / "a", client, minutes=8.0)
    assert {t.piece.parent.name for t in wider.tasks} == {"r480-a100"}


def test_a_warm_run_starts_no_dask_client_and_equals_a_cold_one(tmp_path, client, monkeypatch):
    first = _run(tmp_path / "a", client)
    cold = _run(tmp_path / "b", client, minutes=3.0)

    def no_cluster(**kw):
        raise RuntimeError("a warm run must not start a Dask client")

    monkeypatch.setattr(runner, "dask_client", no_cluster)
    for minutes, derived in ((3.0, True), (4.0, False)):
        warm = _run(tmp_path / "a", None, minutes=minutes)
        assert warm.cluster == "driver" and warm.outcome.where == "driver" and warm.outcome.ok
        assert all(s["warm"] and s["derived"] is derived for s in warm.outcome.summaries)
    warm = _run(tmp_path / "a", None, minutes=3.0)
    pd.testing.assert_frame_equal(warm.demand, cold.demand)
    pd.testing.assert_frame_equal(warm.townships, cold.townships)
    pd.testing.assert_frame_equal(warm.rollup, cold.rollup)
    # the homes were placed once: the warm runs read the cached placement
    assert len(list((tmp_path / "a" / "cache" / "placement").glob("*.parquet"))) == 1
    # resume in the driver: nothing to do; a broken county is reported by name
    again = _run(tmp_path / "a", None, minutes=3.0, resume=True)
    assert sorted(again.outcome.skipped) == ["369901", "369902"] and not again.outcome.done
    assert first.outcome.ok

    def failing(t):
        if t.code == "369902":
            raise ValueError("乙县的输入坏了")
        return task.run_county(t)

    bad = _run(tmp_path / "a", None, minutes=3.5, task_fn=failing)
    assert bad.cluster == "driver" and bad.outcome.done == ("369901",)
    assert bad.outcome.failed[["code", "name"]].values.tolist() == [["369902", "乙县"]]
    assert "乙县的输入坏了" in bad.outcome.failed["error"].iloc[0]


def test_the_province_map_links_each_county_to_its_township_map(tmp_path, client):
    from servicecircle.batch import report

    run = _run(tmp_path, client)
    reg = region()
    towns = reg.townships.copy()
    towns.loc[towns["county_code"] == "369902", "geometry"] = None  # 乙县: no township polygons
    fac = facilities().assign(layer="elderly_care")
    (tmp_path / "maps").mkdir()
    path = report.county_map(
        run, reg.county_polygons, fac, tmp_path / "maps" / "reach_counties_map.html",
        layer="elderly_care", title="测试 5分钟养老服务圈", basemap="none",
        sources=("测试数据",), townships=towns,
    )  # fmt: skip
    province = path.read_text(encoding="utf-8")
    folder = tmp_path / "maps" / report.COUNTY_MAPS
    assert sorted(p.name for p in folder.glob("*.html")) == ["369901.html"]
    assert "counties_maps/369901.html" in province and "counties_maps/369902.html" not in province
    assert "本区县没有乡镇（街道）边界面" in province
    county = (folder / "369901.html").read_text(encoding="utf-8")
    assert "© OpenStreetMap contributors (ODbL)" in county and "甲县 · 测试" in county
    figs = run.townships.set_index("township_code")
    for code in ("369901001", "369901002"):
        share = figs.loc[code, "share"]
        text = "—" if pd.isna(share) else f"{share:.1%}"
        assert f"{figs.loc[code, 'name']} · {text}" in county  # tooltip: name · share
    assert "369902001" not in county  # only the county's own townships
    # the border facility sits in 乙县: not on 甲县's map; 甲县's own one is
    assert "f_west_A" in county and "f_border_B" not in county
