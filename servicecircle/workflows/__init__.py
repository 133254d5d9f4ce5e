"""End-to-end runs shared by the CLI, the demo and the app: read (geo) -> measure (analysis).

Nothing here draws widgets or parses arguments; everything here returns frozen records.
One room per run: :mod:`.region` (counties, townships and their polygons), :mod:`.registers`
(facility registers), :mod:`.coverage` (township coverage against the plan targets),
:mod:`.streets` (the walking network) and :mod:`.reach` (the 15-minute service circle).
"""

from __future__ import annotations

from servicecircle.workflows.coverage import CoverageRun, coverage_run
from servicecircle.workflows.reach import ReachRun, reach_run
from servicecircle.workflows.region import WGS84, Region, group_of, load_region
from servicecircle.workflows.registers import Imported, RegisterSpec, import_registers
from servicecircle.workflows.streets import Streets, load_streets, load_streets_online

__all__ = [
    "WGS84",
    "CoverageRun",
    "Imported",
    "ReachRun",
    "Region",
    "RegisterSpec",
    "Streets",
    "coverage_run",
    "group_of",
    "import_registers",
    "load_region",
    "load_streets",
    "load_streets_online",
    "reach_run",
]
