"""Local search on a set of sites: best 1-swaps, then drop-two-refill moves."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np

from analysis.siting._problem import (
    REL_TOL,
    Problem,
    covered_weight,
    greedy_bound,
    order_picks,
    result_from_picks,
    site_rows,
    validate_problem,
)
from analysis.siting.result import SitingResult
from geo._errors import InputError


def _best_one_swap(prob: Problem, chosen: list[int], tol: float) -> list[int] | None:
    """The best improving (drop one, open one) move, or None at a 1-swap local optimum."""
    cov = prob.cov
    w = prob.weights
    codes = prob.group_codes
    count = np.asarray(cov[chosen].sum(axis=0)).ravel()
    open_w = np.where(prob.covered0 | (count > 0), 0.0, w)
    free = prob.allowed.copy()
    free[chosen] = False
    add_gain = cov @ open_w  # gain of opening j next to the current set
    per = (
        np.bincount(codes[chosen], minlength=len(prob.group_labels)) if codes is not None else None
    )
    best = (tol, -1, -1)  # (improvement, position in chosen, candidate)
    for pos, s in enumerate(chosen):
        rows = site_rows(prob, s)
        only_s = rows[(count[rows] == 1) & ~prob.covered0[rows]]
        loss = float(w[only_s].sum())
        delta = add_gain - loss
        if only_s.size:  # opening j after dropping s also wins back what only s covered
            delta = delta + cov[:, only_s] @ w[only_s]
        ok = free.copy()
        if codes is not None and per is not None:
            cs = int(codes[s])
            full_after = per >= prob.max_per_group
            full_after[cs] = per[cs] - 1 >= prob.max_per_group
            ok &= ~full_after[codes]
            if cs in prob.must_codes and per[cs] == 1:
                ok &= codes == cs  # s is its must group's only site: swap within the group
        if not ok.any():
            continue
        cand = np.where(ok, delta, -np.inf)
        j = int(np.argmax(cand))  # lowest index among ties
        if cand[j] > best[0]:
            best = (float(cand[j]), pos, j)
    if best[1] < 0:
        return None
    out = list(chosen)
    out[best[1]] = best[2]
    return out


def _best_pair_add(prob: Problem, fixed: list[int]) -> tuple[float, list[int]] | None:
    """The two sites adding the most weight next to ``fixed`` (exact), respecting the limits.

    A pair adds ``g_a + g_b − overlap(a, b) <= g_a + g_b``; scanning ``a`` by decreasing gain,
    the scan stops once ``2·g_a`` cannot beat the best pair found.
    """
    cov = prob.cov
    codes = prob.group_codes
    covered = prob.covered0.copy()
    for j in fixed:
        covered[site_rows(prob, j)] = True
    w_open = np.where(covered, 0.0, prob.weights)
    g = cov @ w_open
    ok = prob.allowed.copy()
    ok[fixed] = False
    room = None
    unsat: set[int] = set()
    if codes is not None:
        per = np.bincount(codes[fixed], minlength=len(prob.group_labels))
        room = prob.max_per_group - per
        ok &= room[codes] >= 1
        unsat = set(prob.must_codes) - {int(c) for c in codes[fixed]}
    idx = np.flatnonzero(ok)
    if idx.size < 2:
        return None
    order = idx[np.lexsort((idx, -g[idx]))]
    best_val, best_pair = -1.0, None
    for a in order:
        if not unsat and 2.0 * g[a] <= best_val:
            break
        ov = cov @ np.where(np.isin(np.arange(w_open.size), site_rows(prob, a)), w_open, 0.0)
        val = g[a] + g - ov
        okb = ok.copy()
        okb[a] = False
        if codes is not None and room is not None:
            ca = int(codes[a])
            if room[ca] < 2:
                okb &= codes != ca
            if unsat:
                need = unsat - {ca}
                if len(need) > 1:
                    continue
                if need:
                    okb &= codes == next(iter(need))
        if not okb.any():
            continue
        cand = np.where(okb, val, -np.inf)
        b = int(np.argmax(cand))
        if cand[b] > best_val:
            best_val, best_pair = float(cand[b]), sorted((int(a), b))
    if best_pair is None:
        return None
    return best_val, best_pair


def _best_pair_refill(
    prob: Problem, chosen: list[int], tol: float, max_pairs: int
) -> list[int] | None:
    """The best improving (drop two, open the best two) move, or None."""
    current = covered_weight(prob, chosen)
    best_val, best_set = current + tol, None
    for n, (a, b) in enumerate(itertools.combinations(range(len(chosen)), 2)):
        if n >= max_pairs:
            break
        fixed = [j for i, j in enumerate(chosen) if i not in (a, b)]
        add = _best_pair_add(prob, fixed)
        if add is None:
            continue
        trial = fixed + add[1]
        val = covered_weight(prob, trial)
        if val > best_val:
            best_val, best_set = val, trial
    return best_set


def local_search(
    prob: Problem, start: Sequence[int], *, max_rounds: int, max_pairs: int = 2_000
) -> tuple[list[int], int]:
    """Local search: 1-swaps, then drop-two-refill moves when no 1-swap helps."""
    chosen = [int(j) for j in start]
    tol = REL_TOL * max(prob.total, 1.0)
    moves = 0
    while chosen and moves < max_rounds:
        nxt = _best_one_swap(prob, chosen, tol)
        if nxt is None and len(chosen) >= 2:
            nxt = _best_pair_refill(prob, chosen, tol, max_pairs)
        if nxt is None:
            break
        chosen = nxt
        moves += 1
    return chosen, moves


def swap_improve(
    coverage: Any,
    weights: Any,
    result: SitingResult,
    *,
    already_covered: Any = None,
    groups: Any = None,
    max_per_group: int = 1,
    must_groups: Iterable[Hashable] = (),
    forbidden: Iterable[int] = (),
    max_rounds: int = 200,
) -> SitingResult:
    """Improve a set of sites by local search until no move helps.

    Two moves, both keeping the group limits: the best 1-swap (drop one chosen site, open
    another; every pair is scored with two sparse products per chosen site), and, when no 1-swap
    helps, the best 2-swap: drop two chosen sites (the first 2,000 of the ``C(k, 2)`` pairs) and
    open the best two sites, found exactly by a pruned scan. The second move escapes the 1-swap
    optima that one-site-per-township limits create, where a site can only move within its own
    township; for ``k = 2`` it makes the search exact.

    Parameters
    ----------
    coverage, weights, already_covered, groups, max_per_group, must_groups, forbidden
        The same problem as the one ``result`` was solved on (see :func:`greedy_mclp`).
    result
        The starting solution, typically from :func:`greedy_mclp`.
    max_rounds
        At most this many improving moves.

    Returns
    -------
    SitingResult
        ``solver='greedy+swap'``; the same number of sites as ``result``; objective never lower.
    """
    t0 = time.perf_counter()
    k = max(len(result.chosen), 1)
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
    bad = [j for j in result.chosen if not 0 <= j < prob.n_candidates or not prob.allowed[j]]
    if bad:
        raise InputError(
            f"result.chosen contains {bad[0]!r}, which is not an allowed candidate of this "
            "problem; pass the same coverage/forbidden the result was solved with"
        )
    chosen, swaps = local_search(prob, result.chosen, max_rounds=max_rounds)
    order, gains, notes = order_picks(prob, chosen)
    notes = [f"{swaps} improving move(s)", *notes]
    if swaps >= max_rounds:
        notes.append(f"stopped after max_rounds={max_rounds} moves; more may help")
    return result_from_picks(
        prob,
        order,
        gains,
        solver="greedy+swap",
        status="feasible",
        gap=math.nan,
        bound=min(result.bound, greedy_bound(prob, order, k))
        if math.isfinite(result.bound)
        else greedy_bound(prob, order, k),
        t0=t0,
        notes=notes,
    )
