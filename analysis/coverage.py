"""Coverage rates: the share of units (townships, 街道, counties) holding at least one facility.

Definitions (the README repeats them):

* township coverage of a county for a layer = townships of the county with ≥ 1 facility of that
  layer ÷ all township-level units of the county in the official list (the denominator never
  comes from the facilities themselves);
* ``street_only`` = the same over the county's 街道 only (for targets that count only 街道);
* county coverage (骨灰安放设施) = counties with ≥ 1 facility ÷ counties;
* roll-ups to city and province add up the units and covered units of their counties.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from geo._errors import InputError
from geo.layers import LAYERS

#: unit levels summarised for each layer
LEVELS_BY_LAYER: dict[str, tuple[str, ...]] = {
    "elderly_care": ("township", "street_only"),
    "social_work": ("township", "street_only"),
    "minor_protection": ("township", "street_only"),
    "cremains": ("county", "township"),
    "civil_station": ("township", "street_only"),
}

SUMMARY_COLUMNS = [
    "scope",
    "code",
    "name",
    "layer",
    "unit_level",
    "units",
    "covered",
    "rate",
    "uncovered_codes",
    "uncovered_names",
]


def township_counts(
    townships: pd.DataFrame,
    assigned: pd.DataFrame,
    *,
    layers: Iterable[str] = tuple(LAYERS),
) -> pd.DataFrame:
    """Facilities per township and layer, aligned to ``townships.index``.

    Parameters
    ----------
    townships
        The denominator: ``code, name, county_code, kind``.
    assigned
        One row per facility: ``layer`` and ``township_code`` ('' when unassigned).

    Returns
    -------
    DataFrame
        ``n_<layer>`` (int) and ``covered_<layer>`` (bool) per layer.
    """
    _require(townships, ("code", "name", "county_code", "kind"), "townships")
    _require(assigned, ("layer", "township_code"), "assigned facilities")
    return unit_counts(townships, assigned, unit_column="township_code", layers=layers)


def unit_counts(
    units: pd.DataFrame, assigned: pd.DataFrame, *, unit_column: str, layers: Iterable[str]
) -> pd.DataFrame:
    """Facilities per unit (``units["code"]``) and layer, the facility's unit in ``unit_column``:
    ``n_<layer>`` and ``covered_<layer>``, aligned to ``units.index``."""
    out = pd.DataFrame(index=units.index)
    for layer in layers:
        counts = assigned.loc[assigned["layer"] == layer, unit_column].value_counts()
        n = units["code"].map(counts).fillna(0).astype(int)
        out[f"n_{layer}"] = n.values
        out[f"covered_{layer}"] = (n > 0).values
    return out


def coverage_summary(
    townships: pd.DataFrame,
    assigned: pd.DataFrame,
    counties: pd.DataFrame,
    *,
    layers: Iterable[str] = tuple(LAYERS),
) -> pd.DataFrame:
    """Coverage per county and layer, with roll-ups to city and province.

    Parameters
    ----------
    townships
        Official township list of the counties (``code, name, county_code, kind``).
    assigned
        One row per facility: ``layer``, ``township_code`` and ``county_code``.
    counties
        The counties measured: ``code, name, city_code, city_name, province_code, province_name``.

    Returns
    -------
    DataFrame
        One row per (scope, code, layer, unit_level) with columns :data:`SUMMARY_COLUMNS`;
        ``rate`` is covered / units (NaN when a county has no unit of that level).
    """
    _require(counties, ("code", "name", "city_code", "province_code"), "counties")
    if "county_code" not in assigned.columns:
        raise InputError("assigned facilities need a 'county_code' column ('' when unknown)")
    layers = list(layers)
    counts = township_counts(townships, assigned, layers=layers)
    rows: list[dict] = []
    for layer in layers:
        covered_col = counts[f"covered_{layer}"]
        counties_with = set(assigned.loc[assigned["layer"] == layer, "county_code"].astype(str))
        for level in LEVELS_BY_LAYER.get(layer, ("township",)):
            for county in counties.itertuples(index=False):
                if level == "county":
                    covered = county.code in counties_with
                    rows.append(
                        summary_row(
                            "county",
                            county.code,
                            county.name,
                            layer,
                            level,
                            [(county.code, county.name, covered)],
                        )
                    )
                    continue
                mask = townships["county_code"] == county.code
                if level == "street_only":
                    mask &= townships["kind"] == "街道"
                units = list(
                    zip(townships.loc[mask, "code"], townships.loc[mask, "name"], covered_col[mask])
                )
                if level == "street_only" and not units:
                    continue
                rows.append(summary_row("county", county.code, county.name, layer, level, units))
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS + ["_units"])
    rollups = [summary]
    for scope, code_col, name_col in (
        ("city", "city_code", "city_name"),
        ("province", "province_code", "province_name"),
    ):
        parent = counties.set_index("code")[code_col]
        names = (
            counties.drop_duplicates(code_col).set_index(code_col)[name_col]
            if name_col in counties.columns
            else pd.Series(dtype=str)
        )
        county_rows = summary[summary["scope"] == "county"]
        for (pcode, layer, level), grp in county_rows.groupby(
            [county_rows["code"].map(parent), "layer", "unit_level"], sort=False
        ):
            units = [u for lst in grp["_units"] for u in lst]
            rows_name = str(names.get(pcode, pcode))
            rollups.append(
                pd.DataFrame(
                    [summary_row(scope, pcode, rows_name, layer, level, units)],
                    columns=SUMMARY_COLUMNS + ["_units"],
                )
            )
    out = pd.concat(rollups, ignore_index=True)
    return out.drop(columns="_units")


def summary_row(
    scope: str, code: str, name: str, layer: str, level: str, units: list[tuple[str, str, bool]]
) -> dict:
    """One summary row over ``units`` given as (code, name, covered); ``_units`` keeps them."""
    covered = [u for u in units if u[2]]
    uncovered = [u for u in units if not u[2]]
    n = len(units)
    return {
        "scope": scope,
        "code": str(code),
        "name": str(name),
        "layer": layer,
        "unit_level": level,
        "units": n,
        "covered": len(covered),
        "rate": len(covered) / n if n else float("nan"),
        "uncovered_codes": [str(u[0]) for u in uncovered],
        "uncovered_names": [str(u[1]) for u in uncovered],
        "_units": units,
    }


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{what} lack column(s) {missing}; found {list(frame.columns)}")
