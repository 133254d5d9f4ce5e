"""Exact arithmetic of a unit count against a target rate: fractions, not floats."""

from __future__ import annotations

import math
from fractions import Fraction

from geo._errors import InputError


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
    need = covered_required(units=units, comparator=comparator, value_pct=value_pct)
    return max(0, min(need, units) - covered)


def covered_required(*, units: int, comparator: str, value_pct: float) -> int:
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


def meets(*, covered: int, units: int, comparator: str, value_pct: float) -> bool:
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
