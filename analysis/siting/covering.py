"""Fewest new sites for a target: a covered-weight share (partial LSCP) or a township rate."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Hashable, Iterable
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from scipy.optimize import LinearConstraint

from analysis.siting._problem import (
    REL_TOL,
    Problem,
    max_sites,
    order_picks,
    result_from_picks,
    validate_problem,
)
from analysis.siting.exact import build_model, check_time_limits, run_highs, solve_exact
from analysis.siting.result import SitingResult, Status
from geo._errors import InfeasibleError, InputError


def lscp(
    coverage: Any,
    weights: Any,
    *,
    min_share: float,
    already_covered: Any = None,
    groups: Any = None,
    max_per_group: int = 1,
    must_groups: Iterable[Hashable] = (),
    forbidden: Iterable[int] = (),
    time_limit_s: float = 10.0,
    mip_rel_gap: float = 1e-4,
) -> SitingResult:
    """Fewest new sites so that the covered share of the weight reaches ``min_share``.

    A partial location set covering problem: minimise ``Σ x_j`` subject to
    ``Σ w_i y_i >= min_share · W − covered_before``, ``y_i <= Σ_j a_ij x_j`` and the group
    limits, solved by HiGHS. A second solve with ``k`` = that minimum then picks, among the
    smallest sets, one covering the most weight.

    Parameters
    ----------
    coverage, weights, already_covered, groups, max_per_group, must_groups, forbidden
        As in :func:`greedy_mclp`.
    min_share
        Required covered share of the total weight, in (0, 1] (e.g. 0.9).
    time_limit_s
        Limit for each of the two HiGHS solves.
    mip_rel_gap
        Gap for the second (coverage-maximising) solve.

    Returns
    -------
    SitingResult
        ``solver='highs'``; no sites (with a note) when the share is already reached.

    Raises
    ------
    InfeasibleError
        When even every allowed candidate cannot reach ``min_share``: the message gives the best
        reachable share and the demand that no candidate reaches.
    """
    t0 = time.perf_counter()
    check_time_limits(time_limit_s, mip_rel_gap)
    if (
        isinstance(min_share, bool)
        or not isinstance(min_share, int | float)
        or not (0 < min_share <= 1)
    ):
        raise InputError(f"min_share={min_share!r}: give a share in (0, 1], e.g. 0.9 for 90 %")
    prob = validate_problem(
        coverage,
        weights,
        k=None,
        already_covered=already_covered,
        groups=groups,
        max_per_group=max_per_group,
        must_groups=must_groups,
        forbidden=forbidden,
    )
    total = prob.total
    if total <= 0:
        raise InputError("weights sum to 0: there is no demand to cover; check the weight column")
    before = prob.covered_before
    target = min_share * total
    tol = REL_TOL * total
    if before >= target - tol and not prob.must_codes:
        return result_from_picks(
            prob,
            [],
            [],
            solver="highs",
            status="optimal",
            gap=0.0,
            bound=before,
            t0=t0,
            notes=[f"existing facilities already cover {before / total:.1%} >= {min_share:.1%}"],
        )
    model = build_model(prob)
    reachable = before + float(prob.weights[model.dem].sum())
    if reachable < target - tol:
        raise InfeasibleError(
            f"min_share={min_share:.1%} cannot be reached: with every allowed candidate open the "
            f"covered share is at most {reachable / total:.1%} ({reachable:g} of {total:g}); "
            f"{model.n_unreachable} demand point(s) carrying {model.w_unreachable:g} weight "
            f"({model.w_unreachable / total:.1%}) are reached by no candidate. Fix: add candidate "
            "sites near that demand, lengthen the time budget, or lower min_share"
        )
    n_x, n_y = model.cand.size, model.dem.size
    w_y = prob.weights[model.dem]
    c = np.concatenate([np.ones(n_x), np.zeros(n_y)])
    need = max(target - before - tol, 0.0)
    constraints = [
        LinearConstraint(model.cover_rows, -np.inf, 0.0),
        LinearConstraint(sp.csr_matrix(np.concatenate([np.zeros(n_x), w_y])), need, np.inf),
    ]
    if model.group_rows is not None:
        constraints.append(LinearConstraint(model.group_rows, model.group_lb, model.group_ub))
    res = run_highs(c, n_x, constraints, time_limit_s=time_limit_s, mip_rel_gap=0.0)
    if res.status == 2:
        rank = max_sites(prob)
        best = solve_exact(
            _replace_k(prob, max(rank, len(prob.must_codes), 1)),
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
            t0=time.perf_counter(),
        )
        raise InfeasibleError(
            f"min_share={min_share:.1%} cannot be reached within the group limits "
            f"(max_per_group={prob.max_per_group}): the best reachable share is "
            f"{best.share_after:.1%}; {model.n_unreachable} demand point(s) carrying "
            f"{model.w_unreachable:g} weight are reached by no candidate. Fix: raise "
            "max_per_group, add candidates, lengthen the time budget, or lower min_share"
        )
    if res.x is None:
        raise InfeasibleError(
            f"HiGHS found no covering set within time_limit_s={time_limit_s:g} "
            f"(status {res.status}: {res.message}); raise time_limit_s"
        )
    p = int(round(float(res.x[:n_x].sum())))
    count_status: Status = "optimal" if res.status == 0 else "time_limit"
    dual = getattr(res, "mip_dual_bound", None)
    lower = math.ceil(float(dual) - 1e-6) if dual is not None and np.isfinite(dual) else 0
    notes = [f"minimum number of sites: {p}"]
    if count_status != "optimal":
        notes.append(f"count not proven minimal within {time_limit_s:g} s: at least {lower}")
    if p == 0:
        return result_from_picks(
            prob,
            [],
            [],
            solver="highs",
            status=count_status,
            gap=0.0,
            bound=before,
            t0=t0,
            notes=notes,
        )
    # second stage: among sets of p sites, the one covering the most weight
    second = solve_exact(
        _replace_k(prob, p), time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap, t0=t0
    )
    if second.covered_after < target - tol:  # second stage stopped early and worse: keep first
        chosen = model.cand[res.x[:n_x] > 0.5]
        order, gains, extra = order_picks(prob, chosen)
        return result_from_picks(
            prob,
            order,
            gains,
            solver="highs",
            status=count_status,
            gap=math.nan,
            bound=math.nan,
            t0=t0,
            notes=[*notes, *extra],
        )
    status: Status = "optimal" if count_status == "optimal" else "time_limit"
    return dataclasses.replace(
        second,
        status=status if second.status == "optimal" else second.status,
        time_s=time.perf_counter() - t0,
        notes=(*notes, *(n for n in second.notes if not n.startswith("only "))),
    )


def _replace_k(prob: Problem, k: int) -> Problem:
    return dataclasses.replace(prob, k=int(k))


def sites_for_unit_target(
    unit_of_candidate: Any,
    covered_units: Iterable[Hashable],
    all_units: Iterable[Hashable],
    *,
    target_share: float,
    comparator: Literal[">=", ">"] = ">=",
    candidate_score: Any,
) -> SitingResult:
    """Fewest new facilities that bring unit (township) coverage up to the plan's rate.

    A unit counts as covered when it has at least one facility. With ``N`` units of which ``c``
    are covered, the plan needs the smallest ``n`` with ``n / N`` meeting ``target_share`` under
    ``comparator``; ``n − c`` uncovered units must each receive one site. Among uncovered units
    that have candidates, each unit's best-placed candidate (highest ``candidate_score``, e.g.
    the demand weight it reaches in 15 minutes; ties to the lowest index) is taken, highest
    scoring units first. The count is the minimum possible, so ``status`` is ``'optimal'``.

    Parameters
    ----------
    unit_of_candidate
        Unit id (township code or name) of each candidate.
    covered_units
        Units that already have a facility.
    all_units
        Every unit the target is measured over (the denominator).
    target_share
        The plan's rate, e.g. 0.9 for "90 % of townships".
    comparator
        ``">="`` (reach the rate) or ``">"`` (exceed it).
    candidate_score
        Score per candidate; higher is better placed.

    Returns
    -------
    SitingResult
        Weights are units: ``marginal_gain`` is 1 per site, ``objective`` the covered unit count,
        ``solver='greedy'``.

    Raises
    ------
    InfeasibleError
        When too few uncovered units have any candidate; the message names the uncovered units
        without a candidate.
    """
    t0 = time.perf_counter()
    units = list(dict.fromkeys(all_units))
    if not units:
        raise InputError("all_units is empty; pass every township the target is measured over")
    unit_set = set(units)
    if (
        isinstance(target_share, bool)
        or not isinstance(target_share, int | float)
        or not (0 <= target_share <= 1)
    ):
        raise InputError(f"target_share={target_share!r}: give a share in [0, 1], e.g. 0.9")
    if comparator not in (">=", ">"):
        raise InputError(f"comparator={comparator!r}: use '>=' or '>'")
    uoc = list(np.asarray(unit_of_candidate, dtype=object))
    score = np.asarray(candidate_score, dtype=np.float64)
    if score.shape != (len(uoc),):
        raise InputError(
            f"candidate_score has shape {score.shape} but there are {len(uoc)} candidates; "
            "pass one score per candidate"
        )
    bad = np.flatnonzero(~np.isfinite(score))
    if bad.size:
        raise InputError(
            f"candidate_score[{int(bad[0])}] = {score[bad[0]]!r} is not a finite number; fill it"
        )
    for j, u in enumerate(uoc):
        if u not in unit_set:
            raise InputError(
                f"unit_of_candidate[{j}] = {u!r} is not in all_units; fix the candidate's "
                "township or add it to all_units"
            )
    covered = {u for u in covered_units if u in unit_set}
    n_units = len(units)
    c = len(covered)
    scaled = target_share * n_units
    if comparator == ">=":
        required = math.ceil(scaled - 1e-9)
    else:
        required = math.floor(scaled + 1e-9) + 1
    if required > n_units:
        raise InfeasibleError(
            f"target_share {comparator} {target_share:.1%} of {n_units} units needs {required} "
            "covered units, more than exist; check the target or the comparator"
        )
    need = max(required - c, 0)
    notes = [f"{c} of {n_units} units covered; the target needs {required}"]
    best: dict[Hashable, int] = {}
    for j, u in enumerate(uoc):
        if u in covered:
            continue
        if u not in best or score[j] > score[best[u]]:
            best[u] = j
    if need > len(best):
        without = [u for u in units if u not in covered and u not in best]
        shown = ", ".join(map(str, without[:10])) + (" …" if len(without) > 10 else "")
        raise InfeasibleError(
            f"the target needs {need} more covered units but only {len(best)} uncovered units "
            f"have a candidate site; {len(without)} uncovered unit(s) have none: {shown}. "
            "Fix: add candidate sites in those units"
        )
    position = {u: i for i, u in enumerate(units)}
    order_units = sorted(best, key=lambda u: (-score[best[u]], position[u]))[:need]
    chosen = [best[u] for u in order_units]
    if need == 0:
        notes.append("the target is already met: no new sites needed")
    return SitingResult(
        chosen=tuple(int(j) for j in chosen),
        marginal_gain=tuple(1.0 for _ in chosen),
        objective=float(c + need),
        covered_before=float(c),
        covered_after=float(c + need),
        share_before=c / n_units,
        share_after=(c + need) / n_units,
        solver="greedy",
        status="optimal",
        gap=0.0,
        bound=float(c + need),
        time_s=time.perf_counter() - t0,
        notes=tuple(notes),
    )
