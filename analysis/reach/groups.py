"""Shares of demand reached within a budget, per group (township, county)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.reach._checks import EPS_S, check_budget
from geo._errors import InputError


def reach_by_group(
    minutes: pd.Series,
    *,
    budget_min: float,
    weights: pd.Series | None = None,
    groups: pd.Series,
) -> pd.DataFrame:
    """Share of points (and of their weight, e.g. residents aged 60+) within the budget.

    Parameters
    ----------
    minutes
        Minutes to the nearest facility per point (NaN = unsnapped, ``inf`` = not reached).
    budget_min
        The walking budget in minutes (reached when ``minutes <= budget_min``).
    weights
        Non-negative weight per point aligned to ``minutes``; None weighs each point 1.
    groups
        Group label per point (township, county) aligned to ``minutes``.

    Returns
    -------
    pandas.DataFrame
        Indexed by group: ``points`` (snapped points), ``points_reached``, ``share_points``,
        ``weight``, ``weight_reached``, ``share_weight`` (of snapped points) and
        ``unsnapped`` (points that could not be placed on a street: reported, not counted).
    """
    check_budget(float(budget_min), "budget_min")
    if not isinstance(minutes, pd.Series) or not isinstance(groups, pd.Series):
        raise InputError("minutes and groups must be pandas Series aligned to the same points.")
    if not groups.index.equals(minutes.index):
        raise InputError(
            "groups is not aligned to minutes (different index); build both from the same "
            "points, e.g. groups = points['township'] and minutes = demand_times(...)['minutes']."
        )
    if weights is None:
        w = pd.Series(1.0, index=minutes.index)
    else:
        if not isinstance(weights, pd.Series) or not weights.index.equals(minutes.index):
            raise InputError("weights must be a Series aligned to minutes (same index).")
        w = pd.to_numeric(weights, errors="coerce").astype(float)
        bad = w.isna() | (w < 0)
        if bad.any():
            rows = w.index[bad][:10].tolist()
            raise InputError(
                f"weights must be non-negative numbers; rows {rows} have "
                f"{weights[bad].head(3).tolist()}: fill or drop them."
            )
    m = pd.to_numeric(minutes, errors="coerce").astype(float)
    snapped = m.notna()
    reached = snapped & (m <= budget_min + EPS_S / 60.0)
    frame = pd.DataFrame(
        {
            "points": snapped.astype(np.int64),
            "points_reached": reached.astype(np.int64),
            "weight": w.where(snapped, 0.0),
            "weight_reached": w.where(reached, 0.0),
            "unsnapped": (~snapped).astype(np.int64),
            "group": groups,
        }
    )
    out = frame.groupby("group", dropna=False, sort=True).sum()
    out.index.name = groups.name
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_points"] = out["points_reached"] / out["points"].where(out["points"] > 0)
        out["share_weight"] = out["weight_reached"] / out["weight"].where(out["weight"] > 0)
    return out[
        [
            "points",
            "points_reached",
            "share_points",
            "weight",
            "weight_reached",
            "share_weight",
            "unsnapped",
        ]
    ]
