"""Benchmark: our siting solvers against spopt's MCLP as its users call it.

Synthetic instance (seeded): 5,000 demand points and 500 candidate sites uniformly in a
20 km square, coverage = straight-line distance <= 1 km, weights 1-100, k = 5, 10, 20.
spopt is timed end to end as a user calls it: ``MCLP.from_cost_matrix`` with the dense
5,000 × 500 cost matrix (model build included), then ``.solve(pulp solver)``. Both sides get
their matrix ready-made; building it is timed once, separately.

Run from the repository root::

    python benchmarks/siting.py             # synthetic instance, prints a markdown table
    python benchmarks/siting.py --wuhan     # also the Wuhan street instance (needs the bundle)
    python benchmarks/siting.py --no-spopt  # ours only

Prints markdown; writes nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
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

    Streets: the bundle's ``streets_wuhan`` edges through ``geo.network.graph_from_edges``;
    coverage through ``analysis.reach.coverage_matrix``. Demand = every OSM residential point
    (weight 1 each: the bundle has no per-point population); candidates = a seeded sample of
    ``n_candidates`` of those points (new centres go where people live).

    Returns None (after printing why) when the bundle or the reach/network modules are missing.
    """
    try:
        import geopandas as gpd

        from analysis.reach import arrays_from_graph, coverage_matrix, snap_points
        from geo.bundle import bundle_path
        from geo.network import graph_from_edges
    except ImportError as exc:  # another helper's module not there yet
        print(f"_wuhan instance skipped: {exc}_\n")
        return None
    try:
        edges_path = bundle_path("streets_wuhan")
        points_path = bundle_path("landuse_wuhan")
    except Exception as exc:  # DataMissingError: bundle absent
        print(f"_wuhan instance skipped: {exc}_\n")
        return None
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    graph = graph_from_edges(gpd.read_parquet(edges_path))
    arrays = arrays_from_graph(graph)
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
    coverage = coverage_matrix(arrays, cand_snaps, demand_snaps, minutes=minutes)
    timings["coverage_s"] = time.perf_counter() - t0
    timings["n_demand"] = float(len(points))
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
    dist: np.ndarray, weights: np.ndarray, k: int, solver_name: str
) -> tuple[float, float, float]:
    """spopt end to end: (build s, solve s, objective)."""
    import pulp
    from spopt.locate import MCLP

    with _quiet_stdout():
        solver: Any = (
            pulp.HiGHS(msg=False)
            if solver_name == "highs" and pulp.HiGHS().available()
            else pulp.PULP_CBC_CMD(msg=False)
        )
        t0 = time.perf_counter()
        model = MCLP.from_cost_matrix(dist, weights, service_radius=RADIUS_M, p_facilities=k)
        t1 = time.perf_counter()
        model = model.solve(solver)
        t2 = time.perf_counter()
    return t1 - t0, t2 - t1, float(pulp.value(model.problem.objective))


def _fmt_gap(g: float) -> str:
    return "–" if math.isnan(g) else f"{g:.1e}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-spopt", action="store_true", help="skip spopt")
    parser.add_argument("--spopt-solver", choices=("highs", "cbc"), default="highs")
    parser.add_argument("--wuhan", action="store_true", help="also the Wuhan street instance")
    parser.add_argument("--ks", type=int, nargs="+", default=list(KS))
    args = parser.parse_args(argv)

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

    if args.wuhan:
        print("\n### Wuhan: 500 candidates × all residential points, 15-minute walk\n")
        inst = wuhan_instance()
        if inst is not None:
            cov_w, w_w, timings = inst
            print(
                f"graph {timings['graph_s']:.1f} s, coverage matrix {timings['coverage_s']:.1f} s, "
                f"{int(timings['n_demand']):,} demand points, {int(timings['nnz']):,} pairs\n"
            )
            print("| k | solver | time (s) | objective | share | gap |")
            print("|---|---|---:|---:|---:|---:|")
            for k in args.ks:
                for r in _ours(cov_w, w_w, k):
                    print(
                        f"| {k} | {r.solver} ({r.status}) | {r.time_s:.3f} | {r.objective:,.0f} | "
                        f"{r.share_after:.2%} | {_fmt_gap(r.gap)} |"
                    )


if __name__ == "__main__":
    main()
