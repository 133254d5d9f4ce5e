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
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pandas as pd

from analysis.coverage import SUMMARY_COLUMNS as _COVERAGE_SUMMARY_COLUMNS
from geo.plans import COLUMNS as PLAN_COLUMNS
from servicecircle._errors import InputError

__all__ = [
    "COMPARE_COLUMNS",
    "NATIONAL_CODE",
    "PLANS",
    "STATUS_MET",
    "STATUS_NO_TARGET",
    "STATUS_NO_UNITS",
    "STATUS_NOT_MET",
    "SUMMARY_COLUMNS",
    "PlanInfo",
    "compare_with_targets",
    "held_to_text",
    "reach_targets",
    "region_prefixes",
    "targets_for_region",
    "units_needed",
]

NATIONAL_CODE = "000000"

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

#: catalogue columns the comparison needs (the catalogue's full column list is geo.plans.COLUMNS)
_CATALOGUE_COLUMNS = tuple(c for c in PLAN_COLUMNS if c not in ("plan_level", "source", "note"))


@dataclass(frozen=True)
class PlanInfo:
    """One plan the catalogue draws on.

    Attributes
    ----------
    plan_id
        The catalogue's ``plan_id``.
    plan_name
        The plan's title, as cited.
    plan_level
        national, province, city or district.
    region_code
        The region the plan governs: ``000000``, 2, 4 or 6 digits.
    region_name
        Its Chinese name.
    source_file
        The text in ``$SERVICE_DATA_DIR/../plans`` (``/work/shared/plans``) it was read from.
    """

    plan_id: str
    plan_name: str
    plan_level: str
    region_code: str
    region_name: str
    source_file: str


#: the plans in ``data/plan_targets.csv``, by plan_id
PLANS: Mapping[str, PlanInfo] = {
    p.plan_id: p
    for p in (
        PlanInfo(
            "national",
            "《“十四五”民政事业发展规划》",
            "national",
            NATIONAL_CODE,
            "全国",
            "003_e6fc943ba75c7f6b.txt",
        ),
        PlanInfo(
            "jiangxi",
            "《江西省民政事业发展“十四五”规划》",
            "province",
            "36",
            "江西省",
            "000_0042cc5eb03c5c1b.txt",
        ),
        PlanInfo(
            "zhushan",
            "《珠山区民政事业发展“十四五”规划》",
            "district",
            "360203",
            "景德镇市珠山区",
            "001_7b4ff369ae545bff.txt",
        ),
        PlanInfo(
            "jiangmen",
            "《江门市民政事业发展“十四五”规划》",
            "city",
            "4407",
            "江门市",
            "002_382c004963bde619.txt",
        ),
        PlanInfo(
            "guangdong",
            "广东省目标（引自《江门市民政事业发展“十四五”规划》）",
            "province",
            "44",
            "广东省",
            "002_382c004963bde619.txt",
        ),
        PlanInfo(
            "taizhou",
            "《泰州市“十四五”民政事业发展规划》",
            "city",
            "3212",
            "泰州市",
            "004_3fbd73979b362d8d.txt",
        ),
    )
}

_CODE = re.compile(r"^(\d{2}|\d{4}|\d{6})$")


def region_prefixes(region_code: str) -> tuple[str, ...]:
    """The catalogue codes a region inherits targets from, national first.

    Six-digit codes with trailing ``00`` pairs are read as the province or city they name
    (``440700`` is 江门市 = ``4407``; ``360000`` is 江西省 = ``36``).

    Parameters
    ----------
    region_code
        2, 4 or 6 digits (province, city, county), or ``000000`` for the whole country.

    Returns
    -------
    tuple of str
        E.g. ``("000000", "36", "3602", "360203")`` for ``"360203"``.

    Raises
    ------
    InputError
        The code is not 2, 4 or 6 digits.
    """
    code = str(region_code).strip()
    if not _CODE.match(code):
        raise InputError(
            f"region_code {region_code!r} must be 2, 4 or 6 digits "
            "(36 province, 4407 city, 360203 county, 000000 national); keep leading zeros."
        )
    if code == NATIONAL_CODE:
        return (NATIONAL_CODE,)
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return (NATIONAL_CODE,) + tuple(code[:n] for n in range(2, len(code) + 1, 2))


def targets_for_region(
    catalogue: pd.DataFrame,
    *,
    region_code: str,
    plan: str | None = None,
    year: int | None = None,
    layers: Iterable[str] | None = None,
    primary_only: bool = False,
) -> pd.DataFrame:
    """The numeric targets a region is held to.

    Parameters
    ----------
    catalogue
        The catalogue from :func:`geo.plans.read_plan_targets`.
    region_code
        The region measured (2, 4 or 6 digits). Without ``plan`` it inherits the national,
        provincial, city and its own targets by code prefix (see :func:`region_prefixes`).
    plan
        A ``plan_id`` (e.g. ``"jiangxi"``): return that plan's targets only and ignore the
        prefix rule, to hold any region to another plan's targets.
    year
        Keep only targets for this year (e.g. 2025, or 2023 for 江门's interim targets).
    layers
        Keep only these layers (elderly_care, social_work, cremains, minor_protection, other).
    primary_only
        Keep only the figure each plan uses by default (its main-indicator table row, else
        its text) for each layer, unit level and year.

    Returns
    -------
    pandas.DataFrame
        The matching catalogue rows, on the catalogue's index, in catalogue order. Reach
        statements (``unit_level == "reach"``, no percentage) are left out: see
        :func:`reach_targets`.

    Raises
    ------
    InputError
        A bad region code, an unknown plan, or a catalogue missing columns.
    """
    rows = _select(catalogue, region_code=region_code, plan=plan, year=year, layers=layers)
    rows = rows[rows["unit_level"] != "reach"]
    if primary_only:
        rows = rows[rows["primary"].astype(bool)]
    return rows.copy()


