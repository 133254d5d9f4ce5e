"""Street graphs from edge tables, line layers, OSM XML and GraphML (geo/network.py)."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from pyproj import CRS, Geod
from shapely import LineString, MultiLineString, Point, Polygon

from geo._errors import DataMissingError, InputError
from geo.network import (
    edges_from_graph,
    graph_from_edges,
    graph_from_file,
    graph_from_polygon_online,
)

UTM50 = "EPSG:32650"
X0, Y0 = 230_000.0, 3_380_000.0  # somewhere in Wuhan


def _lines(*coords: list[tuple[float, float]], crs: str = UTM50) -> gpd.GeoDataFrame:
    geoms = [LineString([(X0 + x, Y0 + y) for x, y in c]) for c in coords]
    return gpd.GeoDataFrame(
        {"name": [f"street {i}" for i in range(len(geoms))]}, geometry=geoms, crs=crs
    )


def _lengths(G: nx.MultiGraph) -> list[float]:
    return sorted(round(d["length"], 6) for _, _, d in G.edges(data=True))


def test_line_layer_rebuilds_nodes_and_lengths_from_geometry():
    # an L-shaped street (300 + 400) and a straight one meeting it at the corner's far end
    G = graph_from_edges(_lines([(0, 0), (300, 0), (300, 400)], [(300, 400), (300, 1000)]))
    assert isinstance(G, nx.MultiGraph) and not G.is_directed()
    assert G.number_of_nodes() == 3
    assert _lengths(G) == [600.0, 700.0]
    assert CRS.from_user_input(G.graph["crs"]).is_projected
    for _, _, d in G.edges(data=True):
        start = d["geometry"].coords[0]
        assert start == (G.nodes[d["from"]]["x"], G.nodes[d["from"]]["y"])
        assert d["name"].startswith("street")


def test_ends_0_3_m_apart_merge_at_1_m_tolerance_but_not_at_0_1_m():
    layer = _lines([(0, 0), (100, 0)], [(100.3, 0), (200, 0)])
    merged = graph_from_edges(layer, tolerance_m=1.0)
    apart = graph_from_edges(layer, tolerance_m=0.1)
    assert merged.number_of_nodes() == 3 and nx.is_connected(merged)
    assert apart.number_of_nodes() == 4 and not nx.is_connected(apart)
    # geometry ends moved onto the merged node, so lengths stay measured on the geometry
    assert sum(d["length"] for _, _, d in merged.edges(data=True)) == pytest.approx(200.0, abs=0.31)


def test_edge_table_with_u_v_keeps_ids_flips_reversed_geometry_and_merges_two_way_duplicates():
    table = _lines([(0, 0), (500, 0)], [(500, 0), (500, 500)], [(500, 500), (500, 0)])
    table["u"] = [10, 20, 30]
    table["v"] = [20, 30, 20]  # row 2 is row 1 stored for the other direction
    table["key"] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        G = graph_from_edges(table)
    assert set(G.nodes) == {10, 20, 30}
    assert G.number_of_edges() == 2
    assert (G.nodes[20]["x"], G.nodes[20]["y"]) == (X0 + 500, Y0)

    # a geometry drawn v -> u is flipped, not used to misplace the nodes
    flipped = table.iloc[:2].copy()
    flipped.loc[1, "geometry"] = LineString([(X0 + 500, Y0 + 500), (X0 + 500, Y0)])
    G2 = graph_from_edges(flipped)
    assert (G2.nodes[30]["x"], G2.nodes[30]["y"]) == (X0 + 500, Y0 + 500)
    d = next(iter(G2.get_edge_data(20, 30).values()))
    assert d["geometry"].coords[0] == (X0 + 500, Y0)


def test_geographic_input_is_projected_to_utm_and_measured_in_metres():
    geod = Geod(ellps="WGS84")
    line = LineString([(114.30, 30.55), (114.31, 30.55)])
    G = graph_from_edges(gpd.GeoDataFrame(geometry=[line], crs="EPSG:4326"))
    crs = CRS.from_user_input(G.graph["crs"])
    assert crs.is_projected and "UTM" in crs.name
    (length,) = _lengths(G)
    assert length == pytest.approx(geod.line_length([114.30, 114.31], [30.55, 30.55]), rel=2e-3)


def test_bad_geometries_are_reported_and_dropped():
    good = LineString([(X0, Y0), (X0 + 100, Y0)])
    layer = gpd.GeoDataFrame(
        geometry=[
            good,
            None,
            LineString(),
            MultiLineString([[(X0, Y0), (X0, Y0 + 50)], [(X0 + 900, Y0), (X0 + 950, Y0)]]),
            LineString([(X0 + 5, Y0 + 5), (X0 + 5, Y0 + 5)]),
            Point(X0, Y0),
            MultiLineString([[(X0 + 100, Y0), (X0 + 100, Y0 + 80)]]),  # one part: kept
        ],
        crs=UTM50,
    )
    with pytest.warns(UserWarning) as record:
        G = graph_from_edges(layer)
    text = " ".join(str(w.message) for w in record)
    assert "empty or missing" in text and "rows 1, 2" in text
    assert "multi-part" in text and "explode" in text and "rows 3" in text
    assert "zero length" in text and "rows 4" in text
    assert "not lines" in text and "rows 5" in text
    assert all(w.filename == __file__ for w in record)  # stacklevel points at the caller
    assert _lengths(G) == [80.0, 100.0]


def test_input_errors_name_the_fix():
    layer = _lines([(0, 0), (10, 0)])
    with pytest.raises(InputError, match="no CRS.*set_crs"):
        graph_from_edges(layer.set_crs(None, allow_override=True))
    with pytest.raises(InputError, match="GeoDataFrame"):
        graph_from_edges(layer.drop(columns="geometry"))
    with pytest.raises(InputError, match=r"tolerance_m .* got -1"):
        graph_from_edges(layer, tolerance_m=-1)
    with (
        pytest.raises(InputError, match="no LineString"),
        pytest.warns(UserWarning, match="not lines"),
    ):
        graph_from_edges(gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=UTM50))


def test_edges_from_graph_round_trips():
    G = graph_from_edges(
        _lines([(0, 0), (300, 0), (300, 400)], [(300, 400), (300, 1000)], [(0, 0), (0, 90)])
    )
    table = edges_from_graph(G)
    assert list(table.columns[:3]) == ["u", "v", "key"]
    assert table.crs == G.graph["crs"]
    again = graph_from_edges(table)
    assert sorted(again.nodes) == sorted(G.nodes)
    assert _lengths(again) == _lengths(G) == [90.0, 600.0, 700.0]


_OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
  <node id="1" lat="30.5500" lon="114.3000" version="1"/>
  <node id="2" lat="30.5500" lon="114.3010" version="1"/>
  <node id="3" lat="30.5500" lon="114.3020" version="1"/>
  <node id="4" lat="30.5510" lon="114.3020" version="1"/>
  <node id="5" lat="30.5490" lon="114.3020" version="1"/>
  <way id="100" version="1">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/>
  </way>
  <way id="101" version="1">
    <nd ref="3"/><nd ref="4"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="yes"/>
  </way>
  <way id="102" version="1">
    <nd ref="3"/><nd ref="5"/>
    <tag k="highway" v="footway"/>
  </way>
</osm>
"""


