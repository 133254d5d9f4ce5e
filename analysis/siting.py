"""Where to put new facilities: maximal coverage, partial set cover and township targets.

The solvers see arrays only. A geometry adapter (``analysis.reach.coverage_matrix``) builds a
boolean ``coverage`` matrix of shape ``(n_candidates, n_demand)``: ``coverage[j, i]`` is True when
candidate site ``j`` reaches demand point ``i`` within the walking budget. ``weights`` are the
demand weights (e.g. residents aged 60+ per residential point).

Solvers
-------
* :func:`greedy_mclp` – lazy greedy, milliseconds, (1 − 1/e) guarantee without group caps.
* :func:`swap_improve` – 1-swap local search on any result.
* :func:`exact_mclp` – sparse MILP solved by HiGHS (``scipy.optimize.milp``) with gap and bound.
* :func:`brute_force_mclp` – enumeration, for tests and tiny instances.
* :func:`lscp` – fewest sites reaching a covered-weight share (partial set cover).
* :func:`sites_for_unit_target` – fewest new facilities to lift township coverage to a plan rate.

All return a frozen :class:`SitingResult`. Inputs are never mutated.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import math
import time
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from servicecircle._errors import InfeasibleError, InputError

SolverName = Literal["greedy", "greedy+swap", "highs", "brute"]
Status = Literal["optimal", "time_limit", "feasible", "infeasible"]

_BRUTE_MAX_COMBINATIONS = 1_000_000
_REL_TOL = 1e-9


@dataclass(frozen=True)
class SitingResult:
    """The sites chosen by one solver and what they achieve.

    Attributes
    ----------
    chosen
        Candidate indices (rows of ``coverage``) in pick order: each pick adds the most weight
        given the picks before it.
    marginal_gain
        Weight newly covered by each pick, in the order of ``chosen``.
    objective
        Covered weight after the picks, including demand already covered by existing facilities
        (equal to ``covered_after``).
    covered_before, covered_after
        Covered weight before and after the new sites.
    share_before, share_after
        The same as shares of the total weight.
    solver
        ``'greedy'``, ``'greedy+swap'``, ``'highs'`` or ``'brute'``.
    status
        ``'optimal'``, ``'time_limit'`` (stopped early; see ``gap``), ``'feasible'`` or
        ``'infeasible'``.
    gap
        Relative MIP gap of the newly covered weight, ``(bound − objective) / (objective −
        covered_before)``: 0 (or below the requested ``mip_rel_gap``) when optimal, NaN for the
        heuristics.
    bound
        An upper bound on the best reachable objective when known (the MILP dual bound, or for the
        heuristics the submodular bound ``objective + sum of the k best remaining gains``), else NaN.
    time_s
        Wall time of the solve in seconds.
    notes
        Plain-language remarks (dropped demand rows, fewer useful sites than asked, …).
    """

    chosen: tuple[int, ...]
    marginal_gain: tuple[float, ...]
    objective: float
    covered_before: float
    covered_after: float
    share_before: float
    share_after: float
    solver: SolverName
    status: Status
    gap: float
    bound: float
    time_s: float
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Problem:
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


# --------------------------------------------------------------------------- validation


def _validate_problem(
    coverage: Any,
    weights: Any,
    *,
    k: int | None,
    already_covered: Any = None,
    groups: Any = None,
    max_per_group: int = 1,
    must_groups: Iterable[Hashable] = (),
    forbidden: Iterable[int] = (),
) -> _Problem:
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

    return _Problem(
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


# --------------------------------------------------------------------------- shared helpers


def _rows(prob: _Problem, j: int) -> np.ndarray:
    c = prob.cov
    return c.indices[c.indptr[j] : c.indptr[j + 1]]


def _rank(prob: _Problem) -> int:
    """Largest number of sites the group caps and the forbidden list allow."""
    if prob.group_codes is None:
        return int(prob.allowed.sum())
    per = np.bincount(prob.group_codes[prob.allowed], minlength=len(prob.group_labels))
    return int(np.minimum(per, prob.max_per_group).sum())


def _order(prob: _Problem, chosen: Iterable[int]) -> tuple[list[int], list[float], list[str]]:
    """Re-sequence a set of picks greedily; drop picks that add nothing (unless a must group needs them)."""
    remaining = sorted({int(j) for j in chosen})
    covered = prob.covered0.copy()
    order: list[int] = []
    gains: list[float] = []
    while remaining:
        best_j, best_g = -1, -1.0
        for j in remaining:
            rows = _rows(prob, j)
            g = float(prob.weights[rows[~covered[rows]]].sum())
            if g > best_g:
                best_j, best_g = j, g
        order.append(best_j)
        gains.append(best_g)
        covered[_rows(prob, best_j)] = True
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


def _greedy_bound(prob: _Problem, chosen: Sequence[int], k: int) -> float:
    """objective + sum of the k largest remaining single-site gains: an upper bound on the optimum."""
    covered = prob.covered0.copy()
    for j in chosen:
        covered[_rows(prob, j)] = True
    w_open = np.where(covered, 0.0, prob.weights)
    gains = prob.cov @ w_open
    gains[~prob.allowed] = 0.0
    top = np.sort(gains)[::-1][:k]
    return float(prob.weights[covered].sum() + top.sum())


def _result(
    prob: _Problem,
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
        covered[_rows(prob, j)] = True
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


# --------------------------------------------------------------------------- greedy


def _greedy(prob: _Problem, fixed: Sequence[int] = ()) -> tuple[list[int], list[float], list[str]]:
    """Lazy greedy over the validated problem (see :func:`greedy_mclp`).

    ``fixed`` sites are kept and count towards ``k``; only the new picks are returned.
    """
    k = prob.k - len(fixed)
    covered = prob.covered0.copy()
    for j in fixed:
        covered[_rows(prob, j)] = True
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
        rows = _rows(prob, j)
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
    prob = _validate_problem(
        coverage,
        weights,
        k=k,
        already_covered=already_covered,
        groups=groups,
        max_per_group=max_per_group,
        must_groups=must_groups,
        forbidden=forbidden,
    )
    chosen, gains, notes = _greedy(prob)
    return _result(
        prob,
        chosen,
        gains,
        solver="greedy",
        status="feasible",
        gap=math.nan,
        bound=_greedy_bound(prob, chosen, prob.k),
        t0=t0,
        notes=notes,
    )


# --------------------------------------------------------------------------- swap


def _value(prob: _Problem, chosen: Sequence[int]) -> float:
    covered = prob.covered0.copy()
    for j in chosen:
        covered[_rows(prob, j)] = True
    return float(prob.weights[covered].sum())


def _best_one_swap(prob: _Problem, chosen: list[int], tol: float) -> list[int] | None:
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
        rows = _rows(prob, s)
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


def _best_pair_add(prob: _Problem, fixed: list[int]) -> tuple[float, list[int]] | None:
    """The two sites adding the most weight next to ``fixed`` (exact), respecting the limits.

    A pair adds ``g_a + g_b − overlap(a, b) <= g_a + g_b``; scanning ``a`` by decreasing gain,
    the scan stops once ``2·g_a`` cannot beat the best pair found.
    """
    cov = prob.cov
    codes = prob.group_codes
    covered = prob.covered0.copy()
    for j in fixed:
        covered[_rows(prob, j)] = True
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
        ov = cov @ np.where(np.isin(np.arange(w_open.size), _rows(prob, a)), w_open, 0.0)
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
    prob: _Problem, chosen: list[int], tol: float, max_pairs: int
) -> list[int] | None:
    """The best improving (drop two, open the best two) move, or None."""
    current = _value(prob, chosen)
    best_val, best_set = current + tol, None
    for n, (a, b) in enumerate(itertools.combinations(range(len(chosen)), 2)):
        if n >= max_pairs:
            break
        fixed = [j for i, j in enumerate(chosen) if i not in (a, b)]
        add = _best_pair_add(prob, fixed)
        if add is None:
            continue
        trial = fixed + add[1]
        val = _value(prob, trial)
        if val > best_val:
            best_val, best_set = val, trial
    return best_set


def _swap(
    prob: _Problem, start: Sequence[int], *, max_rounds: int, max_pairs: int = 2_000
) -> tuple[list[int], int]:
    """Local search: 1-swaps, then drop-two-refill moves when no 1-swap helps."""
    chosen = [int(j) for j in start]
    tol = _REL_TOL * max(prob.total, 1.0)
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
    prob = _validate_problem(
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
    chosen, swaps = _swap(prob, result.chosen, max_rounds=max_rounds)
    order, gains, notes = _order(prob, chosen)
    notes = [f"{swaps} improving move(s)", *notes]
    if swaps >= max_rounds:
        notes.append(f"stopped after max_rounds={max_rounds} moves; more may help")
    return _result(
        prob,
        order,
        gains,
        solver="greedy+swap",
        status="feasible",
        gap=math.nan,
        bound=min(result.bound, _greedy_bound(prob, order, k))
        if math.isfinite(result.bound)
        else _greedy_bound(prob, order, k),
        t0=t0,
        notes=notes,
    )


# --------------------------------------------------------------------------- MILP


@dataclass(frozen=True)
class _Model:
    cand: np.ndarray  # candidate indices of the x variables
    dem: np.ndarray  # demand indices of the y variables
    cover_rows: sp.csr_matrix  # (n_y, n_x + n_y): y_i − Σ a_ij x_j <= 0
    group_rows: sp.csr_matrix | None  # (n_groups_used, n_x + n_y)
    group_lb: np.ndarray
    group_ub: np.ndarray
    n_unreachable: int
    w_unreachable: float


def _build_model(prob: _Problem) -> _Model:
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
    return _Model(
        cand=cand,
        dem=dem,
        cover_rows=cover_rows,
        group_rows=group_rows,
        group_lb=g_lb,
        group_ub=g_ub,
        n_unreachable=int(unreach.sum()),
        w_unreachable=float(prob.weights[unreach].sum()),
    )


def _solve(
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


def _check_time(time_limit_s: float, mip_rel_gap: float) -> None:
    if not (isinstance(time_limit_s, int | float) and time_limit_s > 0):
        raise InputError(f"time_limit_s={time_limit_s!r}: give a positive number of seconds")
    if not (isinstance(mip_rel_gap, int | float) and 0 <= mip_rel_gap < 1):
        raise InputError(f"mip_rel_gap={mip_rel_gap!r}: give a fraction in [0, 1), e.g. 1e-4")


def _exact(prob: _Problem, *, time_limit_s: float, mip_rel_gap: float, t0: float) -> SitingResult:
    model = _build_model(prob)
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
        return _result(
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
    res = _solve(c, n_x, constraints, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)
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
        order, gains, extra = _order(prob, chosen)
        new = float(sum(gains))
        gap = float(getattr(res, "mip_gap", math.nan))
        gap = max(gap, 0.0) if math.isfinite(gap) else 0.0
        if not math.isfinite(bound_new):
            bound_new = new
        return _result(
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
    g_chosen, _, _ = _greedy(prob)
    h_chosen, _ = _swap(prob, g_chosen, max_rounds=200)
    h_bound_new = _greedy_bound(prob, h_chosen, prob.k) - before
    solver: SolverName = "greedy+swap"
    chosen_list = h_chosen
    if res.x is None:
        notes.append(f"HiGHS found no solution within {time_limit_s:g} s; greedy+swap returned")
    else:
        inc = [int(j) for j in model.cand[res.x[:n_x] > 0.5]]
        inc = inc + _greedy(prob, inc)[0]
        if _value(prob, inc) >= _value(prob, h_chosen):
            solver, chosen_list = "highs", inc
        else:
            notes.append("greedy+swap beat the HiGHS incumbent and is returned")
    order, gains, extra = _order(prob, chosen_list)
    notes.extend(extra)
    new = float(sum(gains))
    bound_new = min(bound_new, h_bound_new) if math.isfinite(bound_new) else h_bound_new
    gap = max(bound_new - new, 0.0) / new if new > 0 else math.nan
    notes.append(
        f"stopped at time_limit_s={time_limit_s:g} with relative gap {gap:.2%}; "
        "raise time_limit_s for a proven optimum"
    )
    return _result(
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
    _check_time(time_limit_s, mip_rel_gap)
    prob = _validate_problem(
        coverage,
        weights,
        k=k,
        already_covered=already_covered,
        groups=groups,
        max_per_group=max_per_group,
        must_groups=must_groups,
        forbidden=forbidden,
    )
    return _exact(prob, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap, t0=t0)


# --------------------------------------------------------------------------- brute force


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
    prob = _validate_problem(
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
    r = min(prob.k, _rank(prob))
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
        if vals[i] > best_val + _REL_TOL * max(prob.total, 1.0):
            best_val, best_set = float(vals[i]), allowed_idx[block[i]]
    if best_set is None:
        raise InfeasibleError(
            "no set of sites meets the group limits and must_groups; raise k or max_per_group"
        )
    order, gains, notes = _order(prob, best_set)
    return _result(
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


# --------------------------------------------------------------------------- LSCP


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
    _check_time(time_limit_s, mip_rel_gap)
    if (
        isinstance(min_share, bool)
        or not isinstance(min_share, int | float)
        or not (0 < min_share <= 1)
    ):
        raise InputError(f"min_share={min_share!r}: give a share in (0, 1], e.g. 0.9 for 90 %")
    prob = _validate_problem(
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
    tol = _REL_TOL * total
    if before >= target - tol and not prob.must_codes:
        return _result(
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
    model = _build_model(prob)
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
    res = _solve(c, n_x, constraints, time_limit_s=time_limit_s, mip_rel_gap=0.0)
    if res.status == 2:
        rank = _rank(prob)
        best = _exact(
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
        return _result(
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
    second = _exact(_replace_k(prob, p), time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap, t0=t0)
    if second.covered_after < target - tol:  # second stage stopped early and worse: keep first
        chosen = model.cand[res.x[:n_x] > 0.5]
        order, gains, extra = _order(prob, chosen)
        return _result(
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


def _replace_k(prob: _Problem, k: int) -> _Problem:
    return dataclasses.replace(prob, k=int(k))


# --------------------------------------------------------------------------- township target


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
