"""Maximal coverage as a sparse MILP solved by HiGHS (``scipy.optimize.milp``), gap and bound."""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from analysis.siting._problem import (
    Problem,
    covered_weight,
    greedy_bound,
    order_picks,
    result_from_picks,
    validate_problem,
)
from analysis.siting.greedy import lazy_greedy
from analysis.siting.result import SitingResult, SolverName
from analysis.siting.swap import local_search
from geo._errors import InfeasibleError, InputError


@dataclass(frozen=True)
class Model:
    cand: np.ndarray  # candidate indices of the x variables
    dem: np.ndarray  # demand indices of the y variables
    cover_rows: sp.csr_matrix  # (n_y, n_x + n_y): y_i − Σ a_ij x_j <= 0
    group_rows: sp.csr_matrix | None  # (n_groups_used, n_x + n_y)
    group_lb: np.ndarray
    group_ub: np.ndarray
    n_unreachable: int
    w_unreachable: float


def build_model(prob: Problem) -> Model:
    """Variables: x_j for allowed candidates; y_i for open, positive, coverable demand."""
    cov = prob.cov
    allowed_idx = np.flatnonzero(prob.allowed)
    reach = np.asarray(cov[allowed_idx].sum(axis=0)).ravel() > 0
    open_pos = ~prob.covered0 & (prob.weights > 0)
    dem = np.flatnonzero(open_pos & reach)
    unreach = open_pos & ~reach
    sub = cov[allowed_idx][:, dem]
    useful = np.asarray(sub.sum(axis=1)).ravel() > 0
    if prob.group_codes is not None and prob.must_codes:
        useful |= np.isin(prob.group_codes[allowed_idx], list(prob.must_codes))
    cand = allowed_idx[useful]
    sub = sp.csr_matrix(sub[useful])
    n_x, n_y = cand.size, dem.size
    cover_rows = sp.hstack([-sub.T, sp.identity(n_y, format="csr")], format="csr")
    group_rows = None
    g_lb = np.zeros(0)
    g_ub = np.zeros(0)
    if prob.group_codes is not None and n_x:
        codes = prob.group_codes[cand]
        used, inv, counts = np.unique(codes, return_inverse=True, return_counts=True)
        must = np.isin(used, list(prob.must_codes))
        keep = (counts > prob.max_per_group) | must
        if keep.any():
            row_of = np.full(used.size, -1)
            row_of[keep] = np.arange(int(keep.sum()))
            cols = np.flatnonzero(keep[inv])
            group_rows = sp.csr_matrix(
                (np.ones(cols.size), (row_of[inv[cols]], cols)),
                shape=(int(keep.sum()), n_x + n_y),
            )
            g_lb = np.where(must[keep], 1.0, 0.0)
            g_ub = np.full(int(keep.sum()), float(prob.max_per_group))
    return Model(
        cand=cand,
        dem=dem,
        cover_rows=cover_rows,
        group_rows=group_rows,
        group_lb=g_lb,
        group_ub=g_ub,
        n_unreachable=int(unreach.sum()),
        w_unreachable=float(prob.weights[unreach].sum()),
    )


def run_highs(
    c: np.ndarray,
    n_x: int,
    constraints: list[LinearConstraint],
    *,
    time_limit_s: float,
    mip_rel_gap: float,
) -> Any:
    n = c.size
    integrality = np.zeros(n)
    integrality[:n_x] = 1
    return milp(
        c,
        integrality=integrality,
        bounds=Bounds(np.zeros(n), np.ones(n)),
        constraints=constraints,
        options={
            "time_limit": float(time_limit_s),
            "mip_rel_gap": float(mip_rel_gap),
            "disp": False,
            "presolve": True,
        },
    )


def check_time_limits(time_limit_s: float, mip_rel_gap: float) -> None:
    if not (isinstance(time_limit_s, int | float) and time_limit_s > 0):
        raise InputError(f"time_limit_s={time_limit_s!r}: give a positive number of seconds")
    if not (isinstance(mip_rel_gap, int | float) and 0 <= mip_rel_gap < 1):
        raise InputError(f"mip_rel_gap={mip_rel_gap!r}: give a fraction in [0, 1), e.g. 1e-4")


