"""The county tasks of a run: the street table read once, cut into pieces, points shared out.

The ``.osm.pbf`` is read once into a street table and cached as Parquet, so a second run
(other minutes, speed or facilities) never reads the pbf again; pieces are cut once per
halo and reused by any later run whose halo they cover. Each county's task gets its own
homes and every facility within its halo.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from servicecircle.batch.partition import Halo, facilities_near, write_pieces
from servicecircle.batch.store import atomic_path, file_key
from servicecircle.batch.task import CountyTask

WGS84 = "EPSG:4326"
def street_table(path: Path, cache_dir: Path, *, bbox: tuple | None = None):
    """The walkable street table of an OSM file, read once and cached as Parquet.

    Returns the table and its cache key (file name, size and modification time).
    """
    from geo.network import StreetTable, street_table_from_osm

    key = file_key(path)
    cached = cache_dir / "streets" / f"{key}.parquet"
    if cached.is_file():
        return StreetTable.from_parquet(cached), key
    table = street_table_from_osm(path, bbox=bbox)
    with atomic_path(cached) as tmp:
        table.to_parquet(tmp)
    return table, key


def street_table_from_arrays(arrays):
    """A street table from compiled street arrays (edge tables, GraphML): straight segments."""
    from pyproj import Transformer

    from geo.network import StreetTable

    lon, lat = Transformer.from_crs(arrays.crs, WGS84, always_xy=True).transform(arrays.x, arrays.y)
    return StreetTable(
        node_id=np.asarray(arrays.node_ids).astype(np.int64)
        if np.asarray(arrays.node_ids).dtype.kind in "iu"
        else np.arange(arrays.n_nodes, dtype=np.int64),
        lon=np.asarray(lon, dtype=float),
        lat=np.asarray(lat, dtype=float),
        u=arrays.edge_u,
        v=arrays.edge_v,
        length_m=arrays.edge_length_m,
    )


def pieces_folder(cache_dir: Path, street_key: str, halo: Halo) -> tuple[Path, Halo]:
    """Where the pieces for ``halo`` are: a folder cut with a halo at least as wide, else new."""
    root = cache_dir / "pieces" / street_key
    if root.is_dir():
        for sub in sorted(root.iterdir()):
            manifest = sub / "pieces.json"
            if not manifest.is_file():
                continue
            h = json.loads(manifest.read_text()).get("_halo", {})
            found = Halo(h.get("reach_m", 0.0), h.get("access_m", 0.0))
            if found.covers(halo):
                return sub, found
    return root / halo.key, halo


def pieces_complete(folder: Path, codes) -> bool:
    """True when ``folder`` holds the piece of every county in ``codes``."""
    manifest_path = folder / "pieces.json"
    if not manifest_path.is_file():
        return False
    manifest = json.loads(manifest_path.read_text())
    return all(c in manifest and (folder / f"{c}.parquet").is_file() for c in codes)


def county_pieces(
    load_table: Callable[[], Any],
    street_key: str,
    counties: gpd.GeoDataFrame,
    halo: Halo,
    cache_dir: Path,
) -> tuple[dict[str, Path], Path, Halo]:
    """The street piece of every county: found on disk, or cut now from ``load_table()``.

    The street table is loaded only when a piece is missing, so a warm run never reads it.
    Returns the pieces, their folder and the halo they were cut with (at least ``halo``).
    """
    folder, used = pieces_folder(cache_dir, street_key, halo)
    manifest_path = folder / "pieces.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    missing = [
        c for c in counties["code"] if c not in manifest or not (folder / f"{c}.parquet").is_file()
    ]
    if missing:
        write_pieces(load_table(), counties[counties["code"].isin(missing)], used, folder)
    return {c: folder / f"{c}.parquet" for c in counties["code"]}, folder, used


def county_of_points(points: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> pd.Series:
    """The county code of each point (``""`` outside every county polygon)."""
    from servicecircle.workflows import group_of

    return group_of(points, counties)


def county_tasks(
    *,
    counties: gpd.GeoDataFrame,
    pieces: dict[str, Path],
    pieces_dir: Path,
    facilities: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    out_dir: Path,
    halo: Halo,
    piece_halo: Halo,
    minutes: float,
    walk_speed_m_s: float,
    snap_max_m: float,
) -> list[CountyTask]:
    """One task per county: its piece, its homes, the facilities in its halo.

    Facilities are those within the halo the pieces were cut with (``piece_halo``, at least
    ``halo``), so runs with other minutes or speeds on the same pieces see the same facility
    set and reuse each county's compiled graph and snaps; searches stop at ``halo.reach_m``.

    ``demand`` needs ``demand_id, weight, county_code, township_code`` and point geometry;
    ``facilities`` needs ``facility_id`` and point geometry (both EPSG:4326).
    """
    fac_xy = shapely.get_coordinates(facilities.geometry.values)
    fac = pd.DataFrame(
        {
            "facility_id": facilities["facility_id"].astype(str).to_numpy(),
            "lon": fac_xy[:, 0],
            "lat": fac_xy[:, 1],
        }
    )
    dem_xy = shapely.get_coordinates(demand.geometry.values)
    dem = pd.DataFrame(
        {
            "demand_id": demand["demand_id"].astype(str).to_numpy(),
            "county_code": demand["county_code"].astype(str).to_numpy(),
            "township_code": demand["township_code"].astype(str).to_numpy(),
            "weight": pd.to_numeric(demand["weight"]).to_numpy(dtype=float),
            "lon": dem_xy[:, 0],
            "lat": dem_xy[:, 1],
        }
    )
    # beside the pieces: <cache>/search/<street key>/<halo>/
    search_dir = pieces_dir.parents[2] / "search" / pieces_dir.parent.name / pieces_dir.name
    tasks = []
    for county in counties.itertuples():
        near = facilities_near(facilities, county.geometry, piece_halo)
        own = dem[dem["county_code"] == county.code].drop(columns="county_code")
        tasks.append(
            CountyTask(
                code=str(county.code),
                name=str(county.name),
                piece=pieces[county.code],
                search_cache=search_dir / f"{county.code}.npz",
                result=out_dir / "counties" / f"{county.code}.parquet",
                facilities=fac.iloc[near].reset_index(drop=True),
                demand=own.reset_index(drop=True),
                minutes=float(minutes),
                walk_speed_m_s=float(walk_speed_m_s),
                reach_m=halo.reach_m,
                snap_max_m=float(snap_max_m),
            )
        )
    return tasks