def test_graph_from_osm_xml_keeps_every_piece(tmp_path: Path):
    # osmnx's graph_from_xml keeps only the largest piece unless told otherwise (issue 10)
    path = tmp_path / "walk_small.xml"
    path.write_bytes((Path(__file__).parent / "data" / "walk_small.osm").read_bytes())
    G = graph_from_file(path)
    assert nx.number_connected_components(G) == 2
    assert {9, 11} <= set(G.nodes)  # the footway island (node 10 simplified away)


def test_graph_from_osm_xml_is_simplified_projected_and_undirected(tmp_path: Path):
    path = tmp_path / "streets.osm"
    path.write_text(_OSM_XML, encoding="utf-8")
    G = graph_from_file(path)
    assert isinstance(G, nx.MultiGraph) and not G.is_directed()
    assert CRS.from_user_input(G.graph["crs"]).is_projected
    # node 2 lies mid-way on a straight street and is simplified away
    assert set(G.nodes) == {1, 3, 4, 5}
    assert G.number_of_edges() == 3  # the one-way street is one walkable edge
    geod = Geod(ellps="WGS84")
    expected = sorted(
        [
            geod.line_length([114.300, 114.302], [30.55, 30.55]),
            geod.line_length([114.302, 114.302], [30.550, 30.551]),
            geod.line_length([114.302, 114.302], [30.549, 30.550]),
        ]
    )
    assert np.allclose(_lengths(G), expected, rtol=2e-3)


