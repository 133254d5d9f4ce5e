"""Benchmark: our siting solvers against spopt's MCLP as its users call it.

Synthetic instance (seeded): 5,000 demand points and 500 candidate sites uniformly in a
20 km square, coverage = straight-line distance <= 1 km, weights 1-100, k = 5, 10, 20.
spopt is timed end to end as a user calls it: ``MCLP.from_cost_matrix`` with the dense
5,000 × 500 cost matrix (model build included), then ``.solve(pulp solver)``. Both sides get
their matrix ready-made; building it is timed once, separately.

Wuhan instance (``--wuhan``, needs the bundle): 500 seeded candidates × all residential
points of the bundle, 15-minute walk over the bundle's streets. Ours end to end = coverage
matrix (``analysis.reach.coverage_matrix``, snapping included) + solve; spopt end to end =
``MCLP.from_cost_matrix`` on a dense cost matrix made from the same coverage (0 where covered,
1e6 elsewhere, ``service_radius=1``) + ``.solve``: it is handed the matrix and does not pay for
any shortest paths. Then the what-if questions on the real demo problem (江岸区, the project's
own workflow: ``servicecircle.workflows`` + ``servicecircle.scenarios``): open one candidate,
close one facility, open one clicked point — each the full scenario record — against a full
networkx recompute for the clicked point.

Run from the repository root::

    python benchmarks/siting.py             # synthetic instance, prints a markdown table
    python benchmarks/siting.py --wuhan     # also the Wuhan street instance (needs the bundle)
    python benchmarks/siting.py --no-spopt  # ours only
    python benchmarks/siting.py --wuhan --no-synthetic  # Wuhan only

Prints markdown; writes nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import math
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.siting import SitingResult, exact_mclp, greedy_mclp, swap_improve  # noqa: E402

SEED = 20240601
N_DEMAND = 5_000
N_CANDIDATES = 500
SIDE_M = 20_000.0
RADIUS_M = 1_000.0
KS = (5, 10, 20)


def synthetic_instance(
    *, seed: int = SEED, n_demand: int = N_DEMAND, n_candidates: int = N_CANDIDATES
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, float]:
    """Seeded random instance: (coverage, weights, dense distance matrix (demand × cand), build s)."""
    rng = np.random.default_rng(seed)
    demand = rng.random((n_demand, 2)) * SIDE_M
    cand = rng.random((n_candidates, 2)) * SIDE_M
    weights = rng.integers(1, 101, n_demand).astype(np.float64)
    t0 = time.perf_counter()
    hits = cKDTree(cand).query_ball_tree(cKDTree(demand), RADIUS_M)
    rows = np.repeat(np.arange(n_candidates), [len(h) for h in hits])
    cols = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])
    coverage = sp.csr_matrix(
        (np.ones(rows.size, dtype=bool), (rows, cols)), shape=(n_candidates, n_demand)
    )
    build_s = time.perf_counter() - t0
    dist = np.hypot(demand[:, None, 0] - cand[None, :, 0], demand[:, None, 1] - cand[None, :, 1])
    return coverage, weights, dist, build_s


# ----------------------------------------------------------------------------------------------
# WUHAN DEMO INSTANCE
# ----------------------------------------------------------------------------------------------
def wuhan_instance(
    *, n_candidates: int = 500, minutes: float = 15.0, seed: int = SEED
) -> tuple[sp.csr_matrix, np.ndarray, dict[str, float]] | None:
    """The Wuhan demo instance: 500 candidate sites × all residential points, 15-minute walk.

    Streets: the bundle's ``streets_wuhan`` through ``servicecircle.workflows.load_streets``
    (the app's loader; largest component kept); coverage through
    ``analysis.reach.coverage_matrix``. Demand = every OSM residential point of the bundle
    (weight 1 each: the bundle has no per-point population); candidates = a seeded sample of
    ``n_candidates`` of those points (new centres go where people live).

    Returns None (after printing why) when the bundle or the reach/network modules are missing.
    """
    try:
        import geopandas as gpd

        from analysis.reach import coverage_matrix, snap_points
        from geo.bundle import bundle_path
        from servicecircle.workflows import load_streets
    except ImportError as exc:  # another helper's module not there yet
        print(f"_wuhan instance skipped: {exc}_\n")
        return None
    try:
        points_path = bundle_path("landuse_wuhan")
        bundle_path("streets_wuhan")
    except Exception as exc:  # DataMissingError: bundle absent
        print(f"_wuhan instance skipped: {exc}_\n")
        return None
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    arrays = load_streets().arrays
    timings["graph_s"] = time.perf_counter() - t0
    points = gpd.read_file(points_path)
    if "fclass" in points.columns:
        points = points[points["fclass"].astype(str) == "residential"]
    points = points.reset_index(drop=True)
    rng = np.random.default_rng(seed)
    cand = points.iloc[np.sort(rng.choice(len(points), size=n_candidates, replace=False))]
    t0 = time.perf_counter()
    demand_snaps = snap_points(arrays, points.geometry)
    cand_snaps = snap_points(arrays, cand.geometry.reset_index(drop=True))
    timings["snap_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    coverage = coverage_matrix(arrays, cand_snaps, demand_snaps, minutes=minutes)
    timings["matrix_s"] = time.perf_counter() - t0
    timings["coverage_s"] = timings["snap_s"] + timings["matrix_s"]
    timings["n_demand"] = float(len(points))
    timings["n_candidates"] = float(n_candidates)
    timings["nnz"] = float(coverage.nnz)
    return sp.csr_matrix(coverage), np.ones(len(points)), timings


# ----------------------------------------------------------------------------------------------


def _ours(coverage: sp.csr_matrix, weights: np.ndarray, k: int) -> list[SitingResult]:
    greedy = greedy_mclp(coverage, weights, k=k)
    swapped = swap_improve(coverage, weights, greedy)
    swapped_total = dataclass_time(swapped, greedy.time_s + swapped.time_s)
    exact = exact_mclp(coverage, weights, k=k, time_limit_s=10.0, mip_rel_gap=1e-4)
    return [greedy, swapped_total, exact]


def dataclass_time(r: SitingResult, time_s: float) -> SitingResult:
    return dataclasses.replace(r, time_s=time_s)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence C-level stdout (HiGHS prints its banner even with msg=False)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def _spopt(
    dist: np.ndarray,
    weights: np.ndarray,
    k: int,
    solver_name: str,
    *,
    service_radius: float = RADIUS_M,
) -> tuple[float, float, float]:
    """spopt end to end on a ready (demand × candidate) cost matrix: (build s, solve s, objective)."""
    import pulp
    from spopt.locate import MCLP

    with _quiet_stdout():
        solver: Any = (
            pulp.HiGHS(msg=False)
            if solver_name == "highs" and pulp.HiGHS().available()
            else pulp.PULP_CBC_CMD(msg=False)
        )
        t0 = time.perf_counter()
        model = MCLP.from_cost_matrix(dist, weights, service_radius=service_radius, p_facilities=k)
        t1 = time.perf_counter()
        model = model.solve(solver)
        t2 = time.perf_counter()
    return t1 - t0, t2 - t1, float(pulp.value(model.problem.objective))


def _fmt_gap(g: float) -> str:
    return "–" if math.isnan(g) else f"{g:.1e}"


def _latency_ms(fn: Any, *, runs: int = 50) -> tuple[float, float, Any]:
    """(median ms, max ms, last result) over ``runs`` calls after one warm-up call."""
    out = fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    ms = np.asarray(times) * 1000.0
    return float(np.median(ms)), float(ms.max()), out


def _median_build(build: Any, *, runs: int = 3) -> float:
    """Median ``build_s`` of ``runs`` calls of a ``siting_problem`` builder."""
    return float(np.median([build().build_s for _ in range(runs)]))


def _synthetic_section(args: argparse.Namespace) -> None:
    coverage, weights, dist, build_s = synthetic_instance()
    print(
        f"### synthetic: {N_DEMAND:,} demand × {N_CANDIDATES} candidates, "
        f"{SIDE_M / 1000:.0f} km square, radius {RADIUS_M:.0f} m, seed {SEED}\n"
    )
    print(
        f"coverage matrix (KD-tree): {build_s:.3f} s, {coverage.nnz:,} pairs; "
        f"total weight {weights.sum():,.0f}\n"
    )
    print("| k | solver | time (s) | objective | share | gap | objective / spopt | speed-up |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for k in args.ks:
        ours = _ours(coverage, weights, k)
        build_t, solve_t, spopt_obj = (math.nan, math.nan, math.nan)
        if not args.no_spopt:
            build_t, solve_t, spopt_obj = _spopt(dist, weights, k, args.spopt_solver)
        spopt_t = build_t + solve_t
        for r in ours:
            ratio = r.objective / spopt_obj if spopt_obj == spopt_obj else math.nan
            speed = spopt_t / r.time_s if spopt_t == spopt_t else math.nan
            print(
                f"| {k} | {r.solver} ({r.status}) | {r.time_s:.3f} | {r.objective:,.0f} | "
                f"{r.share_after:.2%} | {_fmt_gap(r.gap)} | {ratio:.4f} | {speed:,.0f}× |"
            )
        if not args.no_spopt:
            print(
                f"| {k} | spopt MCLP + pulp {args.spopt_solver} (build {build_t:.1f} + solve "
                f"{solve_t:.1f}) | {spopt_t:.2f} | "
                f"{spopt_obj:,.0f} | {spopt_obj / weights.sum():.2%} | – | 1 | 1× |"
            )
        sys.stdout.flush()


def _wuhan_section(args: argparse.Namespace) -> None:
    print("\n### Wuhan: 500 candidates × all residential points, 15-minute walk\n")
    inst = wuhan_instance()
    if inst is None:
        return
    cov_w, w_w, tm = inst
    cov_s = tm["coverage_s"]
    print(
        f"street graph (load_streets) {tm['graph_s']:.1f} s (once per process, not counted); "
        f"coverage matrix {cov_s:.2f} s = snapping {tm['snap_s']:.2f} s + bounded searches "
        f"{tm['matrix_s']:.2f} s → {tm['n_candidates'] / cov_s:,.0f} candidates/s "
        f"({tm['n_candidates'] / tm['matrix_s']:,.0f}/s searches only); "
        f"{int(tm['n_candidates'])} × {int(tm['n_demand']):,}, {int(tm['nnz']):,} pairs\n"
    )
    # spopt gets the same 15-minute coverage as a dense demand × candidate cost matrix
    dense = np.where(cov_w.T.toarray(), 0.0, 1e6)
    print(
        "| k | solver | solve (s) | end to end (s) | objective | share | gap | "
        "objective / spopt | speed-up solve | speed-up end to end |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k in args.ks:
        ours = _ours(cov_w, w_w, k)
        build_t, solve_t, spopt_obj = (math.nan, math.nan, math.nan)
        if not args.no_spopt:
            build_t, solve_t, spopt_obj = _spopt(
                dense, w_w, k, args.spopt_solver, service_radius=1.0
            )
        spopt_t = build_t + solve_t
        for r in ours:
            e2e = cov_s + r.time_s
            print(
                f"| {k} | {r.solver} ({r.status}) | {r.time_s:.3f} | {e2e:.3f} | "
                f"{r.objective:,.0f} | {r.share_after:.2%} | {_fmt_gap(r.gap)} | "
                f"{r.objective / spopt_obj:.4f} | {spopt_t / r.time_s:,.0f}× | "
                f"{spopt_t / e2e:,.1f}× |"
            )
        if not args.no_spopt:
            print(
                f"| {k} | spopt MCLP + pulp {args.spopt_solver} (build {build_t:.2f} + solve "
                f"{solve_t:.2f}) | {spopt_t:.2f} | {spopt_t:.2f} | {spopt_obj:,.0f} | "
                f"{spopt_obj / w_w.sum():.2%} | – | 1 | 1× | 1× |"
            )
        sys.stdout.flush()


def _what_if_section(*, runs: int = 50) -> None:
    """What-if latency on the demo problem (江岸区), the project's own workflow end to end."""
    import geopandas as gpd
    import networkx as nx
    import osmnx as ox
    import pandas as pd

    from analysis.reach import reach_from_point, snap_points
    from analysis.scenario import reached_after
    from servicecircle import scenarios as S
    from servicecircle import workflows
    from servicecircle.demo import demo_demand, demo_register_specs, demo_seat_points

    print("\n### what-if on the demo problem (江岸区 420102, elderly_care, 15 min)\n")
    t0 = time.perf_counter()
    region = workflows.load_region("420102", seat_points=demo_seat_points())
    imported = workflows.import_registers(demo_register_specs(), region)
    run = workflows.coverage_run(region, imported)
    streets = workflows.load_streets()
    demand, source, label = demo_demand(region)
    elderly = run.facilities[run.facilities["layer"] == "elderly_care"]
    rr = workflows.reach_run(
        region, elderly, demand, streets, demand_source=source, weight_label=label
    )
    setup_s = time.perf_counter() - t0
    cands = S.generate_candidates(run, rr, max_candidates=500)
    problem = S.siting_problem(run, rr, streets, cands)
    build_s = {"demo": _median_build(lambda: S.siting_problem(run, rr, streets, cands))}
    # build rate again at a full 500 candidates: the demo's, topped up with a seeded sample of
    # the region's residential points (generate_candidates(methods=("grid",)) raises, see README)
    rng = np.random.default_rng(SEED)
    d = rr.demand.reset_index(drop=True)
    room = max(500 - len(cands), 0)
    extra = d.iloc[np.sort(rng.choice(len(d), size=min(room, len(d)), replace=False))]
    cands500 = pd.concat(
        [
            cands[["name", "source", "geometry"]],
            gpd.GeoDataFrame(
                {"name": extra["name"].to_numpy(), "source": "居住点（补足）"},
                geometry=extra.geometry.to_numpy(),
                crs=4326,
            ),
        ],
        ignore_index=True,
    )
    cands500 = gpd.GeoDataFrame(cands500, crs=4326)
    p500 = S.siting_problem(run, rr, streets, cands500)
    build_s["500"] = _median_build(lambda: S.siting_problem(run, rr, streets, cands500))
    n_dem = len(problem.demand)
    print(
        f"set-up (region, registers, coverage run, streets, reach run): {setup_s:.1f} s; "
        f"{len(problem.facilities)} existing facilities, {n_dem:,} demand points "
        f"({int(problem.counted.sum()):,} on the network)\n"
    )
    print("| what (median of 3 builds) | candidates | time | candidates/s |")
    print("|---|---:|---:|---:|")
    for label_, p, b in (
        ("demo candidates (seats + residential)", problem, build_s["demo"]),
        ("topped up with residential points", p500, build_s["500"]),
    ):
        n = len(p.candidates)
        print(
            f"| `siting_problem` {label_}: snap + coverage matrix × {n_dem:,} demand "
            f"+ existing × demand | {n} | {b:.3f} s | {n / b:,.0f} |"
        )
    print()

    cov = problem.coverage
    w = S._weights(problem)
    gain = np.asarray(cov @ w).ravel()
    gain[~problem.candidates["snapped"].to_numpy(dtype=bool)] = -1
    j = int(np.argmax(gain))
    site_id = problem.candidates["site_id"].iloc[j]
    fac_id = problem.facilities["facility_id"].iloc[0]
    click = gpd.GeoDataFrame(
        {"name": ["地图点选"]}, geometry=[problem.candidates.geometry.iloc[j]], crs=4326
    )

    questions = (
        (f"`what_if(open_sites=[{site_id!r}])`", lambda: S.what_if(problem, open_sites=[site_id])),
        (f"`what_if(close=[{fac_id!r}])`", lambda: S.what_if(problem, close=[fac_id])),
        ("`what_if(new_points=<one clicked point>)`", lambda: S.what_if(problem, new_points=click)),
    )
    rows = []
    # as the process finds itself, then with the loaded graph moved out of the collector's way:
    # a full (generation 2) collection walks every networkx node/edge dict of the street graph
    for frozen in (False, True):
        if frozen:
            gc.collect()
            gc.freeze()
        for what, fn in questions:
            med, mx, sc = _latency_ms(fn, runs=runs)
            share = float(sc.reach_total["weight_after"].sum() / w.sum())
            rows.append((what + (", after `gc.freeze()`" if frozen else ""), med, mx, share))
        if frozen:
            gc.unfreeze()

    # the clicked point's search alone, and what a user would otherwise run with networkx
    arrays = streets.arrays
    speed = rr.walk_speed_m_s
    cutoff_m = rr.minutes * 60.0 * speed
    G = streets.graph

    def nodes_of(pts: gpd.GeoDataFrame) -> np.ndarray:
        xy = pts.to_crs(arrays.crs).geometry
        return np.asarray(ox.distance.nearest_nodes(G, xy.x, xy.y))

    fac_nodes = set(nodes_of(problem.facilities).tolist())
    home_nodes = nodes_of(problem.demand)

    def local_search() -> Any:
        snap = snap_points(arrays, click)
        return reach_from_point(
            arrays,
            snap.iloc[0],
            minutes=rr.minutes,
            walk_speed_m_s=speed,
            demand_snaps=problem.demand_snaps,
        )

    click_node = int(nodes_of(click)[0])
    src = fac_nodes | {click_node}

    def nx_full() -> float:
        t = nx.multi_source_dijkstra_path_length(G, src, weight="length")
        hit = np.array([t.get(n, np.inf) <= cutoff_m for n in home_nodes])
        return float(w[hit].sum())

    def nx_bounded() -> float:
        t = nx.multi_source_dijkstra_path_length(G, src, cutoff=cutoff_m, weight="length")
        hit = np.array([n in t for n in home_nodes])
        return float(w[hit].sum())

    def nx_single() -> int:
        t = nx.single_source_dijkstra_path_length(G, click_node, cutoff=cutoff_m, weight="length")
        return len(t)

    base_runs = max(5, runs // 5)
    med_local, max_local, _ = _latency_ms(local_search, runs=runs)
    med_nn, max_nn, _ = _latency_ms(lambda: nodes_of(click), runs=base_runs)
    med_full, max_full, _ = _latency_ms(nx_full, runs=base_runs)
    med_bnd, max_bnd, _ = _latency_ms(nx_bounded, runs=base_runs)
    med_one, max_one, _ = _latency_ms(nx_single, runs=runs)
    full_nn = med_full + med_nn

    before = float(w[reached_after(problem.existing) & problem.counted].sum() / w.sum())
    print(
        f"median / max of {runs} runs after one warm-up (networkx whole-graph / bounded "
        f"recompute and `nearest_nodes`: {base_runs} runs). Target: < 100 ms. "
        f"Reached (weighted) share before: {before:.2%}.\n"
    )
    print("| question | median (ms) | max (ms) | reached share after | full recompute / this |")
    print("|---|---:|---:|---:|---:|")
    for what, med, mx, share in rows:
        print(
            f"| {what} (full scenario record) | {med:.1f} | {mx:.1f} | {share:.2%} | "
            f"{full_nn / med:.1f}× |"
        )
    print(
        f"| clicked point: snap + `reach_from_point` only (no record) | {med_local:.2f} | "
        f"{max_local:.2f} | – | {full_nn / med_local:,.0f}× |"
    )
    print(
        f"| networkx full recompute = `ox.distance.nearest_nodes` for the click + "
        f"`multi_source_dijkstra_path_length` (whole graph, {len(src)} sources) + homes ≤ "
        f"{cutoff_m:.0f} m | {full_nn:.1f} | {max_full + max_nn:.1f} | – | 1× |"
    )
    print(f"| … of which `nearest_nodes` (one point) | {med_nn:.1f} | {max_nn:.1f} | – | – |")
    print(f"| … of which whole-graph Dijkstra + homes | {med_full:.1f} | {max_full:.1f} | – | – |")
    print(
        f"| networkx same Dijkstra with `cutoff={cutoff_m:.0f}` (node known) | {med_bnd:.1f} | "
        f"{max_bnd:.1f} | – | – |"
    )
    print(
        f"| networkx `single_source_dijkstra_path_length(cutoff={cutoff_m:.0f})`, new site only, "
        f"node known (no homes, no record) | {med_one:.2f} | {max_one:.2f} | – | – |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-spopt", action="store_true", help="skip spopt")
    parser.add_argument("--spopt-solver", choices=("highs", "cbc"), default="highs")
    parser.add_argument("--wuhan", action="store_true", help="also the Wuhan street instance")
    parser.add_argument("--no-synthetic", action="store_true", help="skip the synthetic instance")
    parser.add_argument("--no-what-if", action="store_true", help="skip the what-if section")
    parser.add_argument("--runs", type=int, default=50, help="what-if repetitions")
    parser.add_argument("--ks", type=int, nargs="+", default=list(KS))
    args = parser.parse_args(argv)

    if not args.no_synthetic:
        _synthetic_section(args)
    if args.wuhan:
        _wuhan_section(args)
        if not args.no_what_if:
            _what_if_section(runs=args.runs)


if __name__ == "__main__":
    main()
