"""The 15-minute reach engine (analysis/reach.py) on a drawn toy network and against networkx."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import Delaunay
from shapely import LineString, Point

from analysis.reach import (
    arrays_from_edges,
    arrays_from_graph,
    buffer_areas,
    coverage_matrix,
    demand_times,
    nearest_facility,
    reach_by_group,
    reach_from_point,
    reach_status,
    service_areas,
    snap_points,
    union_service_area,
)
from geo._errors import InputError
from geo.network import graph_from_edges

UTM50 = "EPSG:32650"
X0, Y0 = 230_000.0, 3_380_000.0

# The toy network, metres from A = (0, 0); walked at 1.0 m/s a metre is a second.
#   A-G  500 m west                 G at 500 m
#   A-B  900 m east                 B at 900 m (exactly 15 min)
#   A-C  880 m, an L: south 440 then east 440 (C is only 622 m from A as the crow flies)
#   C-D   70 m north                D at 950 m
#   B-E  100 m east                 E at 1000 m
TOY = {
    "A-G": [(0, 0), (-500, 0)],
    "A-B": [(0, 0), (900, 0)],
    "A-C": [(0, 0), (0, -440), (440, -440)],
    "C-D": [(440, -440), (440, -370)],
    "B-E": [(900, 0), (1000, 0)],
}
NODE_XY = {
    "A": (0, 0),
    "G": (-500, 0),
    "B": (900, 0),
    "C": (440, -440),
    "D": (440, -370),
    "E": (1000, 0),
}


def _pts(*xy: tuple[float, float], index: list | None = None) -> gpd.GeoSeries:
    return gpd.GeoSeries([Point(X0 + x, Y0 + y) for x, y in xy], index=index, crs=UTM50)


@pytest.fixture(scope="module")
def toy():
    lines = [LineString([(X0 + x, Y0 + y) for x, y in c]) for c in TOY.values()]
    G = graph_from_edges(gpd.GeoDataFrame({"name": list(TOY)}, geometry=lines, crs=UTM50))
    arrays = arrays_from_graph(G)
    where = {
        (round(x - X0, 6), round(y - Y0, 6)): i
        for i, (x, y) in enumerate(zip(arrays.x, arrays.y, strict=True))
    }
    names = {name: where[xy] for name, xy in NODE_XY.items()}
    return arrays, names


def _reached(arrays, names, node_times, budget_s):
    return {n for n, i in names.items() if node_times.time_s[i] <= budget_s}


def test_reachable_sets_at_14_15_16_minutes_from_a_facility_at_a_node(toy):
    arrays, names = toy
    snaps = snap_points(arrays, _pts((0, 0)))
    nt = nearest_facility(arrays, snaps, walk_speed_m_s=1.0)
    assert _reached(arrays, names, nt, 14 * 60) == {"A", "G"}
    assert _reached(arrays, names, nt, 15 * 60) == {"A", "G", "B", "C"}
    assert _reached(arrays, names, nt, 16 * 60) == {"A", "G", "B", "C", "D"}
    assert nt.time_s[names["C"]] == pytest.approx(880.0)
    assert nt.time_s[names["E"]] == pytest.approx(1000.0)
    # the search limit makes nodes past it unreached, with no facility
    limited = nearest_facility(arrays, snaps, walk_speed_m_s=1.0, limit_s=900)
    assert np.isinf(limited.time_s[names["D"]]) and limited.facility[names["D"]] == -1
    assert limited.time_s[names["B"]] == pytest.approx(900.0)  # exactly on the budget: reached
    # a slower walker: 900 m at 0.9 m/s is 1000 s
    slow = nearest_facility(arrays, snaps, walk_speed_m_s=0.9)
    assert slow.time_s[names["B"]] == pytest.approx(1000.0)


def test_mid_edge_facility_walks_both_ways_and_includes_its_access(toy):
    arrays, names = toy
    # 10 m north of the A-B street, half-way along it
    snaps = snap_points(arrays, _pts((450, 10), index=["centre"]))
    assert snaps.loc["centre", "offset_m"] in (pytest.approx(450.0),)
    assert snaps.loc["centre", "access_m"] == pytest.approx(10.0)
    nt = nearest_facility(arrays, snaps, walk_speed_m_s=1.0)
    assert nt.time_s[names["A"]] == pytest.approx(460.0)
    assert nt.time_s[names["B"]] == pytest.approx(460.0)
    assert nt.time_s[names["G"]] == pytest.approx(960.0)
    assert _reached(arrays, names, nt, 15 * 60) == {"A", "B", "E"}
    assert _reached(arrays, names, nt, 16 * 60) == {"A", "B", "E", "G"}
    assert set(nt.facility) == {"centre"}


def test_demand_on_the_facility_edge_gets_the_direct_walk(toy):
    arrays, names = toy
    fac = snap_points(arrays, _pts((450, 10), (-400, 0), index=["centre", "west"]))
    demand = _pts((600, -5), (440, -400), (0, -200), index=["on-edge", "by-D", "south"])
    ds = snap_points(arrays, demand)
    nt = nearest_facility(arrays, fac, walk_speed_m_s=1.0)
    out = demand_times(arrays, nt, ds, fac, walk_speed_m_s=1.0)
    assert list(out.index) == ["on-edge", "by-D", "south"]
    # 150 m along the street + 10 m + 5 m access, not via B (460 + 300 + 5)
    assert out.loc["on-edge", "minutes"] == pytest.approx(165 / 60)
    assert out.loc["on-edge", "facility"] == "centre"
    # on C-D 40 m above C: west facility to A (400) + A-C (880) + 40 = 1320 s
    assert out.loc["by-D", "minutes"] == pytest.approx(1320 / 60)
    assert out.loc["by-D", "facility"] == "west"
    # 200 m down A-C: the west facility is 400 m from A, the centre one 460 m
    assert out.loc["south", "minutes"] == pytest.approx(600 / 60)
    assert out.loc["south", "facility"] == "west"


def test_off_network_points_stay_in_the_denominator(toy):
    # was "unsnapped points are reported, not counted": that dropped them from the share (the
    # bug of issue 10); an off-network home now counts as not reached
    arrays, _ = toy
    fac = snap_points(arrays, _pts((0, 0)))
    demand = _pts((100, 0), (100, 5000), (-100, 0), index=[1, 2, 3])
    ds = snap_points(arrays, demand, max_distance_m=300)
    assert ds["snapped"].tolist() == [True, False, True]
    assert ds.loc[2, "edge"] == -1 and np.isnan(ds.loc[2, "access_m"])
    assert snap_points(arrays, demand, max_distance_m=6000).loc[2, "access_m"] == pytest.approx(
        5000.0
    )
    out = demand_times(arrays, nearest_facility(arrays, fac), ds, fac)
    assert np.isnan(out.loc[2, "minutes"]) and out.loc[2, "facility"] == -1
    table = reach_by_group(
        out["minutes"], budget_min=15, groups=pd.Series(["x", "x", "x"], index=[1, 2, 3])
    )
    assert table.loc["x", "points"] == 3
    assert table.loc["x", "points_reached"] == 2
    assert table.loc["x", "points_off_network"] == 1
    assert table.loc["x", "share_points"] == pytest.approx(2 / 3)
    # a huge budget never counts it either
    matrix = coverage_matrix(arrays, fac, ds, minutes=1e6)
    assert matrix.toarray().tolist() == [[True, False, True]]


def test_reach_by_group_by_hand():
    minutes = pd.Series([5.0, 15.0, 15.5, np.nan, np.inf, 2.0], index=list("abcdef"))
    groups = pd.Series(
        ["江岸", "江岸", "江岸", "江岸", "武昌", "武昌"], index=minutes.index, name="township"
    )
    weights = pd.Series([10, 20, 30, 40, 50, 60], index=minutes.index)
    t = reach_by_group(minutes, budget_min=15, weights=weights, groups=groups)
    assert t.index.name == "township"
    # 江岸: a 5 min and a 15 min walk reached, 15.5 min not, one home off the network (NaN)
    assert t.loc["江岸"].to_dict() == {
        "points": 4,
        "points_reached": 2,
        "points_unreached": 1,
        "points_off_network": 1,
        "share_points": pytest.approx(2 / 4),
        "weight": 100.0,
        "weight_reached": 30.0,
        "weight_unreached": 30.0,
        "weight_off_network": 40.0,
        "share_weight": pytest.approx(30 / 100),
    }
    assert t.loc["武昌", "share_weight"] == pytest.approx(60 / 110)
    assert t.loc["武昌", "points_unreached"] == 1  # inf: no facility on its piece
    assert reach_status(minutes, budget_min=15).tolist() == [
        "reached",
        "reached",
        "unreached",
        "off_network",
        "unreached",
        "reached",
    ]
    with pytest.raises(InputError, match=r"rows \['b'\].*-1"):
        reach_by_group(
            minutes, budget_min=15, weights=weights.where(weights != 20, -1), groups=groups
        )
    with pytest.raises(InputError, match="not aligned"):
        reach_by_group(minutes, budget_min=15, groups=groups.reset_index(drop=True))


def test_service_area_street_length_by_hand(toy):
    arrays, _ = toy
    fac = snap_points(arrays, _pts((0, 0), index=["A"]))
    nt = nearest_facility(arrays, fac, limit_s=900)
    lines = service_areas(arrays, nt, fac, budget_s=900, buffer_m=0)
    # A-G 500 + A-B 900 + A-C 880 + 20 m of C-D (nothing of B-E: 0 s left at B)
    assert lines.loc["A", "street_m"] == pytest.approx(2300.0)
    assert lines.loc["A", "method"] == "network"
    bands = service_areas(arrays, nt, fac, budget_s=900, buffer_m=50)
    assert bands.crs == arrays.crs
    assert bands.geometry.iloc[0].geom_type in {"Polygon", "MultiPolygon"}
    assert bands.geometry.iloc[0].contains(Point(X0 + 440, Y0 - 400))  # 20 m up C-D, +buffer
    assert not bands.geometry.iloc[0].contains(Point(X0 + 440, Y0 - 300))
    circles = buffer_areas(_pts((0, 0), index=["A"]), radius_m=900)
    assert circles.loc["A", "method"] == "straight-line"
    assert circles.area.iloc[0] == pytest.approx(np.pi * 900**2, rel=0.01)
    with pytest.raises(InputError, match="limit_s >= budget_s"):
        service_areas(arrays, nearest_facility(arrays, fac, limit_s=600), fac, budget_s=900)


def test_service_areas_split_between_facilities_and_union(toy):
    arrays, _ = toy
    fac = snap_points(
        arrays, _pts((450, 10), (-400, 0), (99_000, 0), index=["centre", "west", "far"])
    )
    nt = nearest_facility(arrays, fac, limit_s=600)
    areas = service_areas(arrays, nt, fac, budget_s=600, buffer_m=0)
    assert list(areas.index) == ["centre", "west", "far"]
    assert areas.loc["far", "geometry"].is_empty and areas.loc["far", "street_m"] == 0
    # west (offset 400 on A-G, access 0): its own street A-G whole (500); from A with
    # 200 s left: 200 m of A-B and 200 m of A-C  -> 900 m
    assert areas.loc["west", "street_m"] == pytest.approx(900.0)
    # centre (450 on A-B, access 10): its own street directly (590 m each way covers all
    # 900 m) and from B with 140 s left the whole of B-E (100)  -> 1000 m
    assert areas.loc["centre", "street_m"] == pytest.approx(1000.0)
    # union: A-G 500 + A-B 900 + B-E 100 + A-C 200
    assert union_service_area(areas).length == pytest.approx(1700.0, abs=1e-6)


def test_coverage_never_falls_as_minutes_grow_and_a_long_budget_covers_all(toy):
    arrays, _ = toy
    rng = np.random.default_rng(7)
    xy = rng.uniform([-500, -440], [1000, 0], size=(40, 2))
    ds = snap_points(arrays, _pts(*map(tuple, xy)), max_distance_m=1e4)
    cands = snap_points(arrays, _pts((0, 0), (450, 10), (440, -400)))
    previous = None
    for minutes in np.arange(0, 40, 0.5):
        m = coverage_matrix(arrays, cands, ds, minutes=float(minutes)).toarray()
        if previous is not None:
            assert (m >= previous).all()
        previous = m
    assert previous.all()  # 40 min at 1 m/s = 2.4 km > any path here
    fac = snap_points(arrays, _pts((0, 0)))
    out = demand_times(arrays, nearest_facility(arrays, fac), ds, fac)
    shares = [
        reach_by_group(out["minutes"], budget_min=b, groups=pd.Series(0, index=out.index)).loc[
            0, "share_points"
        ]
        for b in range(0, 45, 3)
    ]
    assert shares == sorted(shares) and shares[-1] == 1.0 and shares[0] < 1.0


def test_reach_from_point_equals_the_full_search(toy):
    arrays, names = toy
    demand = _pts((600, -5), (440, -400), (-450, 3), (950, 0))
    ds = snap_points(arrays, demand)
    for xy in [(0, 0), (450, 10), (440, -420)]:
        snap = snap_points(arrays, _pts(xy))
        full = nearest_facility(arrays, snap, limit_s=600)
        local = reach_from_point(arrays, snap, minutes=10, demand_snaps=ds)
        expect = np.flatnonzero(np.isfinite(full.time_s))
        assert sorted(local.nodes.tolist()) == expect.tolist()
        assert np.allclose(local.time_s[np.argsort(local.nodes)], full.time_s[expect])
        row = coverage_matrix(arrays, snap, ds, minutes=10).toarray()[0]
        assert local.demand_reached.tolist() == row.tolist()


def test_input_errors(toy):
    arrays, _ = toy
    snaps = snap_points(arrays, _pts((0, 0)))
    with pytest.raises(InputError, match="walk_speed_m_s must be a positive.*got 0"):
        nearest_facility(arrays, snaps, walk_speed_m_s=0)
    with pytest.raises(InputError, match="points have no CRS"):
        snap_points(arrays, gpd.GeoSeries([Point(0, 0)]))
    with pytest.raises(InputError, match=r"rows \[0\] are not points.*representative_point"):
        snap_points(arrays, gpd.GeoSeries([LineString([(X0, Y0), (X0 + 1, Y0)])], crs=UTM50))
    with pytest.raises(InputError, match="returned by snap_points"):
        nearest_facility(arrays, pd.DataFrame({"edge": [0]}))
    nt = nearest_facility(arrays, snaps, walk_speed_m_s=1.0)
    with pytest.raises(InputError, match="differs from the 1.0 m/s"):
        demand_times(arrays, nt, snaps, snaps, walk_speed_m_s=0.8)
    G = nx.MultiGraph(crs="EPSG:4326")
    G.add_edge(1, 2, length=1.0)
    with pytest.raises(InputError, match="geographic"):
        arrays_from_graph(G)


def test_points_in_wgs84_are_projected_before_snapping(toy):
    arrays, _ = toy
    utm = _pts((450, 10))
    snaps = snap_points(arrays, utm.to_crs("EPSG:4326"))
    assert snaps["offset_m"].iloc[0] == pytest.approx(450.0, abs=1e-3)
    assert snaps["access_m"].iloc[0] == pytest.approx(10.0, abs=1e-3)


# ------------------------------------------------------------------------------------------
# against networkx
# ------------------------------------------------------------------------------------------
def _random_network(seed: int, n: int = 300) -> tuple[nx.MultiGraph, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 3000, size=(n, 2))
    tri = Delaunay(xy)
    pairs = {
        tuple(sorted((s[i], s[j]))) for s in tri.simplices for i, j in ((0, 1), (1, 2), (0, 2))
    }
    # drop a third of the links so paths wind, and bend some streets
    pairs = [p for p in sorted(pairs) if rng.random() > 0.33]
    lines = []
    for a, b in pairs:
        mid = (xy[a] + xy[b]) / 2 + rng.normal(0, 40, 2) * (rng.random() < 0.5)
        lines.append(LineString([xy[a] + (X0, Y0), mid + (X0, Y0), xy[b] + (X0, Y0)]))
    G = graph_from_edges(gpd.GeoDataFrame(geometry=lines, crs=UTM50))
    return G, xy


def _node_points(arrays, nodes) -> gpd.GeoSeries:
    return gpd.GeoSeries(gpd.points_from_xy(arrays.x[nodes], arrays.y[nodes]), crs=arrays.crs)


def _compare_with_networkx(
    G: nx.MultiGraph, *, seed: int, n_sources: int, n_cands: int, minutes: float
):
    arrays = arrays_from_graph(G)
    rng = np.random.default_rng(seed)
    speed = 0.8
    src = rng.choice(arrays.n_nodes, n_sources, replace=False)
    fac = snap_points(arrays, _node_points(arrays, src))
    assert np.allclose(fac["access_m"], 0)
    nt = nearest_facility(arrays, fac, walk_speed_m_s=speed)
    ref = nx.multi_source_dijkstra_path_length(
        G, set(arrays.node_ids[src].tolist()), weight="length"
    )
    expect = np.array([ref.get(n, np.inf) for n in arrays.node_ids]) / speed
    assert np.allclose(nt.time_s, expect, atol=1e-6, rtol=0)

    all_nodes = np.arange(arrays.n_nodes)
    ds = snap_points(arrays, _node_points(arrays, all_nodes))
    cand_nodes = rng.choice(arrays.n_nodes, n_cands, replace=False)
    cs = snap_points(arrays, _node_points(arrays, cand_nodes))
    matrix = coverage_matrix(arrays, cs, ds, minutes=minutes, walk_speed_m_s=speed, batch_size=2)
    for row, node in enumerate(cand_nodes):
        within = nx.single_source_dijkstra_path_length(
            G, arrays.node_ids[node], cutoff=minutes * 60 * speed, weight="length"
        )
        got = set(arrays.node_ids[matrix[row].indices].tolist())
        assert got == set(within)
        local = reach_from_point(arrays, cs.iloc[[row]], minutes=minutes, walk_speed_m_s=speed)
        assert set(arrays.node_ids[local.nodes].tolist()) == set(within)
        t = dict(zip(arrays.node_ids[local.nodes].tolist(), local.time_s, strict=True))
        assert all(abs(t[k] - d / speed) < 1e-6 for k, d in within.items())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_engine_equals_networkx_on_random_streets(seed):
    G, _ = _random_network(seed)
    _compare_with_networkx(G, seed=seed, n_sources=5, n_cands=5, minutes=20)


@pytest.mark.slow
def test_engine_equals_networkx_on_wuhan(bundle: Path):
    from geo.bundle import bundle_path

    G = graph_from_edges(gpd.read_parquet(bundle_path("streets_wuhan")))
    _compare_with_networkx(G, seed=0, n_sources=8, n_cands=4, minutes=15)


def test_fast_snapping_equals_brute_force_nearest_edge():
    G, _ = _random_network(4, n=120)
    arrays = arrays_from_graph(G)
    rng = np.random.default_rng(4)
    xy = rng.uniform(-400, 3400, size=(400, 2))
    snaps = snap_points(arrays, _pts(*map(tuple, xy)), max_distance_m=150)
    pts = np.array([Point(X0 + x, Y0 + y) for x, y in xy])
    dist = shapely.distance(pts[:, None], arrays.edge_geometry[None, :]).min(axis=1)
    within = dist <= 150
    assert snaps["snapped"].to_numpy().tolist() == within.tolist()
    assert 0 < within.sum() < len(xy)  # both kinds present
    got = snaps.loc[within]
    assert np.allclose(got["access_m"], dist[within], atol=1e-6)
    edges = arrays.edge_geometry[got["edge"].to_numpy()]
    located = shapely.line_locate_point(edges, pts[within])
    scale = arrays.edge_length_m[got["edge"].to_numpy()] / shapely.length(edges)
    assert np.allclose(got["offset_m"], located * scale, atol=1e-6)


def test_arrays_from_plain_edges_equal_the_graph_path():
    """Straight segments as bare arrays (the big-input path) give the graph path's node times."""
    G, _ = _random_network(5, n=150)
    via_graph = arrays_from_graph(G)
    # the same network as straight pieces: every bend of every street is its own node
    coords, idx = shapely.get_coordinates(via_graph.edge_geometry, return_index=True)
    key = np.round(coords, 6)
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    same = idx[1:] == idx[:-1]
    u, v = inverse[:-1][same], inverse[1:][same]
    length = np.hypot(*(coords[1:][same] - coords[:-1][same]).T)
    plain = arrays_from_edges(
        node_ids=np.arange(len(uniq)),
        x=uniq[:, 0],
        y=uniq[:, 1],
        edge_u=u,
        edge_v=v,
        edge_length_m=length,
        crs=UTM50,
    )
    src = np.array([0, 40, 90])
    facilities = _node_points(via_graph, src)
    a = nearest_facility(via_graph, snap_points(via_graph, facilities), walk_speed_m_s=1.0)
    b = nearest_facility(plain, snap_points(plain, facilities), walk_speed_m_s=1.0)
    at = dict(zip(map(tuple, np.round(np.c_[via_graph.x, via_graph.y], 6)), a.time_s, strict=True))
    bt = dict(zip(map(tuple, np.round(np.c_[plain.x, plain.y], 6)), b.time_s, strict=True))
    assert len(bt) > len(at)  # the bends are nodes of their own
    assert all(abs(at[k] - bt[k]) < 1e-6 for k in at)


