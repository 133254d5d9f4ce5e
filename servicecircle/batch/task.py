"""One county's task: its street piece compiled and searched, its homes' minutes written.

A task is idempotent: it reads only its own piece (and its own cache), and writes its result
with a rename, so running it twice, or on a second worker after the first was killed,
gives the same file. The compiled graph and the snaps of the county's homes and of the
facilities in its halo are cached (``.npz``); a warm run (other minutes or speed, same
facilities) loads them and only searches again, and one whose radius is within the last
search's takes its answer from the last result's distances without searching.

Searches run at 1 m/s, so a node's time in seconds is its distance in metres; the minutes
at any speed are ``distance / speed / 60`` and the reached test is
``distance <= minutes × 60 × speed``, bounded by the halo's radius.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.sparse import csr_matrix

from analysis import reach
from geo.crs import local_metric_crs
from geo.network import StreetTable
from servicecircle.batch.store import atomic_path, digest

WGS84 = "EPSG:4326"
STATUSES = ("reached", "unreached", "off_network")
#: metres of slack when comparing a summed distance with a budget
EPS_M = 1e-6
RESULT_COLUMNS = (
    "demand_id",
    "county_code",
    "township_code",
    "weight",
    "distance_m",
    "minutes",
    "status",
    "facility_id",
)


@dataclass(frozen=True, eq=False)
class CountyTask:
    """Everything one county's task needs; plain values, shipped to a worker as they are.

    ``facilities`` has ``facility_id, lon, lat`` (every facility in the county's halo);
    ``demand`` has ``demand_id, township_code, weight, lon, lat`` (the county's own homes).
    """

    code: str
    name: str
    piece: Path
    search_cache: Path
    result: Path
    facilities: pd.DataFrame
    demand: pd.DataFrame
    minutes: float
    walk_speed_m_s: float
    reach_m: float
    snap_max_m: float

    @cached_property
    def signature(self) -> str:
        """What the result depends on: inputs, piece and parameters (not the worker)."""
        return digest(
            self.code,
            str(self.piece),
            self.facilities,
            self.demand,
            self.minutes,
            self.walk_speed_m_s,
            self.reach_m,
            self.snap_max_m,
        )

    @cached_property
    def search_key(self) -> str:
        """What the compiled graph and snaps depend on (computed once per task object)."""
        return _search_key(self)

    @property
    def label(self) -> str:
        return f"{self.name}（{self.code}）"


def result_is_current(task: CountyTask) -> bool:
    """True when the county's result file exists and was written for this very task."""
    if not task.result.is_file():
        return False
    try:
        meta = pq.read_schema(task.result).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return False
    return meta.get(b"signature", b"").decode() == task.signature


def run_county(task: CountyTask) -> dict:
    """Run one county and write its result; returns a small summary (code, rows, seconds).

    Fastest first: when the county's last result was searched over the same graph, points and
    facilities to at least this task's radius, the new minutes or speed are arithmetic on its
    distances (``derived``); else the cached graph and snaps are searched again (``warm``);
    else the piece is compiled and snapped (cold).
    """
    t0 = time.perf_counter()
    key = task.search_key
    derived = _derived(task, key)
    if derived is not None:
        distance, fac_id, n_nodes, warm = *derived, 0, True
    else:
        search, warm = _search_inputs(task, key)
        distance, fac_id = _search(task, search)
        n_nodes = int(search["n_nodes"])
    frame = _frame(task, distance, fac_id)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(
        {
            **(table.schema.metadata or {}),
            b"signature": task.signature.encode(),
            b"search_key": key.encode(),
            b"reach_m": repr(task.reach_m).encode(),
        }
    )
    with atomic_path(task.result) as tmp:
        pq.write_table(table, tmp)
    return {
        "code": task.code,
        "rows": len(frame),
        "nodes": n_nodes,
        "warm": warm,
        "derived": derived is not None,
        "seconds": time.perf_counter() - t0,
    }


def _derived(task: CountyTask, key: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Distances and facilities of the county's last result when they answer this task.

    They do when that result was searched with the same graph, homes and facilities (its
    ``search_key``) to a radius at least this task's: a distance within the new radius is the
    same number, one beyond it is cut to "not found", exactly as a new search would.
    """
    if not task.result.is_file():
        return None
    try:
        meta = pq.read_schema(task.result).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return None
    if meta.get(b"search_key", b"").decode() != key:
        return None
    if float(meta.get(b"reach_m", b"0")) < task.reach_m - 1e-9:
        return None
    old = pq.read_table(task.result, columns=["distance_m", "facility_id"]).to_pandas()
    if len(old) != len(task.demand):
        return None
    d = old["distance_m"].to_numpy(dtype=float)
    beyond = d > task.reach_m + EPS_M
    d = np.where(beyond, np.inf, d)
    fac = np.where(beyond, "", old["facility_id"].astype(str).to_numpy())
    return d, fac


def _search_key(task: CountyTask) -> str:
    st = task.piece.stat()
    return digest(
        str(task.piece),
        st.st_size,
        st.st_mtime_ns,
        task.facilities[["facility_id", "lon", "lat"]],
        task.demand[["lon", "lat"]],
        task.snap_max_m,
    )


def search_is_current(task: CountyTask) -> bool:
    """True when the county's compiled graph and snaps are cached for this task's inputs."""
    if not task.search_cache.is_file() or not task.piece.is_file():
        return False
    with np.load(task.search_cache, allow_pickle=False) as z:
        return str(z["key"]) == task.search_key


def _search_inputs(task: CountyTask, key: str) -> tuple[dict[str, np.ndarray], bool]:
    """The county's compiled graph and snaps: from its cache when current, else built."""
    if task.search_cache.is_file():
        with np.load(task.search_cache, allow_pickle=False) as z:
            if str(z["key"]) == key:
                return {k: z[k] for k in z.files}, True
    search = _compile(task)
    search["key"] = np.array(key)
    with atomic_path(task.search_cache) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **search)
    return search, False


def _compile(task: CountyTask) -> dict[str, np.ndarray]:
    """Read the piece, project it to the county's UTM zone, compile it and snap the points."""
    table = StreetTable.from_parquet(task.piece)
    n_dem, n_fac = len(task.demand), len(task.facilities)
    if len(table.u) == 0:
        # no street near the county: every home is off the network
        return {
            "n_nodes": np.array(0),
            **_empty_graph(),
            **_snap_arrays(None, n_dem, "d"),
            **_snap_arrays(None, n_fac, "f"),
        }
    # the county's own UTM zone (of its homes; of its streets when it has none)
    lon = task.demand["lon"].to_numpy() if n_dem else table.lon
    lat = task.demand["lat"].to_numpy() if n_dem else table.lat
    arrays = reach.arrays_from_street_table(table, crs=local_metric_crs(lon, lat))
    dsnap = reach.snap_points(arrays, _points(task.demand), max_distance_m=task.snap_max_m)
    fsnap = reach.snap_points(arrays, _points(task.facilities), max_distance_m=task.snap_max_m)
    adj = arrays.adjacency
    return {
        "n_nodes": np.array(arrays.n_nodes),
        "indptr": adj.indptr,
        "indices": adj.indices,
        "data": adj.data,
        "edge_u": arrays.edge_u,
        "edge_v": arrays.edge_v,
        "edge_length_m": arrays.edge_length_m,
        **_snap_arrays(dsnap, n_dem, "d"),
        **_snap_arrays(fsnap, n_fac, "f"),
    }


def _points(frame: pd.DataFrame) -> gpd.GeoSeries:
    return gpd.GeoSeries(
        gpd.points_from_xy(frame["lon"], frame["lat"]), index=pd.RangeIndex(len(frame)), crs=WGS84
    )


def _empty_graph() -> dict[str, np.ndarray]:
    z = np.zeros(0, dtype=np.int64)
    return {
        "indptr": np.zeros(1, dtype=np.int64),
        "indices": z,
        "data": np.zeros(0),
        "edge_u": z,
        "edge_v": z,
        "edge_length_m": np.zeros(0),
    }


def _snap_arrays(snaps: pd.DataFrame | None, n: int, prefix: str) -> dict[str, np.ndarray]:
    if snaps is None:
        snaps = pd.DataFrame(
            {"edge": -1, "offset_m": np.nan, "access_m": np.nan, "snapped": False},
            index=pd.RangeIndex(n),
        )
    return {
        f"{prefix}_{c}": snaps[c].to_numpy() for c in ("edge", "offset_m", "access_m", "snapped")
    }


def _snaps(search: dict[str, np.ndarray], prefix: str) -> pd.DataFrame:
    return pd.DataFrame(
        {c: search[f"{prefix}_{c}"] for c in ("edge", "offset_m", "access_m", "snapped")}
    )


def _search(task: CountyTask, search: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Walking metres to the nearest facility within ``task.reach_m`` (``inf`` beyond it, NaN
    off the network) and that facility's id (``""`` where none), per home."""
    dsnap, fsnap = _snaps(search, "d"), _snaps(search, "f")
    n_nodes = int(search["n_nodes"])
    distance = np.full(len(dsnap), np.inf)
    facility = np.full(len(dsnap), -1, dtype=np.int64)
    if n_nodes and fsnap["snapped"].any() and dsnap["snapped"].any():
        arrays = _search_arrays(search)
        # at 1 m/s a time in seconds is a distance in metres
        times = reach.nearest_facility(arrays, fsnap, walk_speed_m_s=1.0, limit_s=task.reach_m)
        dt_ = reach.demand_times(arrays, times, dsnap, fsnap, walk_speed_m_s=1.0)
        distance = dt_["minutes"].to_numpy(dtype=float) * 60.0
        facility = dt_["facility"].to_numpy().astype(np.int64)
    snapped = dsnap["snapped"].to_numpy(dtype=bool)
    distance = np.where(snapped, distance, np.nan)
    ids = task.facilities["facility_id"].astype(str).to_numpy()
    found = snapped & (facility >= 0) & np.isfinite(distance)
    fac_id = np.where(found, ids[np.maximum(facility, 0)] if len(ids) else "", "")
    return distance, fac_id


def _frame(task: CountyTask, distance: np.ndarray, fac_id: np.ndarray) -> pd.DataFrame:
    """The county's result rows: minutes at the run's speed and the status of every home."""
    snapped = ~np.isnan(distance)
    budget_m = task.minutes * 60.0 * task.walk_speed_m_s
    reached = snapped & (distance <= budget_m + EPS_M)
    status = np.where(~snapped, "off_network", np.where(reached, "reached", "unreached"))
    d = task.demand
    return pd.DataFrame(
        {
            "demand_id": d["demand_id"].astype(str).to_numpy(),
            "county_code": task.code,
            "township_code": d["township_code"].astype(str).to_numpy(),
            "weight": d["weight"].to_numpy(dtype=float),
            "distance_m": distance,
            "minutes": distance / task.walk_speed_m_s / 60.0,
            "status": status,
            "facility_id": fac_id,
        },
        columns=list(RESULT_COLUMNS),
    )


def _search_arrays(search: dict[str, np.ndarray]):
    """The parts of :class:`analysis.reach.StreetArrays` a search reads, from the cache.

    Searches use only the adjacency and the edge table; the snapping trees are not rebuilt
    (the snaps are cached), so they are left empty here.
    """
    n = int(search["n_nodes"])
    return reach.StreetArrays(
        node_ids=np.arange(n),
        x=np.zeros(0),
        y=np.zeros(0),
        adjacency=csr_matrix((search["data"], search["indices"], search["indptr"]), shape=(n, n)),
        edge_u=search["edge_u"],
        edge_v=search["edge_v"],
        edge_length_m=search["edge_length_m"],
        edge_geometry=np.zeros(0, dtype=object),
        edge_tree=None,
        node_tree=None,
        segments={},
        segment_tree=None,
        crs=None,
    )
