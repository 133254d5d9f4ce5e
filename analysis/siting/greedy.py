"""Maximal coverage by lazy greedy (Minoux): the fast solver and the start of every local search."""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np

from analysis.siting._problem import (
    Problem,
    greedy_bound,
    result_from_picks,
    site_rows,
    validate_problem,
)
from analysis.siting.result import SitingResult
from geo._errors import InfeasibleError


def lazy_greedy(
    prob: Problem, fixed: Sequence[int] = ()
) -> tuple[list[int], list[float], list[str]]:
    """Lazy greedy over the validated problem (see :func:`greedy_mclp`).

    ``fixed`` sites are kept and count towards ``k``; only the new picks are returned.
    """
    k = prob.k - len(fixed)
    covered = prob.covered0.copy()
    for j in fixed:
        covered[site_rows(prob, j)] = True
    w_open = np.where(covered, 0.0, prob.weights)
    gains0 = prob.cov @ w_open
    free = prob.allowed.copy()
    free[list(fixed)] = False
    heap = [(-float(gains0[j]), int(j)) for j in np.flatnonzero(free)]
    heapq.heapify(heap)
    codes = prob.group_codes
    per_group = None
    unsat = set(prob.must_codes)
    if codes is not None:
        per_group = np.bincount(
            codes[list(fixed)].astype(np.int64), minlength=len(prob.group_labels)
        )
        unsat -= {int(codes[j]) for j in fixed}
    restricted = False
    chosen: list[int] = []
    gains: list[float] = []
    notes: list[str] = []
    while len(chosen) < k and heap:
        if unsat and k - len(chosen) <= len(unsat):
            restricted = True
        neg, j = heapq.heappop(heap)
        if codes is not None and per_group is not None:
            c = int(codes[j])
            if per_group[c] >= prob.max_per_group:
                continue  # the group is full for good
            if restricted and c not in unsat:
                continue  # the remaining slots belong to must groups
        rows = site_rows(prob, j)
        g = float(w_open[rows].sum())
        if heap and (-g, j) > heap[0]:
            heapq.heappush(heap, (-g, j))  # stale: re-queue with the fresh gain
            continue
        if g <= 0 and not restricted:
            if unsat:
                restricted = True
                heapq.heappush(heap, (-g, j))
                continue
            break
        chosen.append(j)
        gains.append(g)
        w_open[rows] = 0.0
        if codes is not None and per_group is not None:
            c = int(codes[j])
            per_group[c] += 1
            unsat.discard(c)
    if unsat:  # cannot happen after validation; kept as a guard with a clear message
        raise InfeasibleError(
            f"could not place a site in must groups {[prob.group_labels[c] for c in unsat]}; "
            "raise k or allow more candidates there"
        )
    return chosen, gains, notes


def greedy_mclp(
    coverage: Any,
    weights: Any,
    *,
    k: int,
    already_covered: Any = None,
    groups: Any = None,
    max_per_group: int = 1,
    must_groups: Iterable[Hashable] = (),
    forbidden: Iterable[int] = (),
) -> SitingResult:
    """Maximal coverage by lazy greedy: pick, k times, the site adding the most uncovered weight.

    Covered weight is monotone submodular in the set of sites, so greedy reaches at least
    (1 − 1/e) ≈ 63.2 % of the optimum when only the number of sites is limited (Nemhauser,
    Wolsey & Fisher 1978). With group limits (a partition matroid: at most ``max_per_group`` per
    township) the guarantee drops to 1/2, and ``must_groups`` void it; in practice greedy stays
    within a few per cent (see :func:`swap_improve` and :func:`exact_mclp`). Marginal gains are
    kept in a priority queue and recomputed only when a stale value reaches the top (Minoux's
    lazy evaluation); ties go to the lowest candidate index, so the result is deterministic.

    Parameters
    ----------
    coverage
        Boolean ``(n_candidates, n_demand)`` matrix (scipy.sparse or dense): candidate ``j``
        reaches demand point ``i``.
    weights
        Demand weight per demand point (finite, >= 0).
    k
        Number of new sites (1 <= k <= n_candidates).
    already_covered
        Boolean mask of demand reached by existing facilities; it counts in the objective and
        adds nothing to a new site's gain.
    groups
        Group label (township) per candidate, enabling ``max_per_group`` and ``must_groups``.
    max_per_group
        At most this many new sites per group.
    must_groups
        Groups that must receive a new site.
    forbidden
        Candidate indices that may not be chosen (e.g. closed sites).

    Returns
    -------
    SitingResult
        ``solver='greedy'``, ``status='feasible'``, ``gap`` NaN and ``bound`` the submodular bound.
        Fewer than ``k`` sites are returned (with a note) when further sites would add nothing.
    """
    t0 = time.perf_counter()
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
    chosen, gains, notes = lazy_greedy(prob)
    return result_from_picks(
        prob,
        chosen,
        gains,
        solver="greedy",
        status="feasible",
        gap=math.nan,
        bound=greedy_bound(prob, chosen, prob.k),
        t0=t0,
        notes=notes,
    )