def test_arrays_from_edges_refuses_bad_arrays():
    ok = dict(
        node_ids=np.arange(2),
        x=[0.0, 1.0],
        y=[0.0, 0.0],
        edge_u=[0],
        edge_v=[1],
        edge_length_m=[1.0],
        crs=UTM50,
    )
    arrays_from_edges(**ok)
    with pytest.raises(InputError, match="projected CRS"):
        arrays_from_edges(**{**ok, "crs": "EPSG:4326"})
    with pytest.raises(InputError, match="positions into the node arrays"):
        arrays_from_edges(**{**ok, "edge_v": [2]})
    with pytest.raises(InputError, match="invalid lengths"):
        arrays_from_edges(**{**ok, "edge_length_m": [-1.0]})


# ------------------------------------------------------------------------------------------
# every piece kept: a reach run over a network of separate pieces (issue 10)
# ------------------------------------------------------------------------------------------
def _grid_table(pieces: list[tuple[float, float, int, int]]):
    """Street grids of 0.001° steps, one per (lon0, lat0, nx, ny), not joined to each other."""
    from geo.network import StreetTable
    from geo.network.osm import great_circle_m

    ids, lon, lat, us, vs = [], [], [], [], []
    first = 0
    for lon0, lat0, nx_, ny_ in pieces:
        gx, gy = np.meshgrid(lon0 + 0.001 * np.arange(nx_), lat0 + 0.001 * np.arange(ny_))
        idx = first + np.arange(nx_ * ny_).reshape(ny_, nx_)
        us.append(np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()])
        vs.append(np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()])
        ids.append(1000 + idx.ravel())
        lon.append(gx.ravel())
        lat.append(gy.ravel())
        first += nx_ * ny_
    lon_, lat_ = np.concatenate(lon), np.concatenate(lat)
    u, v = np.concatenate(us), np.concatenate(vs)
    return StreetTable(
        node_id=np.concatenate(ids).astype(np.int64),
        lon=lon_,
        lat=lat_,
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        length_m=great_circle_m(lat_[u], lon_[u], lat_[v], lon_[v]),
    )


