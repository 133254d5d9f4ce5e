"""A whole partitioned reach run: streets once, county pieces, tasks on Dask, the dataset.

:func:`batch_reach` is what ``servicecircle reach`` runs when the region spans more than one
county or the streets come as ``.osm.pbf``: the same answer as the one-process engine (the
halo makes it exact), at any scale, on this machine or an existing cluster.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import InputError
from servicecircle.batch import plan, results
from servicecircle.batch.partition import Halo, halo_for
from servicecircle.batch.progress import CountyProgress
from servicecircle.batch.runner import BatchOutcome, Clients, run_tasks
from servicecircle.batch.task import CountyTask, run_county, search_is_current


@dataclass(frozen=True)
class BatchRun:
    """A partitioned reach run: what ran, the dataset and how long each step took."""

    outcome: BatchOutcome
    demand: pd.DataFrame
    townships: pd.DataFrame
    counties: pd.DataFrame
    rollup: pd.DataFrame
    paths: dict[str, Path]
    halo: Halo
    tasks: tuple[CountyTask, ...]
    seconds: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    cluster: str = ""  # "processes", "driver" (warm run), a scheduler address, or "given"


def place_demand(demand: gpd.GeoDataFrame, region) -> gpd.GeoDataFrame:
    """``county_code`` (county polygon) and ``township_code`` of each home, never dropped.

    The township comes from the region's township polygons where it has them, else from a
    ``township_code`` column of the demand table, else it is empty.
    """
    from servicecircle.workflows import group_of

    county = group_of(demand, region.county_polygons)
    township = pd.Series("", index=demand.index)
    if "township_code" in demand.columns:
        township = demand["township_code"].fillna("").astype(str)
    polys = region.townships[region.townships.geometry.notna()]
    if len(polys):
        by_poly = group_of(demand, polys)
        township = by_poly.where(by_poly != "", township)
    return demand.assign(county_code=county.values, township_code=township.values)


def placed_demand(demand: gpd.GeoDataFrame, region, cache_dir: Path) -> gpd.GeoDataFrame:
    """:func:`place_demand`, cached under ``cache_dir/placement`` keyed by the homes' points
    (and declared townships) and the region's county and township polygons: a warm run with the
    same demand file and region reads two columns instead of placing every home again."""
    from servicecircle.batch.store import atomic_path, digest

    towns = region.townships
    key = digest(
        np.asarray(demand.geometry.x),
        np.asarray(demand.geometry.y),
        demand["township_code"].fillna("").astype(str).to_numpy()
        if "township_code" in demand.columns
        else "",
        region.county_polygons["code"].tolist(),
        _wkb(region.county_polygons.geometry),
        towns["code"].tolist(),
        _wkb(towns.geometry),
    )
    path = Path(cache_dir) / "placement" / f"{key}.parquet"
    if path.is_file():
        codes = pd.read_parquet(path)
        if len(codes) == len(demand):
            return demand.assign(
                county_code=codes["county_code"].to_numpy(),
                township_code=codes["township_code"].to_numpy(),
            )
    placed = place_demand(demand, region)
    with atomic_path(path) as tmp:
        placed[["county_code", "township_code"]].to_parquet(tmp, index=False)
    return placed


def _wkb(geometry: gpd.GeoSeries) -> np.ndarray:
    """Every geometry's WKB, one byte array (empty for a missing geometry), for a key."""
    wkb = shapely.to_wkb(geometry.to_numpy())
    return np.frombuffer(b"".join(w if w is not None else b"\0" for w in wkb), dtype=np.uint8)


def batch_reach(
    *,
    region,
    facilities: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    streets: Path,
    out_dir: Path,
    cache_dir: Path | None = None,
    state_dir: Path | None = None,
    minutes: float = 15.0,
    walk_speed_m_s: float = 1.0,
    speeds: Sequence[float] = (1.0, 0.9, 0.8, 0.6),
    snap_max_m: float = 300.0,
    scheduler: str | None = None,
    workers: int | None = None,
    resume: bool = False,
    client=None,
    progress: CountyProgress | None = None,
    retries: int = 2,
    task_fn: Callable[[CountyTask], dict] = run_county,
    on_done: Callable[[dict], None] | None = None,
    street_table=None,
) -> BatchRun:
    """The reach of every home of ``region``, county by county, written under ``out_dir``.

    Parameters
    ----------
    region
        A :class:`servicecircle.workflows.Region` (counties, polygons, townships).
    facilities, demand
        EPSG:4326 points: facilities with ``facility_id``; homes with ``demand_id, weight``
        (and optionally ``township_code``).
    streets
        ``.osm.pbf`` / ``.osm`` file, read once and cached under ``cache_dir``.
    cache_dir
        Street table, county pieces and compiled graphs (default ``state_dir / "cache"``).
    state_dir
        Where each county's result is kept (``counties/<code>.parquet``) so that ``--resume``
        and a crashed run find it (default ``out_dir``). The CLI passes the final ``--out``
        folder here while the dataset itself is written into a staging folder.
    scheduler, workers
        An existing Dask scheduler address, else an embedded LocalCluster of ``workers``
        processes; ``client`` uses a client already open instead.
    resume
        Skip the counties whose result is already written for the very same inputs.
    street_table
        A street table already in memory (another format converted, or a test's); its cache
        key is then ``streets``' file key.
    """
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        clients = Clients(stack, client=client, scheduler=scheduler, workers=workers)
        return _batch_reach(
            t0, clients, region=region, facilities=facilities, demand=demand,
            streets=streets, out_dir=out_dir, cache_dir=cache_dir, state_dir=state_dir,
            minutes=minutes,
            walk_speed_m_s=walk_speed_m_s, speeds=speeds, snap_max_m=snap_max_m,
            resume=resume, progress=progress, retries=retries, task_fn=task_fn,
            on_done=on_done, street_table=street_table,
        )  # fmt: skip


