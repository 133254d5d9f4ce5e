"""A validated siting problem and the pick arithmetic every solver shares (internal).

``validate_problem`` checks the coverage matrix, weights and group limits once and returns
canonical arrays; the helpers below score, re-order and package a set of picks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.siting.result import SitingResult, SolverName, Status
from geo._errors import InfeasibleError, InputError

#: relative tolerance when comparing covered weights
REL_TOL = 1e-9


@dataclass(frozen=True)
class Problem:
    """A validated siting problem (internal)."""

    cov: sp.csr_matrix  # (n_candidates, n_demand), float64 0/1, canonical
    weights: np.ndarray  # (n_demand,), float64 >= 0
    covered0: np.ndarray  # (n_demand,), bool
    allowed: np.ndarray  # (n_candidates,), bool: not forbidden
    group_codes: np.ndarray | None  # (n_candidates,), int codes
    group_labels: tuple[Hashable, ...]
    max_per_group: int
    must_codes: frozenset[int]
    k: int

    @property
    def n_candidates(self) -> int:
        return int(self.cov.shape[0])

    @property
    def total(self) -> float:
        return float(self.weights.sum())

    @property
    def covered_before(self) -> float:
        return float(self.weights[self.covered0].sum())


def validate_problem(
    coverage: Any,
    weights: Any,
    *,
    k: int | None,
    already_covered: Any = None,
    groups: Any = None,
    max_per_group: int = 1,
    must_groups: Iterable[Hashable] = (),
    forbidden: Iterable[int] = (),
) -> Problem:
    """Check every input once and return canonical arrays; raise InputError/InfeasibleError."""
    # coverage -------------------------------------------------------------------------------
    if sp.issparse(coverage):
        cov = sp.csr_matrix(coverage)
    else:
        arr = np.asarray(coverage)
        if arr.ndim != 2:
            raise InputError(
                f"coverage must be a 2-D (n_candidates, n_demand) matrix, got shape {arr.shape}; "
                "build it with analysis.reach.coverage_matrix(...)"
            )
        cov = sp.csr_matrix(arr)
    if cov.ndim != 2:
        raise InputError(f"coverage must be 2-D, got shape {cov.shape}")
    n_cand, n_dem = (int(s) for s in cov.shape)
    if n_cand == 0:
        raise InputError(
            "coverage has 0 rows, i.e. no candidate sites; pass at least one candidate site "
            "(rows = candidates, columns = demand points)"
        )
    if cov.nnz and cov.dtype != bool:
        data = np.asarray(cov.data)
        if not np.issubdtype(data.dtype, np.number) or not np.all(np.isfinite(data)):
            raise InputError(
                "coverage must hold booleans (or 0/1), got non-finite or non-numeric entries; "
                "threshold travel times before passing them"
            )
        bad = ~np.isin(data, (0, 1))
        if bad.any():
            raise InputError(
                f"coverage must hold booleans (or 0/1), found the value {data[bad][0]!r}; "
                "pass coverage = travel_time_s <= budget_s, not the travel times"
            )
    cov = cov.astype(bool)
    cov.eliminate_zeros()
    cov = sp.csr_matrix(cov.astype(np.float64))
    cov.sort_indices()

    # weights --------------------------------------------------------------------------------
    w_in = np.asarray(weights)
    if w_in.ndim != 1:
        raise InputError(f"weights must be 1-D (one per demand point), got shape {w_in.shape}")
    if w_in.shape[0] != n_dem:
        hint = (
            "; coverage looks transposed: pass coverage.T (rows = candidates)"
            if w_in.shape[0] == n_cand
            else ""
        )
        raise InputError(
            f"weights has {w_in.shape[0]} entries but coverage has {n_dem} demand columns "
            f"(shape {cov.shape}); pass one weight per demand point{hint}"
        )
    try:
        w = w_in.astype(np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"weights must be numbers, got dtype {w_in.dtype}; convert the column with "
            "pd.to_numeric(...) first"
        ) from None
    bad_w = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad_w.size:
        i = int(bad_w[0])
        raise InputError(
            f"weights[{i}] = {w_in[i]!r} is negative or missing ({bad_w.size} such entries); "
            "demand weights must be finite and >= 0 (fill missing with 0 or drop the point)"
        )

    # already covered ------------------------------------------------------------------------
    if already_covered is None:
        covered0 = np.zeros(n_dem, dtype=bool)
    else:
        ac = np.asarray(already_covered)
        if ac.shape != (n_dem,):
            raise InputError(
                f"already_covered has shape {ac.shape} but there are {n_dem} demand points; "
                "pass one boolean per demand point"
            )
        if ac.dtype != bool and (
            not np.issubdtype(ac.dtype, np.number) or not np.isin(ac, (0, 1)).all()
        ):
            raise InputError(
                f"already_covered must be booleans, got dtype {ac.dtype}; pass a boolean mask "
                "of the demand already reached by existing facilities"
            )
        covered0 = ac.astype(bool)

    # k --------------------------------------------------------------------------------------
    if k is not None:
        if isinstance(k, bool) or not isinstance(k, int | np.integer):
            raise InputError(f"k must be a whole number of sites, got {k!r}")
        k = int(k)
        if k < 1:
            raise InputError(f"k={k}: ask for at least one new site (k >= 1)")
        if k > n_cand:
            raise InputError(f"k={k} but only {n_cand} candidates; lower k or add candidates")

    # forbidden ------------------------------------------------------------------------------
    allowed = np.ones(n_cand, dtype=bool)
    for f in forbidden:
        if isinstance(f, bool) or not isinstance(f, int | np.integer) or not 0 <= f < n_cand:
            raise InputError(
                f"forbidden contains {f!r}, which is not a candidate index in 0..{n_cand - 1}; "
                "pass row positions of coverage"
            )
        allowed[int(f)] = False
    if not allowed.any():
        raise InputError(
            f"all {n_cand} candidates are forbidden; remove some from forbidden or add candidates"
        )

    # groups ---------------------------------------------------------------------------------
    must = tuple(must_groups)
    if isinstance(max_per_group, bool) or not isinstance(max_per_group, int | np.integer):
        raise InputError(f"max_per_group must be a whole number, got {max_per_group!r}")
    if max_per_group < 1:
        raise InputError(f"max_per_group={max_per_group}: allow at least one site per group")
    group_codes: np.ndarray | None = None
    labels: tuple[Hashable, ...] = ()
    must_codes: frozenset[int] = frozenset()
    if groups is None:
        if must:
            raise InputError(
                f"must_groups={list(must)!r} given without groups; pass groups= (the township "
                "of each candidate)"
            )
    else:
        g = pd.Series(np.asarray(groups, dtype=object))
        if len(g) != n_cand:
            raise InputError(
                f"groups has {len(g)} entries but there are {n_cand} candidates; pass one group "
                "(township) per candidate"
            )
        missing = np.flatnonzero(g.isna().to_numpy())
        if missing.size:
            raise InputError(
                f"groups[{int(missing[0])}] is missing ({missing.size} such candidates); give "
                "every candidate its township, or drop it"
            )
        codes, uniq = pd.factorize(g, sort=False)
        group_codes = np.asarray(codes, dtype=np.int64)
        labels = tuple(uniq.tolist())
        lookup = {lab: c for c, lab in enumerate(labels)}
        mc: set[int] = set()
        for m in must:
            if m not in lookup:
                raise InputError(
                    f"must_groups contains {m!r}, which no candidate belongs to; known groups "
                    f"include {list(labels[:5])!r}; add a candidate there or drop it"
                )
            c = lookup[m]
            if not allowed[group_codes == c].any():
                raise InfeasibleError(
                    f"must_groups contains {m!r} but all its candidates are forbidden; "
                    "allow one of them or add a candidate there"
                )
            mc.add(c)
        must_codes = frozenset(mc)
        if k is not None and len(must_codes) > k:
            raise InfeasibleError(
                f"{len(must_codes)} must_groups need a site each but k={k}; raise k to at least "
                f"{len(must_codes)} or shorten must_groups"
            )

    return Problem(
        cov=cov,
        weights=w,
        covered0=covered0,
        allowed=allowed,
        group_codes=group_codes,
        group_labels=labels,
        max_per_group=int(max_per_group),
        must_codes=must_codes,
        k=k if k is not None else 0,
    )


def site_rows(prob: Problem, j: int) -> np.ndarray:
    c = prob.cov
    return c.indices[c.indptr[j] : c.indptr[j + 1]]


def max_sites(prob: Problem) -> int:
    """Largest number of sites the group caps and the forbidden list allow."""
    if prob.group_codes is None:
        return int(prob.allowed.sum())
    per = np.bincount(prob.group_codes[prob.allowed], minlength=len(prob.group_labels))
    return int(np.minimum(per, prob.max_per_group).sum())


def order_picks(prob: Problem, chosen: Iterable[int]) -> tuple[list[int], list[float], list[str]]:
    """Re-sequence a set of picks greedily; drop picks that add nothing (unless a must group needs them)."""
    remaining = sorted({int(j) for j in chosen})
    covered = prob.covered0.copy()
    order: list[int] = []
    gains: list[float] = []
    while remaining:
        best_j, best_g = -1, -1.0
        for j in remaining:
            rows = site_rows(prob, j)
            g = float(prob.weights[rows[~covered[rows]]].sum())
            if g > best_g:
                best_j, best_g = j, g
        order.append(best_j)
        gains.append(best_g)
        covered[site_rows(prob, best_j)] = True
        remaining.remove(best_j)
    keep_o: list[int] = []
    keep_g: list[float] = []
    dropped: list[int] = []
    must_done: set[int] = set()
    for j, g in zip(order, gains, strict=True):
        code = int(prob.group_codes[j]) if prob.group_codes is not None else -1
        if g > 0 or (code in prob.must_codes and code not in must_done):
            keep_o.append(j)
            keep_g.append(g)
            if code >= 0:
                must_done.add(code)
        else:
            dropped.append(j)
    notes = []
    if dropped:
        notes.append(
            f"{len(dropped)} chosen site(s) {dropped} added no new demand and were dropped"
        )
    return keep_o, keep_g, notes


def greedy_bound(prob: Problem, chosen: Sequence[int], k: int) -> float:
    """objective + sum of the k largest remaining single-site gains: an upper bound on the optimum."""
    covered = prob.covered0.copy()
    for j in chosen:
        covered[site_rows(prob, j)] = True
    w_open = np.where(covered, 0.0, prob.weights)
    gains = prob.cov @ w_open
    gains[~prob.allowed] = 0.0
    top = np.sort(gains)[::-1][:k]
    return float(prob.weights[covered].sum() + top.sum())


def result_from_picks(
    prob: Problem,
    order: Sequence[int],
    gains: Sequence[float],
    *,
    solver: SolverName,
    status: Status,
    gap: float,
    bound: float,
    t0: float,
    notes: Sequence[str] = (),
) -> SitingResult:
    before = prob.covered_before
    covered = prob.covered0.copy()
    for j in order:
        covered[site_rows(prob, j)] = True
    after = float(prob.weights[covered].sum())
    total = prob.total
    share = (lambda x: x / total) if total > 0 else (lambda x: math.nan)
    all_notes = list(notes)
    if total <= 0:
        all_notes.append("all demand weights are 0: shares are undefined (NaN)")
    if prob.k and len(order) < prob.k:
        all_notes.append(
            f"only {len(order)} of k={prob.k} sites are useful: further sites would cover no new "
            "demand or break the group limits"
        )
    return SitingResult(
        chosen=tuple(int(j) for j in order),
        marginal_gain=tuple(float(g) for g in gains),
        objective=after,
        covered_before=before,
        covered_after=after,
        share_before=share(before),
        share_after=share(after),
        solver=solver,
        status=status,
        gap=float(gap),
        bound=float(bound),
        time_s=time.perf_counter() - t0,
        notes=tuple(all_notes),
    )


def covered_weight(prob: Problem, chosen: Sequence[int]) -> float:
    covered = prob.covered0.copy()
    for j in chosen:
        covered[site_rows(prob, j)] = True
    return float(prob.weights[covered].sum())