def _two_county_region():
    from servicecircle.workflows import Region

    boxes = {
        "369901": shapely.box(114.99, 27.99, 115.015, 28.03),
        "369902": shapely.box(115.015, 27.99, 115.05, 28.03),
    }
    counties = pd.DataFrame(
        {
            "code": list(boxes),
            "name": ["甲县", "乙县"],
            "city_code": "3699",
            "city_name": "测试市",
            "province_code": "36",
            "province_name": "江西省",
        }
    )
    polys = gpd.GeoDataFrame(
        {"code": list(boxes), "name": counties["name"]},
        geometry=list(boxes.values()),
        crs="EPSG:4326",
    )
    towns = gpd.GeoDataFrame(
        {
            "code": [c + "001" for c in boxes],
            "name": ["甲镇", "乙镇"],
            "county_code": list(boxes),
            "approximate": False,
        },
        geometry=list(boxes.values()),
        crs="EPSG:4326",
    )
    return Region("3699", counties, polys, towns, "test polygons")


def test_reach_run_keeps_every_piece_and_counts_every_home():
    """Two county grids that never touch, each with a facility, an island with none, and a
    home far from any street. Before issue 10 only the largest grid was kept, so county 乙's
    homes were all "未计入" and its share NaN."""
    from analysis.reach import arrays_from_street_table
    from servicecircle.workflows import reach_run
    from servicecircle.workflows.streets import Streets, components_of

    table = _grid_table(
        [(115.000, 28.000, 11, 11), (115.030, 28.000, 7, 7), (115.020, 28.020, 3, 2)]
    )
    arrays = arrays_from_street_table(table)
    streets = Streets(None, arrays, "test grids", components_of(arrays))
    assert streets.components["pieces"] == 3
    assert streets.components["sizes"] == [121, 49, 6]
    fac = gpd.GeoDataFrame(
        {"facility_id": ["fA", "fB"], "name": ["甲中心", "乙中心"]},
        geometry=gpd.points_from_xy([115.005, 115.033], [28.005, 28.003]),
        crs="EPSG:4326",
    )
    homes = {
        "a_near": (115.0052, 28.0050, 1.0),  # 19 m from fA along the street: reached
        "a_node": (115.0070, 28.0070, 0.0),  # on a street node, ~414 m: reached
        "a_far": (115.0100, 28.0100, 2.0),  # corner, ~1,047 m walk: unreached
        "a_off": (115.0120, 28.0250, 3.0),  # 1.6 km from any street: off the network
        "b_near": (115.0335, 28.0030, 4.0),  # reached on county 乙's own grid
        "b_island": (115.0205, 28.0201, 5.0),  # on the island: no facility on its piece
    }
    demand = gpd.GeoDataFrame(
        {
            "demand_id": list(homes),
            "name": list(homes),
            "weight": [h[2] for h in homes.values()],
        },
        geometry=gpd.points_from_xy([h[0] for h in homes.values()], [h[1] for h in homes.values()]),
        crs="EPSG:4326",
    )
    rr = reach_run(_two_county_region(), fac, demand, streets, speeds=(1.0,), snap_max_m=100.0)
    status = dict(zip(rr.demand["demand_id"], rr.demand["status"], strict=True))
    assert status == {
        "a_near": "reached",
        "a_node": "reached",
        "a_far": "unreached",
        "a_off": "off_network",
        "b_near": "reached",
        "b_island": "unreached",
    }
    c = rr.by_county.set_index("code")
    assert c.loc[
        "369901", ["points", "points_reached", "points_unreached", "points_off_network"]
    ].tolist() == [4, 2, 1, 1]
    assert c.loc["369901", "share_weight"] == pytest.approx(1 / 6)  # off-network in the denominator
    assert c.loc["369902", "share_points"] == pytest.approx(1 / 2)
    assert c.loc["369902", "weight_unreached"] == 5.0
    for t in (rr.by_county, rr.by_township):
        parts = t["weight_reached"] + t["weight_unreached"] + t["weight_off_network"]
        np.testing.assert_allclose(parts, t["weight"])
        np.testing.assert_array_equal(
            t["points_reached"] + t["points_unreached"] + t["points_off_network"], t["points"]
        )
    assert rr.by_county["weight"].sum() == demand["weight"].sum()
    assert rr.components["pieces"] == 3
    assert rr.components["pieces_with_facility"] == 2
    assert rr.components["demand_points_on_pieces_without_facility"] == 1
    assert rr.components["demand_weight_on_pieces_without_facility"] == 5.0
    assert rr.pieces["facilities"].tolist() == [1, 1, 0]  # largest first: 121, 49, 6 nodes
    # the scenario line counts every home too: 3 of 6 reached, weight 5 of 15
    assert rr.scenarios["share_points"].iloc[0] == pytest.approx(3 / 6)
    assert rr.scenarios["share_weight"].iloc[0] == pytest.approx(5 / 15)
    # minutes on the network equal networkx on the same table
    G = nx.Graph()
    G.add_weighted_edges_from(zip(table.u.tolist(), table.v.tolist(), table.length_m))
    src = [
        int(np.flatnonzero(np.isclose(table.lon, x) & np.isclose(table.lat, y))[0])
        for x, y in [(115.005, 28.005), (115.033, 28.003)]
    ]
    ref = nx.multi_source_dijkstra_path_length(G, set(src))
    a = int(np.flatnonzero(np.isclose(table.lon, 115.007) & np.isclose(table.lat, 28.007))[0])
    row = rr.demand.set_index("demand_id").loc["a_node"]
    assert row["minutes"] * 60 == pytest.approx(ref[a], abs=1e-6)
    assert 400 < ref[a] < 430


