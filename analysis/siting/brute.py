"""Maximal coverage by enumerating every set of sites: the reference for tests and tiny cases."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np

from analysis.siting._problem import (
    REL_TOL,
    max_sites,
    order_picks,
    result_from_picks,
    validate_problem,
)
from analysis.siting.result import SitingResult
from geo._errors import InfeasibleError, InputError

_BRUTE_MAX_COMBINATIONS = 1_000_000


def brute_force_mclp(
    coverage: Any,
    weights: Any,
    *,
    k: int,
    already_covered: Any = None,
    groups: Any = None,
    max_per_group: int = 1,
    must_groups: Iterable[Hashable] = (),
    forbidden: Iterable[int] = (),
    max_combinations: int = _BRUTE_MAX_COMBINATIONS,
) -> SitingResult:
    """Maximal coverage by trying every set of sites; for tests and tiny instances.

    Enumerates the ``C(n_allowed, r)`` sets with ``r = min(k, most sites the group limits
    allow)`` (coverage never falls when a site is added, so the optimum has that size), in
    lexicographic order; the first best set wins.

    Parameters
    ----------
    coverage, weights, k, already_covered, groups, max_per_group, must_groups, forbidden
        As in :func:`greedy_mclp`.
    max_combinations
        Refuse (InputError) when there are more sets than this (default one million).

    Returns
    -------
    SitingResult
        ``solver='brute'``, ``status='optimal'``, ``gap`` 0.
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
    allowed_idx = np.flatnonzero(prob.allowed)
    r = min(prob.k, max_sites(prob))
    n_sets = math.comb(allowed_idx.size, r)
    if n_sets > max_combinations:
        raise InputError(
            f"brute force would try C({allowed_idx.size}, {r}) = {n_sets:,} sets, more than "
            f"max_combinations={max_combinations:,}; use exact_mclp for this size"
        )
    open_dem = np.flatnonzero(~prob.covered0 & (prob.weights > 0))
    dense = prob.cov[allowed_idx][:, open_dem].toarray().astype(bool)
    w = prob.weights[open_dem]
    codes = prob.group_codes[allowed_idx] if prob.group_codes is not None else None
    must = np.array(sorted(prob.must_codes), dtype=np.int64)
    best_val, best_set = -1.0, None
    combos = itertools.combinations(range(allowed_idx.size), r)
    chunk = 20_000
    while True:
        block = np.array(list(itertools.islice(combos, chunk)), dtype=np.int64).reshape(-1, r)
        if block.shape[0] == 0:
            break
        ok = np.ones(block.shape[0], dtype=bool)
        if codes is not None:
            gc = np.sort(codes[block], axis=1)
            cap = prob.max_per_group
            if r > cap:
                ok &= ~(gc[:, cap:] == gc[:, :-cap]).any(axis=1)
            for m in must:
                ok &= (gc == m).any(axis=1)
        if not ok.any():
            continue
        block = block[ok]
        hit = dense[block].any(axis=1)  # (sets, open demand)
        vals = hit.astype(np.float64) @ w
        i = int(np.argmax(vals))
        if vals[i] > best_val + REL_TOL * max(prob.total, 1.0):
            best_val, best_set = float(vals[i]), allowed_idx[block[i]]
    if best_set is None:
        raise InfeasibleError(
            "no set of sites meets the group limits and must_groups; raise k or max_per_group"
        )
    order, gains, notes = order_picks(prob, best_set)
    return result_from_picks(
        prob,
        order,
        gains,
        solver="brute",
        status="optimal",
        gap=0.0,
        bound=prob.covered_before + float(sum(gains)),
        t0=t0,
        notes=notes,
    )
