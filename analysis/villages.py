"""Village-level coverage: facilities assigned to their 社区/村, and the share of units holding one.

Definitions (the README repeats them):

* a facility belongs to the village-level unit whose 12-digit code it declares; else, when the
  user has village polygons, the one its point lies in; else the unit of its township whose name
  it declares (所属社区/村); else the unit of its township whose name its own name or address
  contains (湖田村互助养老服务站 → 湖田村委会). Names are compared within the facility's township
  only, because they repeat across townships (新村, 城东社区 …); where two units of the township
  share a name, the kind its layer counts (社区 for day care, 村 for mutual aid) decides.
* community coverage (社区日间照料机构) = 城市社区 (居委会) with ≥ 1 facility ÷ all 居委会 of the
  area in the official list; village coverage (农村互助养老服务设施) = 建制村 (村委会) with ≥ 1
  facility ÷ all 村委会. Rolled up from township to county, city and province by adding units.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import pandas as pd

from analysis.coverage import SUMMARY_COLUMNS, summary_row, unit_counts
from geo._errors import InputError
from geo.layers import DEFAULT_UNIT_LEVEL, VILLAGE_LEVEL_KINDS
from geo.villages import kind_of_declared, village_key

#: the layers counted per village-level unit
VILLAGE_LAYERS: tuple[str, ...] = tuple(
    k for k, level in DEFAULT_UNIT_LEVEL.items() if level in VILLAGE_LEVEL_KINDS
)

BY_CODE = "区划代码"
BY_POLYGON = "村界"
BY_DECLARED = "所属社区/村名称"
BY_NAME = "设施名称或地址"

ASSIGN_COLUMNS = ("village_code", "village_name", "village_by", "village_note")


def _committee_free(name: str) -> str:
    key = village_key(name)
    for word in ("社区", "村"):
        if str(name).find(key + word) >= 0:
            return key + word
    return key


def assign_villages(
    facilities: pd.DataFrame,
    villages: pd.DataFrame,
    *,
    polygons: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """The village-level unit of each facility, aligned to ``facilities.index``.

    Parameters
    ----------
    facilities
        ``layer``, ``name``, ``township_code`` ('' when unknown); optional ``by_declared``
        (the declared township's code, looked in first), ``address``,
        ``village_code_declared`` (12 digits), ``village_declared`` (a 社区/村 name) and, with
        ``polygons``, a ``geometry`` of points in the polygons' CRS.
    villages
        The units of the area: ``code, name, kind, township_code``.
    polygons
        Village polygons with a ``code`` column (12 digits), or None.

    Returns
    -------
    DataFrame
        ``village_code`` ('' when none), ``village_name``, ``village_by`` (区划代码 / 村界 /
        所属社区/村名称 / 设施名称或地址 / ''), ``village_note`` (why none, or the candidates).
    """
    for col in ("layer", "name", "township_code"):
        if col not in facilities.columns:
            raise InputError(f"facilities lack column {col!r}; found {list(facilities.columns)}")
    for col in ("code", "name", "kind", "township_code"):
        if col not in villages.columns:
            raise InputError(f"villages lack column {col!r}; found {list(villages.columns)}")
    names = dict(zip(villages["code"], villages["name"]))
    kinds = dict(zip(villages["code"], villages["kind"]))
    by_township: dict[str, list[tuple[str, str, str]]] = {}
    for code, name, tw in zip(villages["code"], villages["name"], villages["township_code"]):
        by_township.setdefault(str(tw), []).append((str(code), str(name), village_key(name)))
    in_polygon = _points_in_polygons(facilities, polygons)

    out = pd.DataFrame(
        {c: [""] * len(facilities) for c in ASSIGN_COLUMNS}, index=facilities.index, dtype=object
    )
    for idx, rec in zip(facilities.index, facilities.to_dict("records")):
        want = VILLAGE_LEVEL_KINDS.get(DEFAULT_UNIT_LEVEL.get(str(rec["layer"]), ""))
        code = str(rec.get("village_code_declared") or "").strip()
        tw = str(rec.get("township_code") or "")
        found, by, note = "", "", ""
        if code in names:
            found, by = code, BY_CODE
        elif code:
            note = f"申报代码 {code} 不在村级名录中；"
        if not found and in_polygon.get(idx):
            found, by = in_polygon[idx], BY_POLYGON
        # the declared township first (a row declares its 街道 and 社区 together), then the
        # township the facility was assigned to
        towns = list(dict.fromkeys(t for t in (str(rec.get("by_declared") or ""), tw) if t))
        declared = str(rec.get("village_declared") or "").strip()
        text = f"{rec.get('name') or ''} {rec.get('address') or ''}"
        why = ""
        for town in towns if not found else ():
            units = by_township.get(town, [])
            if declared:
                hits = [u for u in units if u[2] == village_key(declared)]
                found, why = _pick(hits, kind_of_declared(declared) or want, kinds, declared)
                by = BY_DECLARED
            if not found:
                found, why = _pick(_contained(units, text), want, kinds, str(rec.get("name") or ""))
                by = BY_NAME
            if found:
                break
        if not found:
            by = ""
            note += why or (
                "乡镇（街道）未知" if not towns else "所在乡镇中没有与名称相符的社区/村"
            )
        out.loc[idx, list(ASSIGN_COLUMNS)] = [
            found,
            names.get(found, ""),
            by,
            note if not found else "",
        ]
    return out


def _contained(units: list[tuple[str, str, str]], text: str) -> list[tuple[str, str, str]]:
    """Units whose name (committee words dropped; bare key when 2+ characters) is in ``text``;
    only the longest such names."""
    scored = []
    for u in units:
        full = _committee_free(u[1])
        if full and full in text:
            scored.append((len(full), u))
        elif len(u[2]) >= 2 and u[2] in text:
            scored.append((len(u[2]), u))
    if not scored:
        return []
    best = max(s for s, _ in scored)
    return [u for s, u in scored if s == best]


def _pick(
    hits: list[tuple[str, str, str]], kind: str | None, kinds: dict[str, str], what: str
) -> tuple[str, str]:
    if len(hits) > 1 and kind is not None:
        narrowed = [u for u in hits if kinds[u[0]] == kind]
        hits = narrowed or hits
    if len(hits) == 1:
        return hits[0][0], ""
    if len(hits) > 1:
        return "", f"{what!r} 可对应本乡镇多个单位：{'、'.join(u[1] for u in hits)}"
    return "", ""


def _points_in_polygons(
    facilities: pd.DataFrame, polygons: gpd.GeoDataFrame | None
) -> dict[object, str]:
    if polygons is None or "geometry" not in facilities.columns:
        return {}
    if "code" not in polygons.columns:
        raise InputError(f"village polygons lack a 'code' column; found {list(polygons.columns)}")
    pts = gpd.GeoDataFrame(facilities[["geometry"]], geometry="geometry", crs=polygons.crs)
    pts = pts[pts.geometry.notna()]
    if pts.empty:
        return {}
    joined = gpd.sjoin(pts, polygons[["code", "geometry"]], how="inner", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    return {i: str(c) for i, c in zip(joined.index, joined["code"])}


def village_counts(
    villages: pd.DataFrame, assigned: pd.DataFrame, *, layers: Iterable[str] = VILLAGE_LAYERS
) -> pd.DataFrame:
    """Facilities per unit and layer, aligned to ``villages.index``: ``n_<layer>``,
    ``covered_<layer>``. ``assigned`` has ``layer`` and ``village_code``."""
    return unit_counts(villages, assigned, unit_column="village_code", layers=layers)


def village_summary(
    villages: pd.DataFrame,
    assigned: pd.DataFrame,
    counties: pd.DataFrame,
    townships: pd.DataFrame,
    *,
    layers: Iterable[str] = VILLAGE_LAYERS,
) -> pd.DataFrame:
    """Coverage of 城市社区 / 建制村 per township, county, city and province.

    Each layer is counted over the kind of unit its level names (community → 社区, village →
    村). Township rows are given only where the township has such units; county and larger rows
    always (``units`` 0 when there are none: the comparison then says 无统计单元).

    Returns
    -------
    DataFrame
        Columns :data:`analysis.coverage.SUMMARY_COLUMNS`, scopes township, county, city,
        province in that order.
    """
    for frame, cols, what in (
        (counties, ("code", "name", "city_code", "province_code"), "counties"),
        (townships, ("code", "name"), "townships"),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise InputError(f"{what} lack column(s) {missing}; found {list(frame.columns)}")
    layers = list(layers)
    counts = village_counts(villages, assigned, layers=layers)
    township_names = dict(zip(townships["code"], townships["name"]))
    rows: list[dict] = []
    for layer in layers:
        level = DEFAULT_UNIT_LEVEL[layer]
        kind = VILLAGE_LEVEL_KINDS[level]
        mask = villages["kind"] == kind
        units = pd.DataFrame(
            {
                "code": villages.loc[mask, "code"],
                "name": villages.loc[mask, "name"],
                "covered": counts.loc[mask, f"covered_{layer}"],
                "township": villages.loc[mask, "township_code"],
                "county": villages.loc[mask, "code"].str[:6],
            }
        )

        def unit_list(part: pd.DataFrame) -> list[tuple[str, str, bool]]:
            return list(zip(part["code"], part["name"], part["covered"].astype(bool)))

        for tw, part in units.groupby("township", sort=True):
            rows.append(
                summary_row(
                    "township", tw, township_names.get(tw, tw), layer, level, unit_list(part)
                )
            )
        for scope, code_col, name_col, width in (
            ("county", "code", "name", 6),
            ("city", "city_code", "city_name", 4),
            ("province", "province_code", "province_name", 2),
        ):
            seen = counties.drop_duplicates(code_col)
            for code, name in zip(seen[code_col], seen.get(name_col, seen[code_col])):
                part = units[units["county"].str[:width] == str(code)]
                rows.append(summary_row(scope, code, name, layer, level, unit_list(part)))
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS + ["_units"]).drop(columns="_units")
    order = {"township": 0, "county": 1, "city": 2, "province": 3}
    return out.sort_values("scope", key=lambda s: s.map(order), kind="stable").reset_index(
        drop=True
    )