def _batch_reach(
    t0, clients, *, region, facilities, demand, streets, out_dir, cache_dir, state_dir, minutes,
    walk_speed_m_s, speeds, snap_max_m, resume, progress, retries, task_fn, on_done,
    street_table,
) -> BatchRun:  # fmt: skip
    seconds: dict[str, float] = {}
    out_dir = Path(out_dir)
    state_dir = Path(state_dir) if state_dir is not None else out_dir
    cache_dir = Path(cache_dir) if cache_dir is not None else state_dir / "cache"
    fac = facilities[facilities.geometry.notna() & ~facilities.geometry.is_empty]
    if demand.empty:
        raise InputError("no demand points: give a population-point table (--demand)")
    halo = halo_for(minutes=minutes, speeds_m_s=[walk_speed_m_s, *speeds], access_m=snap_max_m)
    placed = placed_demand(demand, region, cache_dir)
    outside = int((placed["county_code"] == "").sum())
    notes = []
    if outside:
        notes.append(f"{outside} 个需求点不在本区域任何区县边界内，未计入")
    placed = placed[placed["county_code"] != ""]

    from servicecircle.batch.store import file_key

    key = file_key(streets)
    bounds = region.county_polygons.total_bounds

    def load_table():
        if street_table is not None:
            return street_table
        pad = halo.nodes_m / 90_000.0  # degrees, generous at any latitude in China
        bbox = (bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad)
        table, _ = plan.street_table(Path(streets), cache_dir, bbox=bbox)
        return table

    folder, _ = plan.pieces_folder(cache_dir, key, halo)
    if not plan.pieces_complete(folder, region.county_polygons["code"]):
        clients.boot()  # the workers boot while the pbf is read and the pieces are cut
    pieces, folder, piece_halo = plan.county_pieces(
        load_table, key, region.county_polygons, halo, cache_dir
    )
    seconds["streets_and_pieces"] = time.perf_counter() - t0
    names = region.counties.set_index("code")["name"]
    counties = region.county_polygons.assign(
        name=region.county_polygons["code"].map(names).fillna(region.county_polygons["name"])
    )
    tasks = plan.county_tasks(
        counties=counties,
        pieces=pieces,
        pieces_dir=folder,
        facilities=fac,
        demand=placed,
        out_dir=state_dir,
        halo=halo,
        piece_halo=piece_halo,
        minutes=minutes,
        walk_speed_m_s=walk_speed_m_s,
        snap_max_m=snap_max_m,
    )
    t1 = time.perf_counter()
    kwargs = dict(
        resume=resume, retries=retries, progress=progress, task_fn=task_fn, on_done=on_done
    )
    if not clients.given and all(search_is_current(t) for t in tasks):
        # warm: every county's graph and snaps are cached, its task takes milliseconds; in
        # this process, one after the other, faster than any Dask client could start
        outcome = run_tasks(tasks, None, **kwargs)
        clients.kind = "driver"
    else:
        outcome = run_tasks(tasks, clients.get(), **kwargs)
    seconds["tasks"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    dem = results.gather(tasks)
    townships = results.township_table(dem, region.townships)
    county_tab = results.county_table(dem, region.counties)
    paths = results.write_dataset(out_dir, dem, townships, county_tab)
    seconds["dataset"] = time.perf_counter() - t2
    seconds["total"] = time.perf_counter() - t0
    return BatchRun(
        outcome=outcome,
        demand=dem,
        townships=townships,
        counties=county_tab,
        rollup=pd.read_parquet(paths["rollup_parquet"]),
        paths=paths,
        halo=halo,
        tasks=tuple(tasks),
        seconds=seconds,
        notes=tuple(notes),
        cluster=clients.kind,
    )
