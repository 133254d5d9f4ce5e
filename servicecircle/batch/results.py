"""The county results gathered into a Parquet dataset, and rolled up to city, province, nation.

Under ``--out``:

* ``demand.parquet`` – one row per home: ``demand_id, county_code, township_code, weight,
  distance_m, minutes, status`` (reached / unreached / off_network), ``facility_id`` (the
  nearest facility found within the searched radius, minutes × 60 × the fastest speed);
* ``townships.parquet`` – per township: ``township_code, county_code, name, demand_weight,
  reached_weight, unreached_weight, off_network_weight, points, share``;
* ``counties.parquet`` – the same keyed by ``county_code``;
* ``rollup.parquet`` – every level: ``scope`` (township / county / city / province /
  national), ``code``, ``name`` and the same figures.

``share = reached_weight / demand_weight``: homes off the network stay in the denominator.
Every township and county of the region has a row, also one without homes (share empty).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from servicecircle.batch.store import atomic_path
from servicecircle.batch.task import RESULT_COLUMNS, CountyTask

FIGURES = ("demand_weight", "reached_weight", "unreached_weight", "off_network_weight", "points")


def gather(tasks: Sequence[CountyTask]) -> pd.DataFrame:
    """Every written county result in one demand table (failed counties are absent)."""
    parts = [pq.read_table(t.result).to_pandas() for t in tasks if t.result.is_file()]
    if not parts:
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    return pd.concat(parts, ignore_index=True)


def _figures(demand: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    w = demand["weight"].astype(float)
    frame = pd.DataFrame(
        {
            **{k: demand[k] for k in by},
            "demand_weight": w,
            "reached_weight": w.where(demand["status"] == "reached", 0.0),
            "unreached_weight": w.where(demand["status"] == "unreached", 0.0),
            "off_network_weight": w.where(demand["status"] == "off_network", 0.0),
            "points": 1,
        }
    )
    return frame.groupby(by, sort=True).sum().reset_index()


def _share(frame: pd.DataFrame) -> pd.DataFrame:
    d = frame["demand_weight"].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["share"] = frame["reached_weight"] / d.where(d > 0)
    return frame


def township_table(demand: pd.DataFrame, townships: pd.DataFrame) -> pd.DataFrame:
    """Per township of the region (``code, name, county_code``), plus homes with no township."""
    figs = _figures(demand, ["county_code", "township_code"])
    base = townships[["code", "name", "county_code"]].rename(columns={"code": "township_code"})
    out = base.merge(figs, on=["township_code", "county_code"], how="outer")
    out["name"] = out["name"].fillna("（未归属乡镇）")
    for c in FIGURES:
        out[c] = out[c].fillna(0)
    out["points"] = out["points"].astype(np.int64)
    return _share(out)[["township_code", "county_code", "name", *FIGURES, "share"]]


def county_table(demand: pd.DataFrame, counties: pd.DataFrame) -> pd.DataFrame:
    """Per county of the region (``code, name``), every county present."""
    figs = _figures(demand, ["county_code"])
    base = counties[["code", "name", "city_code", "city_name"]].rename(
        columns={"code": "county_code"}
    )
    out = base.merge(figs, on="county_code", how="left")
    for c in FIGURES:
        out[c] = out[c].fillna(0)
    out["points"] = out["points"].astype(np.int64)
    return _share(out)[["county_code", "name", "city_code", "city_name", *FIGURES, "share"]]


def rollup(townships: pd.DataFrame, counties: pd.DataFrame) -> pd.DataFrame:
    """Township → county → city → province → national, one table (``scope, code, name``)."""
    levels = [
        townships.rename(columns={"township_code": "code"}).assign(scope="township"),
        counties.rename(columns={"county_code": "code"}).assign(scope="county"),
    ]
    c = counties.assign(
        province_code=counties["county_code"].str[:2],
    )
    city = c.groupby(["city_code", "city_name"])[list(FIGURES)].sum().reset_index()
    levels.append(
        city.rename(columns={"city_code": "code", "city_name": "name"}).assign(scope="city")
    )
    prov = c.groupby("province_code")[list(FIGURES)].sum().reset_index()
    prov["name"] = prov["province_code"].map(_province_names())
    levels.append(prov.rename(columns={"province_code": "code"}).assign(scope="province"))
    if len(prov) > 1:
        nat = prov[list(FIGURES)].sum().to_frame().T.assign(code="000000", name="全国")
        levels.append(nat.assign(scope="national"))
    out = pd.concat(
        [
            _share(lv[["code", "name", *FIGURES]].copy()).assign(scope=lv["scope"].iloc[0])
            for lv in levels
            if len(lv)
        ],
        ignore_index=True,
    )
    return out[["scope", "code", "name", *FIGURES, "share"]]


def _province_names() -> dict[str, str]:
    from geo import divisions

    c = divisions.official_counties()
    return dict(zip(c["province_code"], c["province_name"]))


def write_dataset(
    out_dir: Path, demand: pd.DataFrame, townships: pd.DataFrame, counties: pd.DataFrame
) -> dict[str, Path]:
    """Write the four Parquet files (atomically) and return their paths."""
    tables = {
        "demand": demand,
        "townships": townships,
        "counties": counties,
        "rollup": rollup(townships, counties),
    }
    paths = {}
    for name, table in tables.items():
        path = out_dir / f"{name}.parquet"
        with atomic_path(path) as tmp:
            table.to_parquet(tmp, index=False)
        paths[f"{name}_parquet"] = path
    return paths
