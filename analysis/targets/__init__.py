"""Which plan targets apply to a region, and how its coverage compares with them.

Pure functions over the catalogue read by :func:`geo.plans.read_plan_targets` and over a
coverage summary; no file or network IO.

Inheritance: a region is held to the targets of every plan above it, found by code
prefix. County 360203 (珠山区) gets the rows whose ``region_code`` is ``000000`` (national),
``36`` (江西省), ``3602`` (景德镇市, if catalogued) and ``360203`` itself. Asking for one
``plan`` instead drops the prefix rule: any region's figures can be held to that plan's
targets (e.g. Wuhan against 江西's).

Comparison is exact: ``covered / units`` is compared with ``value_pct / 100`` as fractions,
so 3 of 5 units is exactly 60 % and meets a "≥60 %" target.

Rooms
-----
* ``selection`` – which targets apply.
* ``arithmetic`` – exact rate arithmetic.
* ``comparison`` – figures held to targets.
* ``measures`` – how each target is measured (which register, which units).
"""

from __future__ import annotations

from analysis.targets.arithmetic import held_to_text, units_needed
from analysis.targets.comparison import (
    COMPARE_COLUMNS,
    STATUS_MET,
    STATUS_NO_TARGET,
    STATUS_NO_UNITS,
    STATUS_NOT_MET,
    SUMMARY_COLUMNS,
    compare_with_targets,
)
from analysis.targets.measures import (
    MEASURE_COLUMNS,
    MEASURED_COLUMNS,
    measured_levels,
    measured_targets,
    measuring_path,
    measuring_paths,
)
from analysis.targets.selection import (
    NATIONAL_CODE,
    PLANS,
    PlanInfo,
    reach_targets,
    region_prefixes,
    targets_for_region,
)

__all__ = [
    "COMPARE_COLUMNS",
    "MEASURED_COLUMNS",
    "MEASURE_COLUMNS",
    "NATIONAL_CODE",
    "PLANS",
    "PlanInfo",
    "STATUS_MET",
    "STATUS_NOT_MET",
    "STATUS_NO_TARGET",
    "STATUS_NO_UNITS",
    "SUMMARY_COLUMNS",
    "compare_with_targets",
    "held_to_text",
    "measured_levels",
    "measured_targets",
    "measuring_path",
    "measuring_paths",
    "reach_targets",
    "region_prefixes",
    "targets_for_region",
    "units_needed",
]
