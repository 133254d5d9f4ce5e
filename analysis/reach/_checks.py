"""Argument checks shared by the reach searches, and the time slack they compare with (internal)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo._errors import InputError

#: seconds of slack when comparing a float time with a budget (sums of lengths round)
EPS_S = 1e-9
SNAP_COLUMNS = ("edge", "offset_m", "access_m", "snapped")


def check_snaps(snaps: pd.DataFrame, name: str) -> None:
    if not isinstance(snaps, pd.DataFrame) or not set(SNAP_COLUMNS) <= set(snaps.columns):
        raise InputError(
            f"{name} must be the DataFrame returned by snap_points (columns "
            f"{', '.join(SNAP_COLUMNS)})."
        )


def check_speed(walk_speed_m_s: float) -> None:
    if not np.isfinite(walk_speed_m_s) or walk_speed_m_s <= 0:
        raise InputError(
            f"walk_speed_m_s must be a positive speed in metres per second, got "
            f"{walk_speed_m_s!r} (planning convention 1.0; older walkers 0.8)."
        )


def check_budget(value: float, name: str) -> None:
    if not np.isfinite(value) or value < 0:
        raise InputError(f"{name} must be a non-negative finite number, got {value!r}.")
