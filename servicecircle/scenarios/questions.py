"""The siting questions: best k new sites (MCLP), fewest for a reach share (LSCP) or a township
coverage target, and what-if (open candidates or clicked points, close existing facilities)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import geopandas as gpd
import numpy as np

from geo._errors import InputError
from servicecircle.scenarios.outcome import Scenario, scenario_from_result
from servicecircle.scenarios.problem import SitingProblem, closed_rows
from servicecircle.workflows import WGS84


def _weights(problem: SitingProblem) -> np.ndarray:
    """Every home's weight: shares are of all homes, as in the reach run (a home off the street
    network is in the denominator and can never be reached)."""
    return problem.demand["weight"].to_numpy(dtype=float)


def _groups(problem: SitingProblem) -> np.ndarray:
    return problem.candidates["township_code"].replace("", "（区域外）").to_numpy(dtype=object)


def best_k(
    problem: SitingProblem,
    *,
    k: int,
    solver: str = "exact",
    one_per_township: bool = False,
    must_townships: Sequence[str] = (),
    close: Sequence[str] = (),
    time_limit_s: float = 10.0,
    name: str = "",
) -> Scenario:
    """The k candidates reaching the most (weighted) demand within the budget (MCLP)."""
    from analysis import siting

    closed_idx = closed_rows(problem, close)
    from analysis.scenario import reached_after

    already = reached_after(problem.existing, close=closed_idx) & problem.counted
    forbidden = np.flatnonzero(~problem.candidates["snapped"].to_numpy(dtype=bool))
    kw = {
        "k": k,
        "already_covered": already,
        "groups": _groups(problem) if one_per_township or must_townships else None,
        "max_per_group": 1 if one_per_township else max(k, 1),
        "must_groups": tuple(must_townships),
        "forbidden": tuple(int(i) for i in forbidden),
    }
    if solver == "exact":
        res = siting.exact_mclp(
            problem.coverage, _weights(problem), time_limit_s=time_limit_s, **kw
        )
    elif solver == "greedy":
        res = siting.greedy_mclp(problem.coverage, _weights(problem), **kw)
        res = siting.swap_improve(
            problem.coverage, _weights(problem), res, **{k2: v for k2, v in kw.items() if k2 != "k"}
        )
    else:
        raise InputError(f"solver={solver!r}; use 'exact' (HiGHS) or 'greedy' (greedy + swap)")
    return scenario_from_result(
        problem,
        res,
        kind="best_k",
        name=name or f"最优{k}处（{res.solver}）",
        closed=tuple(close),
        params={
            "k": k,
            "solver": solver,
            "one_per_township": one_per_township,
            "must_townships": list(must_townships),
        },
    )


def fewest_for_share(
    problem: SitingProblem, *, min_share: float, close: Sequence[str] = (), name: str = ""
) -> Scenario:
    """The fewest candidates so that ``min_share`` of the weighted demand is reached (LSCP)."""
    from analysis import siting
    from analysis.scenario import reached_after

    closed_idx = closed_rows(problem, close)
    already = reached_after(problem.existing, close=closed_idx) & problem.counted
    forbidden = np.flatnonzero(~problem.candidates["snapped"].to_numpy(dtype=bool))
    res = siting.lscp(
        problem.coverage,
        _weights(problem),
        min_share=min_share,
        already_covered=already,
        forbidden=tuple(int(i) for i in forbidden),
    )
    return scenario_from_result(
        problem,
        res,
        kind="fewest_share",
        name=name or f"达到{min_share:.0%}可达的最少选址",
        closed=tuple(close),
        params={"min_share": min_share},
    )


def fewest_for_township_target(
    problem: SitingProblem, *, target_pct: float, comparator: str = ">=", name: str = ""
) -> Scenario:
    """The fewest new facilities bringing township coverage of the layer to ``target_pct``."""
    from analysis import siting

    t = problem.run.townships
    covered = t.loc[t[f"covered_{problem.layer}"], "code"].tolist()
    score = np.asarray(problem.coverage @ _weights(problem)).ravel()
    ok = problem.candidates["snapped"].to_numpy(dtype=bool)
    units = problem.candidates["township_code"].where(ok, "").to_numpy(dtype=object)
    res = siting.sites_for_unit_target(
        units,
        covered,
        t["code"].tolist(),
        target_share=target_pct / 100.0,
        comparator=comparator,
        candidate_score=score,
    )
    return scenario_from_result(
        problem,
        res,
        kind="township_target",
        name=name or f"乡镇覆盖率达到{target_pct:g}%的最少选址",
        closed=(),
        params={"target_pct": target_pct, "comparator": comparator},
    )


def what_if(
    problem: SitingProblem,
    *,
    open_sites: Sequence[str] = (),
    new_points: gpd.GeoDataFrame | None = None,
    close: Sequence[str] = (),
    name: str = "",
) -> Scenario:
    """Open candidates (by site_id) and/or new clicked points, close existing facilities.

    New points are answered with a bounded local search around each site (no full-graph pass).
    """
    from analysis import reach as engine
    from analysis.siting import SitingResult

    t0 = time.perf_counter()
    ids = problem.candidates["site_id"].tolist()
    unknown = [s for s in open_sites if s not in ids]
    if unknown:
        raise InputError(f"unknown candidate site(s) {unknown}; known ids look like {ids[:3]}")
    chosen = [ids.index(s) for s in open_sites]
    masks = [problem.coverage[j].toarray().ravel().astype(bool) for j in chosen]
    extra = None
    if new_points is not None and len(new_points):
        extra = new_points.reset_index(drop=True).to_crs(WGS84)
        snaps = engine.snap_points(problem.streets.arrays, extra)
        for i in range(len(extra)):
            if not bool(snaps["snapped"].iloc[i]):
                raise InputError(
                    f"new site {i + 1} at ({extra.geometry.iloc[i].x:.6f}, "
                    f"{extra.geometry.iloc[i].y:.6f}) is farther than the snapping distance from "
                    "any street of the network; move it onto a street or load a wider network"
                )
            pr = engine.reach_from_point(
                problem.streets.arrays,
                snaps.iloc[i],
                minutes=problem.reach.minutes,
                walk_speed_m_s=problem.reach.walk_speed_m_s,
                demand_snaps=problem.demand_snaps,
            )
            masks.append(pr.demand_reached.to_numpy(dtype=bool))
    closed_idx = closed_rows(problem, close)
    from analysis.scenario import reached_after

    before = reached_after(problem.existing) & problem.counted
    base = reached_after(problem.existing, close=closed_idx) & problem.counted
    w = _weights(problem)
    gains, after = [], base.copy()
    for m in masks:
        new = m & problem.counted & ~after
        gains.append(float(w[new].sum()))
        after |= m & problem.counted
    res = SitingResult(
        chosen=tuple(chosen),
        marginal_gain=tuple(gains[: len(chosen)]),
        objective=float(w[after].sum()),
        covered_before=float(w[before].sum()),
        covered_after=float(w[after].sum()),
        share_before=float(w[before].sum() / w.sum()) if w.sum() else float("nan"),
        share_after=float(w[after].sum() / w.sum()) if w.sum() else float("nan"),
        solver="what-if",
        status="evaluated",
        gap=float("nan"),
        bound=float("nan"),
        time_s=time.perf_counter() - t0,
        notes=(),
    )
    return scenario_from_result(
        problem,
        res,
        kind="what_if",
        name=name or "方案测算",
        closed=tuple(close),
        extra_points=extra,
        extra_gains=gains[len(chosen) :],
        open_masks=masks,
        params={
            "open": list(open_sites),
            "close": list(close),
            "new_points": [] if extra is None else [[g.x, g.y] for g in extra.geometry],
        },
    )
