"""Streets downloaded once are cached in the workspace (the download itself needs the internet,
so the test passes a downloader that builds a real osmnx graph from a drawn edge table and
counts its calls)."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import LineString, box

from geo.network import graph_from_edges
from geo.workspace import Workspace
from servicecircle.workflows import load_streets_online


def _toy_graph():
    x0, y0 = 740_000.0, 3_380_000.0
    lines = [
        LineString([(x0, y0), (x0 + 500, y0)]),
        LineString([(x0 + 500, y0), (x0 + 500, y0 + 400)]),
    ]
    return graph_from_edges(gpd.GeoDataFrame(geometry=lines, crs="EPSG:32650"))


def test_second_call_reads_the_cache(tmp_path):
    calls = []

    def download(polygon, *, network_type):
        calls.append(network_type)
        return _toy_graph()

    area = box(114.29, 30.55, 114.31, 30.57)
    with Workspace.open(tmp_path / "ws.duckdb") as ws:
        first = load_streets_online(area, workspace=ws, download=download)
        again = load_streets_online(area, workspace=ws, download=download)
        other = load_streets_online(area, workspace=ws, network_type="drive", download=download)
    assert calls == ["walk", "drive"]
    assert "cached in the workspace" in again.source
    assert first.graph.number_of_edges() == again.graph.number_of_edges() == 2
    total = sum(d["length"] for _, _, d in again.graph.edges(data=True))
    assert abs(total - 900.0) < 1e-6
    assert other.graph.number_of_nodes() == 3
