"""What-if arithmetic over coverage matrices: open and close sites without re-running searches.

Pure array functions. A demand point is reached when at least one open site reaches it; with
the existing facilities' coverage counted once, closing a facility or opening a site only
updates counts (milliseconds), which is what makes a map-click what-if interactive.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from geo._errors import InputError


def reach_counts(existing: csr_matrix) -> np.ndarray:
    """How many existing facilities reach each demand point (facilities × demand matrix)."""
    return np.asarray(existing.sum(axis=0)).ravel().astype(np.int64)


def reached_after(
    existing: csr_matrix,
    *,
    close: Sequence[int] = (),
    open_masks: Sequence[np.ndarray] = (),
) -> np.ndarray:
    """Demand reached after closing facilities (rows of ``existing``) and opening new sites.

    Parameters
    ----------
    existing
        Boolean facilities × demand coverage of the facilities in place.
    close
        Row indices of facilities to close.
    open_masks
        One boolean demand mask per new site (what it reaches).
    """
    n_fac, n_dem = existing.shape
    bad = [i for i in close if not 0 <= int(i) < n_fac]
    if bad:
        raise InputError(f"close={bad}: facility rows run from 0 to {n_fac - 1}")
    counts = reach_counts(existing)
    for i in set(int(i) for i in close):
        row = existing.indices[existing.indptr[i] : existing.indptr[i + 1]]
        counts[row] -= 1
    reached = counts > 0
    for mask in open_masks:
        m = np.asarray(mask, dtype=bool)
        if m.shape != (n_dem,):
            raise InputError(f"an open mask has shape {m.shape}; expected ({n_dem},)")
        reached |= m
    return reached


def share_by_group(
    reached: np.ndarray, weights: np.ndarray, groups: pd.Series, *, counted: np.ndarray
) -> pd.DataFrame:
    """Points and weight reached per group among the ``counted`` demand points (the
    denominator: the siting scenarios pass every home, as the reach run counts them)."""
    frame = pd.DataFrame(
        {
            "group": groups.to_numpy(),
            "points": counted.astype(np.int64),
            "points_reached": (reached & counted).astype(np.int64),
            "weight": np.where(counted, weights, 0.0),
            "weight_reached": np.where(reached & counted, weights, 0.0),
        }
    )
    out = frame.groupby("group", sort=True).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_points"] = out["points_reached"] / out["points"].where(out["points"] > 0)
        out["share_weight"] = out["weight_reached"] / out["weight"].where(out["weight"] > 0)
    return out
