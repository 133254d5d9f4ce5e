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

Rooms
-----
* ``result`` – SitingResult and the solver/status names.
* ``_problem`` – input validation and the pick arithmetic the solvers share.
* ``greedy, swap, exact, brute, covering`` – one solver family each.
"""

from __future__ import annotations

from analysis.siting.brute import brute_force_mclp
from analysis.siting.covering import lscp, sites_for_unit_target
from analysis.siting.exact import exact_mclp
from analysis.siting.greedy import greedy_mclp
from analysis.siting.result import SitingResult, SolverName, Status
from analysis.siting.swap import swap_improve

__all__ = [
    "SitingResult",
    "SolverName",
    "Status",
    "brute_force_mclp",
    "exact_mclp",
    "greedy_mclp",
    "lscp",
    "sites_for_unit_target",
    "swap_improve",
]