def reach_targets(
    catalogue: pd.DataFrame,
    *,
    region_code: str,
    plan: str | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """The walking-reach statements (15分钟养老服务圈 / 一刻钟居家养老服务圈) for a region.

    They carry no percentage, so :func:`compare_with_targets` never uses them; they name
    the plans a reach analysis answers to.

    Parameters
    ----------
    catalogue
        The catalogue from :func:`geo.plans.read_plan_targets`.
    region_code
        The region (inherits by code prefix unless ``plan`` is given).
    plan
        A ``plan_id``: that plan's statements only.
    year
        Keep only statements for this year.

    Returns
    -------
    pandas.DataFrame
        Catalogue rows with ``unit_level == "reach"``, on the catalogue's index.
    """
    rows = _select(catalogue, region_code=region_code, plan=plan, year=year, layers=None)
    return rows[rows["unit_level"] == "reach"].copy()


def _select(
    catalogue: pd.DataFrame,
    *,
    region_code: str,
    plan: str | None,
    year: int | None,
    layers: Iterable[str] | None,
) -> pd.DataFrame:
    missing = [c for c in _CATALOGUE_COLUMNS if c not in catalogue.columns]
    if missing:
        raise InputError(
            f"catalogue is missing column(s) {missing}; read it with geo.plans.read_plan_targets."
        )
    prefixes = region_prefixes(region_code)
    codes = catalogue["region_code"].astype(str)
    if plan is not None:
        known = sorted(set(catalogue["plan_id"].astype(str)))
        if plan not in known:
            raise InputError(f"plan {plan!r} is not in the catalogue; use one of {known}.")
        mask = catalogue["plan_id"].astype(str) == plan
    else:
        mask = codes.isin(prefixes)
    if year is not None:
        mask &= catalogue["year"].astype(int) == int(year)
    if layers is not None:
        wanted = [layers] if isinstance(layers, str) else list(layers)
        mask &= catalogue["layer"].astype(str).isin(wanted)
    return catalogue[mask]


def units_needed(*, covered: int, units: int, comparator: str, value_pct: float) -> int:
    """The fewest additional covered units for ``covered / units`` to meet a target.

    Parameters
    ----------
    covered
        Units with at least one facility now.
    units
        All units (the denominator).
    comparator
        ``">="`` or ``">"``.
    value_pct
        The target, 0–100.

    Returns
    -------
    int
        ``>= 0``; capped at ``units - covered`` when the target cannot be met at all
        (e.g. ">100 %"), which :func:`compare_with_targets` flags as not attainable.
    """
    need = _covered_required(units=units, comparator=comparator, value_pct=value_pct)
    return max(0, min(need, units) - covered)


def _covered_required(*, units: int, comparator: str, value_pct: float) -> int:
    """Smallest covered count meeting the target (may exceed ``units``)."""
    threshold = _fraction(value_pct) * units / 100  # exact
    if comparator == ">=":
        return math.ceil(threshold)
    if comparator == ">":
        return math.floor(threshold) + 1
    raise InputError(f"comparator {comparator!r} must be '>=' or '>'.")


def _fraction(value_pct: float) -> Fraction:
    # via the shortest repr, so 33.3 is 333/10, not the binary double nearest it
    return Fraction(repr(float(value_pct)))


def _meets(*, covered: int, units: int, comparator: str, value_pct: float) -> bool:
    lhs = Fraction(covered * 100)
    rhs = _fraction(value_pct) * units
    return lhs >= rhs if comparator == ">=" else lhs > rhs


def held_to_text(
    *, plan_name: str, indicator: str, comparator: str, value_pct: float, year: int
) -> str:
    """A readable statement of a target, e.g. ``《…》 乡镇（街道）…覆盖率 ≥60%（2025）``."""
    sign = "≥" if comparator == ">=" else ">"
    value = f"{float(value_pct):g}"
    return f"{plan_name} {indicator} {sign}{value}%（{int(year)}）"


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
    missing = [c for c in _CATALOGUE_COLUMNS if c not in targets.columns]
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
    required = _covered_required(units=units, comparator=comparator, value_pct=value)
    if units == 0:
        status = STATUS_NO_UNITS
        needed = 0
        attainable = True
    else:
        met = _meets(covered=covered, units=units, comparator=comparator, value_pct=value)
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
