"""Read the plan-target catalogue (``data/plan_targets.csv``) and check its schema.

The catalogue lists every facility-coverage target of the five-year plans the project
measures against, one row per figure, each with its citation (see ``data/PLAN_TARGETS.md``).
This module knows the file format only; which targets apply to a region is decided in
``analysis/targets.py``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from geo._errors import DataMissingError, InputError
from geo.layers import LAYERS
from geo.settings import project_root

__all__ = [
    "COLUMNS",
    "COMPARATORS",
    "PLAN_LEVELS",
    "PROPERTIES",
    "SOURCES",
    "TARGET_LAYERS",
    "UNIT_LEVELS",
    "default_catalogue_path",
    "read_plan_targets",
]

#: the catalogue's columns, in file order
COLUMNS: tuple[str, ...] = (
    "target_id",
    "plan_id",
    "plan_name",
    "plan_level",
    "region_code",
    "region_name",
    "indicator",
    "layer",
    "unit_level",
    "year",
    "comparator",
    "value_pct",
    "property",
    "source",
    "citation",
    "primary",
    "note",
)
COMPARATORS: frozenset[str] = frozenset({">=", ">"})
PLAN_LEVELS: frozenset[str] = frozenset({"national", "province", "city", "district"})
#: the facility layers of :data:`geo.layers.LAYERS`, plus ``other`` for a figure no layer counts
TARGET_LAYERS: frozenset[str] = frozenset({*LAYERS, "other"})
UNIT_LEVELS: frozenset[str] = frozenset(
    {"township", "street_only", "county", "village", "community", "reach"}
)
PROPERTIES: frozenset[str] = frozenset({"约束性", "预期性", ""})
SOURCES: frozenset[str] = frozenset({"table", "text", "box"})

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_REGION_CODE = re.compile(r"^(\d{2}|\d{4}|\d{6})$")
_PLAN_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def default_catalogue_path() -> Path:
    """The committed catalogue: ``<project root>/data/plan_targets.csv``."""
    return project_root() / "data" / "plan_targets.csv"


def read_plan_targets(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate the plan-target catalogue.

    Parameters
    ----------
    path
        The CSV file (UTF-8). None reads the committed ``data/plan_targets.csv``.

    Returns
    -------
    pandas.DataFrame
        One row per target, columns as in :data:`COLUMNS`, on a fresh RangeIndex.
        ``region_code`` stays a string (leading zeros kept), ``year`` is int64,
        ``value_pct`` float64 (NaN only for ``unit_level == "reach"``), ``primary`` bool;
        the other columns are strings, empty where the file is empty.

    Raises
    ------
    DataMissingError
        The file does not exist.
    InputError
        A column is missing, or a row breaks the schema; the message names the file, the
        row (1-based, header excluded, with its line in the file), the bad value and the fix.
    """
    file = Path(path) if path is not None else default_catalogue_path()
    if not file.is_file():
        raise DataMissingError(
            f"plan-target catalogue not found: {file}. Pass the path of plan_targets.csv, "
            "or restore data/plan_targets.csv from the repository."
        )
    try:
        raw = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{file}: not UTF-8 ({exc}). Save the catalogue as UTF-8.") from exc

    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(
            f"{file}: missing column(s) {missing}; the header must contain {list(COLUMNS)}."
        )
    raw = raw.loc[:, list(COLUMNS)].apply(lambda s: s.str.strip())

    years: list[int] = []
    values: list[float] = []
    primaries: list[bool] = []
    seen: dict[str, int] = {}
    primary_keys: dict[tuple[str, str, str, str, int], int] = {}
    for pos, rec in enumerate(raw.to_dict("records"), start=1):
        where = f"{file} row {pos} (line {pos + 1}, target_id {rec['target_id']!r})"
        _check_row(rec, where)
        tid = rec["target_id"]
        if tid in seen:
            raise InputError(
                f"{where}: target_id {tid!r} already used in row {seen[tid]}; "
                "give each row its own target_id."
            )
        seen[tid] = pos
        year = int(rec["year"])
        value = _parse_value(rec, where)
        primary = rec["primary"].lower() in _TRUE
        if primary:
            key = (rec["plan_id"], rec["region_code"], rec["layer"], rec["unit_level"], year)
            if key in primary_keys:
                raise InputError(
                    f"{where}: a second primary row for plan {key[0]!r}, region {key[1]}, "
                    f"layer {key[2]!r}, unit_level {key[3]!r}, year {key[4]} (the first is row "
                    f"{primary_keys[key]}); set primary to false on all but one."
                )
            primary_keys[key] = pos
        years.append(year)
        values.append(value)
        primaries.append(primary)

    out = raw.reset_index(drop=True)
    out["year"] = pd.Series(years, dtype="int64")
    out["value_pct"] = pd.Series(values, dtype="float64")
    out["primary"] = pd.Series(primaries, dtype="bool")
    return out