def test_graph_from_graphml_round_trip(tmp_path: Path):
    import osmnx as ox

    G = graph_from_edges(_lines([(0, 0), (300, 0), (300, 400)], [(300, 400), (300, 1000)]))
    path = tmp_path / "streets.graphml"
    ox.save_graphml(G, path)
    H = graph_from_file(path)
    assert not H.is_directed()
    assert sorted(H.nodes) == sorted(G.nodes)
    assert _lengths(H) == [600.0, 700.0]


def test_graph_from_vector_files(tmp_path: Path):
    layer = _lines([(0, 0), (100, 0)], [(100.3, 0), (200, 0)])
    layer.to_file(tmp_path / "roads.gpkg")
    layer.to_parquet(tmp_path / "roads.parquet")
    assert graph_from_file(tmp_path / "roads.gpkg").number_of_nodes() == 3
    assert graph_from_file(tmp_path / "roads.parquet", tolerance_m=0.1).number_of_nodes() == 4


def test_graph_from_file_errors(tmp_path: Path):
    pbf = tmp_path / "wuhan.osm.pbf"
    pbf.write_bytes(b"\x00")
    with pytest.raises(InputError, match=r"wuhan\.osm\.pbf.*street_table_from_osm.*--streets"):
        graph_from_file(pbf)
    with pytest.raises(DataMissingError, match="does not exist"):
        graph_from_file(tmp_path / "nope.gpkg")
    odd = tmp_path / "roads.dwg"
    odd.write_bytes(b"x")
    with pytest.raises(InputError, match=r"unsupported.*'\.dwg'.*\.graphml"):
        graph_from_file(odd)


def test_online_download_validates_before_any_request():
    with pytest.raises(InputError, match="not longitude/latitude"):
        graph_from_polygon_online(Polygon([(X0, Y0), (X0 + 10, Y0), (X0, Y0 + 10)]))
    with pytest.raises(InputError, match="Polygon or MultiPolygon"):
        graph_from_polygon_online(Point(114.3, 30.5))  # type: ignore[arg-type]


@pytest.mark.slow
def test_wuhan_edge_table_builds_the_documented_graph(bundle: Path):
    from geo.bundle import bundle_path

    edges = gpd.read_parquet(bundle_path("streets_wuhan"))
    G = graph_from_edges(edges)
    assert G.number_of_nodes() == 82_902
    # 24 rows repeat another row's street (same ends, same geometry) and are merged
    assert G.number_of_edges() == 92_643
    assert nx.number_connected_components(G) == 1
    total_km = sum(d["length"] for _, _, d in G.edges(data=True)) / 1000
    assert 7_000 < total_km < 7_200


def test_check_street_file_reads_headers_only(tmp_path: Path):
    from geo.network import check_street_file

    osm = Path(__file__).parent / "data" / "walk_small.osm"
    assert check_street_file(osm) == "osm"
    layer = _lines([(0, 0), (100, 0)])
    layer.to_parquet(tmp_path / "roads.parquet")
    layer.to_file(tmp_path / "roads.gpkg")
    assert check_street_file(tmp_path / "roads.parquet") == "parquet"
    assert check_street_file(tmp_path / "roads.gpkg") == "vector"
    points = gpd.GeoDataFrame(geometry=[Point(X0, Y0)], crs=UTM50)
    points.to_file(tmp_path / "points.gpkg")
    with pytest.raises(InputError, match="Point.*LineString"):
        check_street_file(tmp_path / "points.gpkg")
    import pandas as pd

    pd.DataFrame({"u": [1], "v": [2]}).to_parquet(tmp_path / "plain.parquet")
    with pytest.raises(InputError, match="没有几何列.*u、v"):
        check_street_file(tmp_path / "plain.parquet")
    broken = tmp_path / "jiangxi-latest.osm.pbf"
    broken.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all")
    with pytest.raises(InputError, match="jiangxi-latest.osm.pbf.*不是可读的 OpenStreetMap"):
        check_street_file(broken)
    with pytest.raises(DataMissingError, match="不存在"):
        check_street_file(tmp_path / "absent.osm.pbf")
    odd = tmp_path / "roads.dwg"
    odd.write_bytes(b"x")
    with pytest.raises(InputError, match="unsupported"):
        check_street_file(odd)
