"""Declared townships matched to the official list (names with 街道/镇/乡 variants, 9-digit codes) and checked against the point."""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from geo.names import match_townships
from geo.registers.model import _Work


def _match_declared(
    work: _Work,
    towns: np.ndarray,
    codes: np.ndarray,
    official: pd.DataFrame | None,
    county_code: str | None,
) -> np.ndarray:
    """9-digit township codes of the kept rows' declared townships ('' when unknown)."""
    township_codes = np.full(len(towns), "", dtype=object)
    declared = np.where(towns != "", towns, codes)
    live = ~work.rejected & ~work.dropped
    idx = np.flatnonzero(live & (declared != "")).tolist()
    if official is None or not idx:
        return township_codes
    matched = match_townships(
        pd.Series(declared[idx], dtype=object), official, county_code=county_code
    )
    in_county = (
        official["county_code"].astype(str) == str(county_code)
        if county_code is not None and "county_code" in official.columns
        else pd.Series(True, index=official.index)
    )
    county_names = official.loc[in_county, "name"].astype(str).tolist()
    where = f"区县 {county_code} 的" if county_code else ""
    for pos, i in enumerate(idx):
        row = matched.iloc[pos]
        if row["match"] not in ("none", "ambiguous"):
            township_codes[i] = row["township_code"]
            continue
        column = work.cols.get("township", "所属乡镇") if towns[i] else work.cols["code"]
        if row["match"] == "ambiguous":
            reason = f"乡镇（街道）{declared[i]!r} 可对应多个单位：{row['candidates']}"
            fix = "用 county_code= 指定区县，或改填 9 位区划代码"
        else:
            reason = f"乡镇（街道）{declared[i]!r} 不在{where}官方乡镇名录中"
            close = difflib.get_close_matches(str(declared[i]), county_names, n=3)
            fix = (
                f"改为官方名称（最接近的是：{'、'.join(close)}）"
                if close
                else "改为官方乡镇（街道）名称或 9 位区划代码"
            )
        work.note(i, column, str(declared[i]), reason, fix, "warning")
    return township_codes