def _check_row(rec: dict[str, str], where: str) -> None:
    """Raise InputError for the first schema violation of one catalogue row."""
    if not rec["target_id"]:
        raise InputError(f"{where}: target_id is empty; give the row a short unique slug.")
    if not _PLAN_ID.match(rec["plan_id"]):
        raise InputError(
            f"{where}: plan_id {rec['plan_id']!r} is not a lowercase slug "
            "(e.g. national, jiangxi); fix the plan_id."
        )
    _check_choice(rec, "plan_level", PLAN_LEVELS, where)
    if not _REGION_CODE.match(rec["region_code"]):
        raise InputError(
            f"{where}: region_code {rec['region_code']!r} must be 2, 4 or 6 digits "
            "(000000 national, 36 province, 4407 city, 360203 county); keep leading zeros."
        )
    _check_choice(rec, "layer", TARGET_LAYERS, where)
    _check_choice(rec, "unit_level", UNIT_LEVELS, where)
    if not re.fullmatch(r"\d{4}", rec["year"]):
        raise InputError(f"{where}: year {rec['year']!r} is not a 4-digit year such as 2025.")
    is_reach = rec["unit_level"] == "reach"
    if not (is_reach and rec["comparator"] == "") and rec["comparator"] not in COMPARATORS:
        raise InputError(
            f"{where}: comparator {rec['comparator']!r} must be '>=' or '>' "
            "(达到X%以上 and ≥X are '>='; only >X is '>'); it may be empty only for reach rows."
        )
    _check_choice(rec, "property", PROPERTIES, where)
    _check_choice(rec, "source", SOURCES, where)
    if rec["primary"].lower() not in _TRUE | _FALSE:
        raise InputError(f"{where}: primary {rec['primary']!r} must be true or false.")
    if not rec["citation"]:
        raise InputError(
            f"{where}: citation is empty; cite the plan file, line and table row or section."
        )


def _check_choice(rec: dict[str, str], column: str, allowed: frozenset[str], where: str) -> None:
    if rec[column] not in allowed:
        raise InputError(
            f"{where}: {column} {rec[column]!r} is not one of {sorted(allowed)}; fix the {column}."
        )


def _parse_value(rec: dict[str, str], where: str) -> float:
    """value_pct as a float in [0, 100]; NaN (empty) only for reach rows."""
    text = rec["value_pct"]
    if rec["unit_level"] == "reach":
        if text:
            raise InputError(
                f"{where}: value_pct {text!r} given for a reach statement; reach rows "
                "carry no percentage, leave value_pct empty."
            )
        return math.nan
    if not text:
        raise InputError(
            f"{where}: value_pct is empty; write the target percentage (0–100), "
            "or set unit_level to reach if the plan gives no figure."
        )
    try:
        value = float(text)
    except ValueError:
        raise InputError(
            f"{where}: value_pct {text!r} is not a number; write e.g. 60 (not '60%' or '≥60')."
        ) from None
    if not 0.0 <= value <= 100.0:
        raise InputError(
            f"{where}: value_pct {text!r} is outside 0–100; write a percentage between 0 and 100."
        )
    return value