def solve_exact(
    prob: Problem, *, time_limit_s: float, mip_rel_gap: float, t0: float
) -> SitingResult:
    model = build_model(prob)
    n_x, n_y = model.cand.size, model.dem.size
    notes: list[str] = []
    if model.n_unreachable:
        notes.append(
            f"{model.n_unreachable} demand point(s) with weight {model.w_unreachable:g} are "
            "reached by no allowed candidate and were left out of the model"
        )
    before = prob.covered_before
    k_eff = min(prob.k, n_x)
    if n_x == 0:
        return result_from_picks(
            prob,
            [],
            [],
            solver="highs",
            status="optimal",
            gap=0.0,
            bound=before,
            t0=t0,
            notes=[*notes, "no candidate reaches any uncovered demand"],
        )
    w_y = prob.weights[model.dem]
    c = np.concatenate([np.zeros(n_x), -w_y])
    card = np.concatenate([np.ones(n_x), np.zeros(n_y)])
    constraints = [
        LinearConstraint(model.cover_rows, -np.inf, 0.0),
        LinearConstraint(sp.csr_matrix(card), len(prob.must_codes), k_eff),
    ]
    if model.group_rows is not None:
        constraints.append(LinearConstraint(model.group_rows, model.group_lb, model.group_ub))
    res = run_highs(c, n_x, constraints, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)
    dual = getattr(res, "mip_dual_bound", None)
    bound_new = -float(dual) if dual is not None and np.isfinite(dual) else math.nan
    if res.status == 2:
        raise InfeasibleError(
            "the group limits cannot be met: HiGHS reports the model infeasible "
            f"({res.message}); raise max_per_group or k, or shorten must_groups"
        )
    if res.x is None and res.status != 1:
        raise InfeasibleError(
            f"HiGHS stopped without a solution (status {res.status}: {res.message}); "
            "check the group limits or raise time_limit_s"
        )
    if res.status == 0:
        chosen = model.cand[res.x[:n_x] > 0.5]
        order, gains, extra = order_picks(prob, chosen)
        new = float(sum(gains))
        gap = float(getattr(res, "mip_gap", math.nan))
        gap = max(gap, 0.0) if math.isfinite(gap) else 0.0
        if not math.isfinite(bound_new):
            bound_new = new
        return result_from_picks(
            prob,
            order,
            gains,
            solver="highs",
            status="optimal",
            gap=gap,
            bound=before + bound_new,
            t0=t0,
            notes=[*notes, *extra],
        )
    # stopped early: top the incumbent up to k greedily and keep the better of it and
    # greedy + swap; the bound is the tighter of HiGHS's dual bound and the submodular bound
    g_chosen, _, _ = lazy_greedy(prob)
    h_chosen, _ = local_search(prob, g_chosen, max_rounds=200)
    h_bound_new = greedy_bound(prob, h_chosen, prob.k) - before
    solver: SolverName = "greedy+swap"
    chosen_list = h_chosen
    if res.x is None:
        notes.append(f"HiGHS found no solution within {time_limit_s:g} s; greedy+swap returned")
    else:
        inc = [int(j) for j in model.cand[res.x[:n_x] > 0.5]]
        inc = inc + lazy_greedy(prob, inc)[0]
        if covered_weight(prob, inc) >= covered_weight(prob, h_chosen):
            solver, chosen_list = "highs", inc
        else:
            notes.append("greedy+swap beat the HiGHS incumbent and is returned")
    order, gains, extra = order_picks(prob, chosen_list)
    notes.extend(extra)
    new = float(sum(gains))
    bound_new = min(bound_new, h_bound_new) if math.isfinite(bound_new) else h_bound_new
    gap = max(bound_new - new, 0.0) / new if new > 0 else math.nan
    notes.append(
        f"stopped at time_limit_s={time_limit_s:g} with relative gap {gap:.2%}; "
        "raise time_limit_s for a proven optimum"
    )
    return result_from_picks(
        prob,
        order,
        gains,
        solver=solver,
        status="time_limit",
        gap=gap,
        bound=before + bound_new,
        t0=t0,
        notes=notes,
    )


def exact_mclp(
    coverage: Any,
    weights: Any,
    *,
    k: int,
    already_covered: Any = None,
    groups: Any = None,
    max_per_group: int = 1,
    must_groups: Iterable[Hashable] = (),
    forbidden: Iterable[int] = (),
    time_limit_s: float = 10.0,
    mip_rel_gap: float = 1e-4,
) -> SitingResult:
    """Maximal coverage solved to optimality (or a stated gap) by HiGHS.

    The model has a binary ``x_j`` per allowed candidate and a continuous ``y_i`` in [0, 1] per
    demand point that is not yet covered, has positive weight and is reachable by some allowed
    candidate (at the optimum ``y`` is 0/1): maximise ``Σ w_i y_i`` subject to
    ``y_i <= Σ_j a_ij x_j``, ``Σ x_j <= k`` and, with groups, ``Σ_{j in g} x_j <= max_per_group``
    (``>= 1`` for ``must_groups``). Constraint matrices are sparse; demand that no candidate
    reaches is dropped and counted in the notes.

    Parameters
    ----------
    coverage, weights, k, already_covered, groups, max_per_group, must_groups, forbidden
        As in :func:`greedy_mclp`.
    time_limit_s
        Wall-clock limit given to HiGHS.
    mip_rel_gap
        HiGHS stops when the relative gap falls below this.

    Returns
    -------
    SitingResult
        ``solver='highs'`` and ``status='optimal'``, or ``status='time_limit'`` with ``gap`` and
        ``bound``: then the HiGHS incumbent (topped up greedily to ``k`` sites) or the greedy+swap
        solution, whichever covers more (``solver`` says which), and the tighter of the HiGHS dual
        bound and the submodular bound.
    """
    t0 = time.perf_counter()
    check_time_limits(time_limit_s, mip_rel_gap)
    prob = validate_problem(
        coverage,
        weights,
        k=k,
        already_covered=already_covered,
        groups=groups,
        max_per_group=max_per_group,
        must_groups=must_groups,
        forbidden=forbidden,
    )
    return solve_exact(prob, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap, t0=t0)
