"""Locate the reference data bundle (``SERVICE_DATA_DIR``) and say plainly what is missing.

The bundle is read in place and never copied into the repository.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from geo._errors import DataMissingError
from geo.settings import DATA_DIR_ENV, data_dir

#: logical name -> (relative path, what it is used for)
BUNDLE_FILES: Final[dict[str, tuple[str, str]]] = {
    "streets_wuhan": ("roads/wuhan_osm_drive_edges.parquet", "15-minute reach on Wuhan streets"),
    "counties_wgs84": ("boundaries/counties_wgs84.geojson", "county polygons (simplified)"),
    "counties_gcj02": ("boundaries/counties_gcj02.geojson", "county polygons in GCJ-02 (tests)"),
    "townships": ("divisions/townships_2023.csv", "official township list (2023)"),
    "counties": ("divisions/counties_2023.csv", "official county list (2023)"),
    "pois_wuhan": ("facilities/osm_pois_wuhan.geojson", "OSM POIs: 街道办事处, nursing homes, …"),
    "landuse_wuhan": ("facilities/osm_landuse_points_wuhan.geojson", "residential points (demand)"),
    "pois_jingdezhen": ("facilities/osm_pois_jingdezhen.geojson", "OSM POIs of 景德镇"),
    "population": ("population/population.csv", "2020 census population by county"),
    "ages": ("population/ages.csv", "2020 census age structure by county"),
}


def bundle_dir(*, required: bool = True) -> Path | None:
    """The bundle folder from ``SERVICE_DATA_DIR``.

    Parameters
    ----------
    required
        Raise :class:`DataMissingError` when unset or missing; otherwise return None.
    """
    d = data_dir()
    if d is None or not d.is_dir():
        if not required:
            return None
        where = "is not set" if d is None else f"points to {str(d)!r}, which is not a folder"
        raise DataMissingError(
            f"the reference data bundle is not available: {DATA_DIR_ENV} {where}. "
            f"Set {DATA_DIR_ENV} to the bundle folder (e.g. export {DATA_DIR_ENV}=../shared/data)."
        )
    return d


def bundle_path(name: str) -> Path:
    """Path of one bundle file by logical name; raises DataMissingError naming what it is for."""
    if name not in BUNDLE_FILES:
        raise KeyError(f"unknown bundle file {name!r}; known: {', '.join(BUNDLE_FILES)}")
    rel, purpose = BUNDLE_FILES[name]
    root = bundle_dir()
    if root is None:  # cannot happen with required=True; keeps the type checker honest
        raise DataMissingError(f"the reference data bundle is not available ({DATA_DIR_ENV})")
    path = root / rel
    if not path.is_file():
        raise DataMissingError(
            f"bundle file {rel} (needed for: {purpose}) is missing from {root}; "
            "restore the reference bundle or point SERVICE_DATA_DIR at a complete copy."
        )
    return path


def bundle_status() -> dict[str, bool]:
    """Which bundle files are present (all False when the bundle is absent)."""
    root = bundle_dir(required=False)
    return {
        name: bool(root and (root / rel).is_file()) for name, (rel, _) in BUNDLE_FILES.items()
    }
