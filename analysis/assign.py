"""Which township each facility belongs to: by polygon, by its declared name/code, or both."""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import InputError

Prefer = Literal["polygon", "declared"]


def assign_facilities(
    facilities: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame,
    *,
    prefer: Prefer = "polygon",
    counties: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Assign every facility to a township.

    Parameters
    ----------
    facilities
        Points in EPSG:4326 (geometry may be missing) with a ``township_code`` column holding the
        code matched from the register's declared township name or code ('' when none).
    townships
        Township polygons (``code, county_code`` and geometry, EPSG:4326); may cover only part of
        the official list (approximate polygons exist only where a seat point was found).
    prefer
        Which wins when polygon and declaration disagree: ``"polygon"`` (where the point lies) or
        ``"declared"`` (what the register says).
    counties
        County polygons (``code``, EPSG:4326): gives ``county_code`` to facilities that lie in a
        county but in no township polygon. Otherwise the county is the township code's first six
        digits.

    Returns
    -------
    DataFrame
        Aligned to ``facilities.index``: ``by_polygon``, ``by_declared``, ``township_code``
        (the chosen one), ``assigned_by`` (polygon / declared / none), ``disagree`` and
        ``county_code``.
    """
    if prefer not in ("polygon", "declared"):
        raise InputError(f"prefer={prefer!r}; use 'polygon' or 'declared'")
    for col in ("township_code",):
        if col not in facilities.columns:
            raise InputError(f"facilities need a {col!r} column ('' where the register gave none)")
    declared = facilities["township_code"].fillna("").astype(str)
    by_polygon = pd.Series("", index=facilities.index, dtype=object)
    has_point = facilities.geometry.notna() & ~facilities.geometry.is_empty
    if has_point.any() and not townships.empty:
        pts = facilities.loc[has_point, ["geometry"]].to_crs(townships.crs)
        joined = gpd.sjoin(pts, townships[["code", "geometry"]], how="left", predicate="within")
        joined = joined[~joined.index.duplicated(keep="first")]
        by_polygon.loc[joined.index] = joined["code"].fillna("").astype(str).values
    first, second = (by_polygon, declared) if prefer == "polygon" else (declared, by_polygon)
    chosen = first.where(first != "", second)
    assigned_by = np.where(
        chosen == "",
        "none",
        np.where(chosen == by_polygon, "polygon", "declared"),
    )
    disagree = (by_polygon != "") & (declared != "") & (by_polygon != declared)
    county = chosen.astype(str).str[:6]
    if counties is not None and has_point.any():
        pts = facilities.loc[has_point, ["geometry"]].to_crs(counties.crs)
        in_county = gpd.sjoin(pts, counties[["code", "geometry"]], how="left", predicate="within")
        in_county = in_county[~in_county.index.duplicated(keep="first")]["code"].fillna("")
        fill = (county == "") & county.index.isin(in_county.index)
        county.loc[fill] = in_county.reindex(county.index[fill]).astype(str).values
    return pd.DataFrame(
        {
            "by_polygon": by_polygon.astype(str),
            "by_declared": declared,
            "township_code": chosen.astype(str),
            "assigned_by": assigned_by,
            "disagree": disagree.astype(bool),
            "county_code": county.values,
        },
        index=facilities.index,
    )


def disagreements(
    facilities: pd.DataFrame, assigned: pd.DataFrame, townships: pd.DataFrame
) -> pd.DataFrame:
    """The facilities whose declared township differs from the polygon they lie in.

    Columns: ``facility_id, name, layer, declared (name), lies_in (name), chosen (name)``.
    """
    names = townships.set_index("code")["name"]
    rows = assigned[assigned["disagree"]]
    return pd.DataFrame(
        {
            "facility_id": facilities.loc[rows.index, "facility_id"].values,
            "name": facilities.loc[rows.index, "name"].values,
            "layer": facilities.loc[rows.index, "layer"].values,
            "declared": rows["by_declared"].map(names).values,
            "lies_in": rows["by_polygon"].map(names).values,
            "chosen": rows["township_code"].map(names).values,
        }
    )
