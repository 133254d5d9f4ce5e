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
    """9-digit township codes of the kept rows' declared townships ('' when unknown).

    A valid 9- or 12-digit 区划代码 wins over the name (a name may fit several units); a code
    naming another unit than the name is reported; an unknown code falls back to the name.
    """
    township_codes = np.full(len(towns), "", dtype=object)
    live = ~work.rejected & ~work.dropped
    idx = np.flatnonzero(live & ((towns != "") | (codes != ""))).tolist()
    if official is None or not idx:
        return township_codes
    by_name = match_townships(
        pd.Series(towns[idx], dtype=object), official, county_code=county_code
    )
    by_code = match_townships(
        pd.Series(codes[idx], dtype=object), official, county_code=county_code
    )
    in_county = (
        official["county_code"].astype(str) == str(county_code)
        if county_code is not None and "county_code" in official.columns
        else pd.Series(True, index=official.index)
    )
    county_names = official.loc[in_county, "name"].astype(str).tolist()
    where = f"区县 {county_code} 的" if county_code else ""
    code_header = work.cols.get("code", "行政区划代码")
    town_header = work.cols.get("township", "所属乡镇")
    name_match = by_name["match"].to_numpy()
    code_match = by_code["match"].to_numpy()
    name_code = by_name["township_code"].to_numpy()
    code_code = by_code["township_code"].to_numpy()
    close_cache: dict[str, list[str]] = {}
    for pos, i in enumerate(idx):
        town, code = str(towns[i]), str(codes[i])
        if code_match[pos] == "code":
            township_codes[i] = code_code[pos]
            if not town:
                continue
            fits = name_match[pos] not in ("none", "ambiguous") and name_code[pos] == code_code[pos]
            among = name_match[pos] == "ambiguous" and code_code[pos] in str(
                by_name["candidates"].iloc[pos]
            )
            if fits or among:
                continue
            named = by_code["township_name"].iloc[pos]
            if name_match[pos] == "none":
                continue  # a name written differently: the code says which unit it is
            work.note(
                i,
                f"{town_header}/{code_header}",
                f"{town} / {code}",
                f"区划代码 {code} 是{named}，与所填乡镇（街道）{town!r}"
                f"（{name_code[pos] or by_name['candidates'].iloc[pos]}）不符；已按区划代码归属",
                "核对所属乡镇与区划代码，改正其中填错的一个",
                "warning",
            )
            continue
        if code:
            column, value = code_header, code
            if town and name_match[pos] not in ("none", "ambiguous"):
                township_codes[i] = name_code[pos]
                work.note(
                    i,
                    column,
                    value,
                    f"区划代码 {code!r} 不在{where}官方名录中；已按乡镇名称 {town!r} 归属",
                    "改正或删除区划代码（9 位统计用区划代码）",
                    "warning",
                )
                continue
        if town and name_match[pos] not in ("none", "ambiguous"):
            township_codes[i] = name_code[pos]
            continue
        declared = town or code
        column = town_header if town else code_header
        if town and name_match[pos] == "ambiguous":
            reason = f"乡镇（街道）{town!r} 可对应多个单位：{by_name['candidates'].iloc[pos]}"
            fix = "用 county_code= 指定区县，或改填 9 位区划代码"
        else:
            reason = f"乡镇（街道）{declared!r} 不在{where}官方乡镇名录中"
            if town and declared not in close_cache:
                close_cache[declared] = difflib.get_close_matches(declared, county_names, n=3)
            close = close_cache.get(declared, [])
            fix = (
                f"改为官方名称（最接近的是：{'、'.join(close)}）"
                if close
                else "改为官方乡镇（街道）名称或 9 位区划代码"
            )
        work.note(i, column, declared, reason, fix, "warning")
    return township_codes