def test_pieces_report_by_hand(toy):
    from analysis.reach import pieces_report, street_pieces

    arrays, names = toy
    assert len(set(street_pieces(arrays).tolist())) == 1
    fac = snap_points(arrays, _pts((0, 0)))
    dem = snap_points(arrays, _pts((100, 0), (100, 5000)), max_distance_m=300)
    rep = pieces_report(arrays, facility_snaps=fac, demand_snaps=dem, demand_weights=[2.0, 3.0])
    assert rep.table[["nodes", "facilities", "demand_points", "demand_weight"]].values.tolist() == [
        [6, 1, 1, 2.0]
    ]
    assert rep.table["street_m"].iloc[0] == pytest.approx(500 + 900 + 880 + 70 + 100)
    assert rep.demand_piece.tolist() == [0, -1]
    assert rep.summary()["demand_points_on_pieces_without_facility"] == 0


def test_reach_inputs_are_checked_before_any_graph(tmp_path: Path):
    from geo._errors import DataMissingError
    from servicecircle.workflows.reach import check_reach_inputs

    osm = Path(__file__).parent / "data" / "walk_small.osm"
    homes = tmp_path / "人口点.csv"
    pd.DataFrame({"编号": ["H1"], "经度": [114.3], "纬度": [30.6], "常住人口": [5]}).to_csv(
        homes, index=False
    )
    check_reach_inputs(streets=osm, demand=homes, weight_column="常住人口")  # no names needed
    with pytest.raises(InputError, match="60岁以上人口"):
        check_reach_inputs(streets=osm, demand=homes, weight_column="60岁以上人口")
    with pytest.raises(InputError, match="需要 --demand"):
        check_reach_inputs(streets=osm, demand=None, weight_column="常住人口")
    with pytest.raises(DataMissingError, match="不存在"):
        check_reach_inputs(streets=tmp_path / "jiangxi-latest.osm.pbf", demand=homes)


def test_adjacency_keeps_the_shortest_of_parallel_edges_and_no_loops():
    arrays = arrays_from_edges(
        node_ids=np.arange(3),
        x=[0.0, 10.0, 20.0],
        y=[0.0, 0.0, 0.0],
        edge_u=[0, 1, 1, 2, 2],
        edge_v=[1, 0, 1, 1, 1],
        edge_length_m=[5.0, 3.0, 7.0, 0.0, 4.0],
        crs=UTM50,
    )
    a = arrays.adjacency
    assert a[0, 1] == a[1, 0] == 3.0  # 0-1 twice (5 and 3 m, once each way round)
    assert a[1, 1] == 0 and a.diagonal().tolist() == [0, 0, 0]  # the loop at 1 dropped
    # a zero-length street stays an edge: 1-2 at 0 m (not 4 m), stored explicitly
    assert a.nnz == 4 and a[1, 2] == 0.0 and 2 in a.indices[a.indptr[1] : a.indptr[2]]
