"""Each coverage figure held to every matching plan target, with status and units needed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.coverage import SUMMARY_COLUMNS as _COVERAGE_SUMMARY_COLUMNS
from analysis.targets.arithmetic import covered_required, held_to_text, meets, units_needed
from analysis.targets.selection import CATALOGUE_COLUMNS, region_prefixes
from geo._errors import InputError

STATUS_MET = "达标"
STATUS_NOT_MET = "未达标"
STATUS_NO_TARGET = "无对应指标"
STATUS_NO_UNITS = "无统计单元"

#: columns a coverage summary must have (one row per scope, unit code, layer, unit_level)
SUMMARY_COLUMNS: tuple[str, ...] = tuple(_COVERAGE_SUMMARY_COLUMNS)

#: target columns added by :func:`compare_with_targets`, after the summary's own columns
COMPARE_COLUMNS: tuple[str, ...] = (
    "target_id",
    "plan_name",
    "region_name",
    "indicator",
    "year",
    "comparator",
    "target_pct",
    "property",
    "primary",
    "citation",
    "status",
    "units_needed",
    "attainable",
    "held_to",
)


def compare_with_targets(
    summary: pd.DataFrame, targets: pd.DataFrame, *, by_region: bool = False
) -> pd.DataFrame:
    """Hold each coverage figure to every matching plan target.

    Parameters
    ----------
    summary
        One row per (scope, code, layer, unit_level) with the columns in
        :data:`SUMMARY_COLUMNS`: ``units`` (int, the denominator), ``covered`` (int),
        ``rate`` (0–1), ``uncovered_codes`` and ``uncovered_names`` (lists of str).
    targets
        Catalogue rows, usually from :func:`targets_for_region`. Reach rows and rows
        without a percentage are ignored.
    by_region
        If True, a summary row only meets the targets whose ``region_code`` its own
        ``code`` inherits (see :func:`region_prefixes`); use it when the summary spans
        several regions and ``targets`` is a whole catalogue. Leave False to apply every
        given target to every row (e.g. ``--plan jiangxi`` on Wuhan figures).

    Returns
    -------
    pandas.DataFrame
        On a fresh RangeIndex, in summary order and then target order: one row per summary
        row and matching target (same ``layer`` and ``unit_level``: a ``street_only``
        target is held against the street-only row, a township target against the township
        row, a county-level cremains target against the county row). Columns are the
        summary's, then :data:`COMPARE_COLUMNS`:

        - ``target_pct`` the target in percent; ``status`` 达标 / 未达标;
        - ``units_needed`` the fewest more units to cover to meet the target (0 when met);
        - ``attainable`` False when covering every unit would still not meet it
          (then ``units_needed`` is capped at ``units - covered``);
        - ``held_to`` e.g. ``《…》 乡镇（街道）…覆盖率 ≥60%（2025）``.

        A summary row with no matching target appears once, with empty target columns and
        status 无对应指标. A row with ``units == 0`` has status 无统计单元.
        The inputs are not modified.

    Raises
    ------
    InputError
        A missing column, or ``units``/``covered`` that are not whole numbers with
        ``0 <= covered <= units``; the message names the row.
    """
    _check_summary(summary)
    missing = [c for c in CATALOGUE_COLUMNS if c not in targets.columns]
    if missing:
        raise InputError(
            f"targets is missing column(s) {missing}; pass rows of the catalogue read by "
            "geo.plans.read_plan_targets (e.g. from targets_for_region)."
        )
    numeric = targets[(targets["unit_level"] != "reach") & targets["value_pct"].notna()]
    tgt_records = numeric.to_dict("records")

    records: list[dict[str, Any]] = []
    for srow in summary.to_dict("records"):
        base = {c: _copy_cell(v) for c, v in srow.items()}
        prefixes = region_prefixes(str(srow["code"])) if by_region else None
        matched = [
            t
            for t in tgt_records
            if t["layer"] == srow["layer"]
            and t["unit_level"] == srow["unit_level"]
            and (prefixes is None or str(t["region_code"]) in prefixes)
        ]
        if not matched:
            records.append({**base, **_empty_target(), "status": STATUS_NO_TARGET})
            continue
        for t in matched:
            records.append({**{c: _copy_cell(v) for c, v in base.items()}, **_compare_one(srow, t)})

    columns = list(summary.columns) + [c for c in COMPARE_COLUMNS if c not in summary.columns]
    out = pd.DataFrame.from_records(records, columns=columns)
    out["year"] = out["year"].astype("Int64")
    out["target_pct"] = out["target_pct"].astype("float64")
    out["primary"] = out["primary"].astype("boolean")
    out["units_needed"] = out["units_needed"].astype("Int64")
    out["attainable"] = out["attainable"].astype("boolean")
    return out


def _compare_one(srow: Mapping[str, Any], t: Mapping[str, Any]) -> dict[str, Any]:
    units = int(srow["units"])
    covered = int(srow["covered"])
    comparator = str(t["comparator"])
    value = float(t["value_pct"])
    required = covered_required(units=units, comparator=comparator, value_pct=value)
    if units == 0:
        status = STATUS_NO_UNITS
        needed = 0
        attainable = True
    else:
        met = meets(covered=covered, units=units, comparator=comparator, value_pct=value)
        status = STATUS_MET if met else STATUS_NOT_MET
        needed = units_needed(covered=covered, units=units, comparator=comparator, value_pct=value)
        attainable = required <= units
    return {
        "target_id": t["target_id"],
        "plan_name": t["plan_name"],
        "region_name": t["region_name"],
        "indicator": t["indicator"],
        "year": int(t["year"]),
        "comparator": comparator,
        "target_pct": value,
        "property": t["property"],
        "primary": bool(t["primary"]),
        "citation": t["citation"],
        "status": status,
        "units_needed": needed,
        "attainable": attainable,
        "held_to": held_to_text(
            plan_name=str(t["plan_name"]),
            indicator=str(t["indicator"]),
            comparator=comparator,
            value_pct=value,
            year=int(t["year"]),
        ),
    }


def _empty_target() -> dict[str, Any]:
    return {c: None for c in COMPARE_COLUMNS if c != "status"}


def _copy_cell(value: Any) -> Any:
    # list cells (uncovered_codes/names) are copied so the output never shares them
    return list(value) if isinstance(value, (list, tuple)) else value


def _check_summary(summary: pd.DataFrame) -> None:
    missing = [c for c in SUMMARY_COLUMNS if c not in summary.columns]
    if missing:
        raise InputError(
            f"summary is missing column(s) {missing}; it needs {list(SUMMARY_COLUMNS)}, one row "
            "per scope, unit code, layer and unit_level."
        )
    for label, row in summary.iterrows():
        units, covered = row["units"], row["covered"]
        if not (_is_whole(units) and _is_whole(covered)):
            raise InputError(
                f"summary row {label!r} (code {row['code']!r}, layer {row['layer']!r}): units "
                f"{units!r} and covered {covered!r} must be whole numbers; count units, "
                "don't pass rates."
            )
        if not 0 <= int(covered) <= int(units):
            raise InputError(
                f"summary row {label!r} (code {row['code']!r}, layer {row['layer']!r}): covered "
                f"{covered!r} must be between 0 and units {units!r}; recount the covered units."
            )


def _is_whole(value: Any) -> bool:
    try:
        return float(value) == int(value)
    except (TypeError, ValueError):
        return False
