"""Connected pieces of the street arrays: the piece of every node and snapped point, and what
lies on pieces without a facility. Every piece is kept; this only reports them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import connected_components

from analysis.reach._checks import check_snaps
from analysis.reach.arrays import StreetArrays
from geo._errors import InputError


def street_pieces(arrays: StreetArrays) -> np.ndarray:
    """Piece label (0 .. k-1) of every street node; two nodes share a label when a walk joins them."""
    _, labels = connected_components(arrays.adjacency, directed=False)
    return labels.astype(np.int64)


def piece_of_points(arrays: StreetArrays, labels: np.ndarray, snaps: pd.DataFrame) -> np.ndarray:
    """Piece of each snapped point (that of its edge), ``-1`` for points off the network."""
    check_snaps(snaps, "snaps")
    ok = snaps["snapped"].to_numpy(dtype=bool)
    e = snaps["edge"].to_numpy()
    out = np.full(len(snaps), -1, dtype=np.int64)
    out[ok] = labels[arrays.edge_u[e[ok]]]
    return out


@dataclass(frozen=True, eq=False)
class PiecesReport:
    """The street network's connected pieces and who stands on which.

    Attributes
    ----------
    table
        One row per piece, largest first: ``piece``, ``nodes``, ``street_m`` (each street
        counted once), ``facilities``, ``demand_points``, ``demand_weight``.
    facility_piece, demand_piece
        Piece of each facility / demand point (``-1`` off the network), in input order.
    """

    table: pd.DataFrame
    facility_piece: np.ndarray
    demand_piece: np.ndarray

    @property
    def n_pieces(self) -> int:
        return len(self.table)

    def summary(self) -> dict[str, float]:
        """Counts for reports: pieces, their sizes, and what lies on pieces without a facility."""
        t = self.table
        lonely = t["facilities"] == 0
        no_demand = t["demand_points"] == 0
        return {
            "pieces": int(len(t)),
            "nodes": int(t["nodes"].sum()),
            "largest_piece_nodes": int(t["nodes"].max()) if len(t) else 0,
            "pieces_with_facility": int((~lonely).sum()),
            "pieces_with_demand": int((~no_demand).sum()),
            "demand_points_on_pieces_without_facility": int(t.loc[lonely, "demand_points"].sum()),
            "demand_weight_on_pieces_without_facility": float(t.loc[lonely, "demand_weight"].sum()),
            "facilities_on_pieces_without_demand": int(t.loc[no_demand, "facilities"].sum()),
        }


def pieces_report(
    arrays: StreetArrays,
    *,
    facility_snaps: pd.DataFrame,
    demand_snaps: pd.DataFrame,
    demand_weights: np.ndarray | pd.Series | None = None,
) -> PiecesReport:
    """Count the pieces of the street network and the facilities and demand on each.

    Parameters
    ----------
    arrays
        The street arrays (every piece of the network).
    facility_snaps, demand_snaps
        :func:`snap_points` of the facilities and of the demand points.
    demand_weights
        Weight per demand point (input order); None weighs each 1.
    """
    labels = street_pieces(arrays)
    k = int(labels.max()) + 1 if len(labels) else 0
    fp = piece_of_points(arrays, labels, facility_snaps)
    dp = piece_of_points(arrays, labels, demand_snaps)
    w = (
        np.ones(len(dp))
        if demand_weights is None
        else np.asarray(demand_weights, dtype=float).reshape(-1)
    )
    if len(w) != len(dp):
        raise InputError(f"demand_weights has {len(w)} values for {len(dp)} demand points.")
    on_f, on_d = fp >= 0, dp >= 0
    table = pd.DataFrame(
        {
            "piece": np.arange(k),
            "nodes": np.bincount(labels, minlength=k),
            "street_m": np.bincount(
                labels[arrays.edge_u], weights=arrays.edge_length_m, minlength=k
            ),
            "facilities": np.bincount(fp[on_f], minlength=k),
            "demand_points": np.bincount(dp[on_d], minlength=k),
            "demand_weight": np.bincount(dp[on_d], weights=w[on_d], minlength=k),
        }
    )
    table = table.sort_values(["nodes", "piece"], ascending=[False, True]).reset_index(drop=True)
    return PiecesReport(table=table, facility_piece=fp, demand_piece=dp)
