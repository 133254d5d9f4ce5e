"""Siting scenarios on a region: candidates, best k, fewest sites, what-if — saved and compared.

Geometry is adapted here (snapping, bounded searches, township lookup); the solvers in
:mod:`analysis.siting` and the arithmetic in :mod:`analysis.scenario` only see arrays.
One room per concern: :mod:`.candidates`, :mod:`.problem` (the problem built once),
:mod:`.questions` (best k, fewest, what-if), :mod:`.outcome` (before/after of an answer),
:mod:`.persistence` (tables, comparison, workspace) and :mod:`.areas` (the new sites' reach).
"""

from __future__ import annotations

from servicecircle.scenarios.areas import new_site_areas
from servicecircle.scenarios.candidates import (
    CANDIDATE_METHODS,
    candidates_from_file,
    generate_candidates,
)
from servicecircle.scenarios.outcome import Scenario, scenario_from_result

# _summary_after and _weights: private helpers that tests/test_scenarios.py and
# benchmarks/siting.py check directly
from servicecircle.scenarios.outcome import _summary_after as _summary_after
from servicecircle.scenarios.persistence import (
    compare_scenarios,
    load_scenario,
    save_scenario,
    scenario_tables,
)
from servicecircle.scenarios.problem import (
    SitingProblem,
    closed_rows,
    siting_problem,
    unreachable_candidates,
)
from servicecircle.scenarios.questions import _weights as _weights
from servicecircle.scenarios.questions import (
    best_k,
    fewest_for_share,
    fewest_for_township_target,
    what_if,
)

__all__ = [
    "CANDIDATE_METHODS",
    "Scenario",
    "SitingProblem",
    "best_k",
    "candidates_from_file",
    "closed_rows",
    "compare_scenarios",
    "fewest_for_share",
    "fewest_for_township_target",
    "generate_candidates",
    "load_scenario",
    "new_site_areas",
    "save_scenario",
    "scenario_from_result",
    "scenario_tables",
    "siting_problem",
    "unreachable_candidates",
    "what_if",
]
