"""The frozen result every siting solver returns, and the names of solvers and statuses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SolverName = Literal["greedy", "greedy+swap", "highs", "brute"]
Status = Literal["optimal", "time_limit", "feasible", "infeasible"]


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
