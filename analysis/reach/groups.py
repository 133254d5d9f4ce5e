"""Shares of demand reached within a budget, per group (township, county), every point counted:
reached, unreached, or off the network.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.reach._checks import EPS_S, check_budget
from geo._errors import InputError

REACHED = "reached"
UNREACHED = "unreached"
OFF_NETWORK = "off_network"
STATUSES = (REACHED, UNREACHED, OFF_NETWORK)


def reach_status(minutes: pd.Series, *, budget_min: float) -> pd.Series:
    """Status of each point: ``reached`` (``minutes <= budget_min``), ``unreached`` (placed on
    the network, no facility within the budget: on a piece without one, or too far) or
    ``off_network`` (NaN minutes: farther than the access distance from every street).

    Aligned to ``minutes``; an off-network point is still a point of its group (it stays in
    every share's denominator).
    """
    check_budget(float(budget_min), "budget_min")
    m = pd.to_numeric(minutes, errors="coerce").astype(float)
    status = np.where(
        m.isna(), OFF_NETWORK, np.where(m <= budget_min + EPS_S / 60.0, REACHED, UNREACHED)
    )
    return pd.Series(status, index=minutes.index, name="status")


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
        Minutes to the nearest facility per point (NaN = off the network, ``inf`` = no
        facility reached).
    budget_min
        The walking budget in minutes (reached when ``minutes <= budget_min``).
    weights
        Non-negative weight per point aligned to ``minutes``; None weighs each point 1.
    groups
        Group label per point (township, county) aligned to ``minutes``.

    Returns
    -------
    pandas.DataFrame
        Indexed by group: ``points`` (all points), ``points_reached``, ``points_unreached``,
        ``points_off_network``, ``share_points``; ``weight`` (all), ``weight_reached``,
        ``weight_unreached``, ``weight_off_network``, ``share_weight``. Shares are of *all*
        points of the group: reached + unreached + off_network = the total, and a point that
        cannot be placed on the network counts as not reached, never left out.
    """
    if not isinstance(minutes, pd.Series) or not isinstance(groups, pd.Series):
        raise InputError("minutes and groups must be pandas Series aligned to the same points.")
    if not groups.index.equals(minutes.index):
        raise InputError(
            "groups is not aligned to minutes (different index); build both from the same "
            "points, e.g. groups = points['township'] and minutes = demand_times(...)['minutes']."
        )
    w = _weights(weights, minutes.index)
    status = reach_status(minutes, budget_min=budget_min).to_numpy()
    cols: dict[str, object] = {"points": np.ones(len(status), dtype=np.int64)}
    for s in STATUSES:
        cols[f"points_{s}"] = (status == s).astype(np.int64)
    cols["weight"] = w.to_numpy()
    for s in STATUSES:
        cols[f"weight_{s}"] = np.where(status == s, w.to_numpy(), 0.0)
    frame = pd.DataFrame(cols, index=minutes.index).assign(group=groups)
    out = frame.groupby("group", dropna=False, sort=True).sum()
    out.index.name = groups.name
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_points"] = out["points_reached"] / out["points"].where(out["points"] > 0)
        out["share_weight"] = out["weight_reached"] / out["weight"].where(out["weight"] > 0)
    return out[
        [
            "points",
            "points_reached",
            "points_unreached",
            "points_off_network",
            "share_points",
            "weight",
            "weight_reached",
            "weight_unreached",
            "weight_off_network",
            "share_weight",
        ]
    ]


def _weights(weights: pd.Series | None, index: pd.Index) -> pd.Series:
    if weights is None:
        return pd.Series(1.0, index=index)
    if not isinstance(weights, pd.Series) or not weights.index.equals(index):
        raise InputError("weights must be a Series aligned to minutes (same index).")
    w = pd.to_numeric(weights, errors="coerce").astype(float)
    bad = w.isna() | (w < 0)
    if bad.any():
        rows = w.index[bad][:10].tolist()
        raise InputError(
            f"weights must be non-negative numbers; rows {rows} have "
            f"{weights[bad].head(3).tolist()}: fill or drop them."
        )
    return w
