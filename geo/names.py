"""Township (乡镇/街道) names as registers write them, matched to the official division list.

Registers write "民族街道", "民族街街道", "民族街道办事处", "民族街 道" or "江汉区民族街道" for the same
unit, with full-width brackets and spaces; some give the 9- or 12-digit 统计用区划代码 instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Final

import numpy as np
import pandas as pd

from geo._errors import InputError

__all__ = ["match_townships", "normalize_name"]

#: office words written after a unit's name, dropped first (longest first)
ADMIN_SUFFIXES: Final = ("人民政府", "办事处", "管委会", "政府")
#: the unit word itself, dropped after the office word (longest first)
UNIT_SUFFIXES: Final = ("民族乡", "街道", "苏木", "镇", "乡", "街")
#: a name is never cut shorter than this many characters
_MIN_LEN: Final = 2

_SPACE = re.compile(r"\s+")
_CODE = re.compile(r"^\d{9}(\d{3})?$")

_OFFICIAL_COLUMNS: Final = ("code", "name", "county_code", "kind")
MATCH_KINDS: Final = ("exact", "normalized", "code", "ambiguous", "none")


def _clean(s: object) -> str:
    if s is None or (isinstance(s, float) and s != s):
        return ""
    if s is pd.NA:
        return ""
    text = _SPACE.sub("", unicodedata.normalize("NFKC", str(s)))
    # stray punctuation at either end ("后湖街道办事处;" in OSM) is not part of a name
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start]).startswith("P"):
        start += 1
    while end > start and unicodedata.category(text[end - 1]).startswith("P"):
        end -= 1
    return text[start:end]


def _strip_suffix(text: str, suffixes: Iterable[str]) -> tuple[str, str]:
    for suffix in suffixes:
        if text.endswith(suffix) and len(text) - len(suffix) >= _MIN_LEN:
            return text[: -len(suffix)], suffix
    return text, ""


def normalize_name(s: object, *, county_name: str | None = None) -> str:
    """The comparable core of a township name.

    NFKC (full-width letters, digits, brackets and the ideographic space become half-width),
    all whitespace removed, a leading ``county_name`` removed, then the office word
    (人民政府/办事处/管委会/政府) and the unit word (民族乡/街道/苏木/镇/乡/街) dropped. A name that
    ends in 街 before 街道 loses both ("民族街街道" -> "民族", like "民族街道" and "民族街道办事处").
    Nothing is cut that would leave fewer than two characters ("东街道" stays "东街道").

    Parameters
    ----------
    s
        A name as written; None/NaN give ''.
    county_name
        The county (区/县) the register belongs to, e.g. "江汉区": "江汉区新华街道" -> "新华".

    Returns
    -------
    str
        The normalised name ('' for an empty input).
    """
    text = _clean(s)
    if county_name:
        county = _clean(county_name)
        if county and text.startswith(county) and len(text) - len(county) >= _MIN_LEN:
            text = text[len(county) :]
    text, _ = _strip_suffix(text, ADMIN_SUFFIXES)
    text, unit = _strip_suffix(text, UNIT_SUFFIXES)
    if unit == "街道":
        text, _ = _strip_suffix(text, ("街",))
    return text


def _official_frame(official: pd.DataFrame, county_code: str | None) -> pd.DataFrame:
    if not isinstance(official, pd.DataFrame):
        raise InputError(
            f"official must be a DataFrame with columns {', '.join(_OFFICIAL_COLUMNS)}, "
            f"got {type(official).__name__}"
        )
    missing = [c for c in ("code", "name") if c not in official.columns]
    if missing:
        raise InputError(
            f"official is missing column(s) {', '.join(missing)} (has "
            f"{', '.join(map(str, official.columns))}); pass the division list with columns "
            f"{', '.join(_OFFICIAL_COLUMNS)}"
        )
    frame = pd.DataFrame(
        {
            "code": official["code"].map(_clean).str.slice(0, 9),
            "name": official["name"].map(_clean),
            "county_code": (
                official["county_code"].map(_clean)
                if "county_code" in official.columns
                else official["code"].map(_clean).str.slice(0, 6)
            ),
        }
    )
    if county_code is not None:
        cc = _clean(county_code)
        if not re.fullmatch(r"\d{6}", cc):
            raise InputError(
                f"county_code={county_code!r} is not a 6-digit county code; pass e.g. '420103'"
            )
        frame = frame[frame["county_code"] == cc]
        if frame.empty:
            raise InputError(
                f"county_code={county_code!r} has no townships in the official list; check the "
                "code against the 统计用区划代码 of the county"
            )
    return frame


def match_townships(
    names: pd.Series | Iterable[object],
    official: pd.DataFrame,
    *,
    county_code: str | None = None,
    county_name: str | None = None,
) -> pd.DataFrame:
    """Match register township names (or codes) to the official township list.

    Each value is tried, in order, as a 9- or 12-digit 区划代码 (first nine digits), then as an
    exact name (whitespace removed), then as a normalised name (:func:`normalize_name`). More
    than one official unit for a name gives 'ambiguous' (pass ``county_code`` to narrow).

    Parameters
    ----------
    names
        Township names or codes; a Series keeps its index.
    official
        The division list: ``code`` (9 digits), ``name``, ``county_code`` (6 digits), ``kind``.
    county_code
        Only match units of this county.
    county_name
        The county's name, stripped when a register writes it in front of the township's.

    Returns
    -------
    DataFrame
        Indexed like ``names``: ``township_code``, ``township_name`` (both '' unless matched),
        ``match`` (exact/normalized/code/ambiguous/none) and ``candidates`` (the 、-joined
        "code name" options of an ambiguous match, else '').

    Raises
    ------
    InputError
        When ``official`` lacks columns or ``county_code`` is malformed or unknown.
    """
    series = names if isinstance(names, pd.Series) else pd.Series(list(names), dtype=object)
    frame = _official_frame(official, county_code)
    by_code = dict(zip(frame["code"], frame["name"], strict=True))
    by_exact: dict[str, list[str]] = {}
    by_norm: dict[str, list[str]] = {}
    for code, name in zip(frame["code"], frame["name"], strict=True):
        by_exact.setdefault(name, []).append(code)
        by_norm.setdefault(normalize_name(name, county_name=county_name), []).append(code)

    def one(value: object) -> tuple[str, str, str, str]:
        text = _clean(value)
        if not text:
            return "", "", "none", ""
        if _CODE.match(text):
            code = text[:9]
            if code in by_code:
                return code, by_code[code], "code", ""
            return "", "", "none", ""
        for kind, table, key in (
            ("exact", by_exact, text),
            ("normalized", by_norm, normalize_name(text, county_name=county_name)),
        ):
            codes = table.get(key, [])
            if len(codes) == 1:
                return codes[0], by_code[codes[0]], kind, ""
            if len(codes) > 1:
                options = "、".join(f"{c} {by_code[c]}" for c in sorted(codes))
                return "", "", "ambiguous", options
        return "", "", "none", ""

    # each distinct value is matched once (a province's register repeats a few hundred names)
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=False)
    answers = np.array([one(v) for v in uniques], dtype=object).reshape(len(uniques), 4)
    table = answers[codes] if len(series) else np.empty((0, 4), dtype=object)
    out = pd.DataFrame(
        table,
        index=series.index,
        columns=["township_code", "township_name", "match", "candidates"],
        dtype=object,
    )
    return out.astype(str)
