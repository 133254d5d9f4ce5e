"""Which plan targets a region is held to: the plans, code-prefix inheritance, the selection."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from geo._errors import InputError
from geo.plans import COLUMNS as PLAN_COLUMNS

NATIONAL_CODE = "000000"


#: catalogue columns the comparison needs (the catalogue's full column list is geo.plans.COLUMNS)
CATALOGUE_COLUMNS = tuple(c for c in PLAN_COLUMNS if c not in ("plan_level", "source", "note"))


@dataclass(frozen=True)
class PlanInfo:
    """One plan the catalogue draws on.

    Attributes
    ----------
    plan_id
        The catalogue's ``plan_id``.
    plan_name
        The plan's title, as cited.
    plan_level
        national, province, city or district.
    region_code
        The region the plan governs: ``000000``, 2, 4 or 6 digits.
    region_name
        Its Chinese name.
    source_file
        The text in ``$SERVICE_DATA_DIR/../plans`` (``/work/shared/plans``) it was read from.
    """

    plan_id: str
    plan_name: str
    plan_level: str
    region_code: str
    region_name: str
    source_file: str


#: the plans in ``data/plan_targets.csv``, by plan_id
PLANS: Mapping[str, PlanInfo] = {
    p.plan_id: p
    for p in (
        PlanInfo(
            "national",
            "《“十四五”民政事业发展规划》",
            "national",
            NATIONAL_CODE,
            "全国",
            "003_e6fc943ba75c7f6b.txt",
        ),
        PlanInfo(
            "jiangxi",
            "《江西省民政事业发展“十四五”规划》",
            "province",
            "36",
            "江西省",
            "000_0042cc5eb03c5c1b.txt",
        ),
        PlanInfo(
            "zhushan",
            "《珠山区民政事业发展“十四五”规划》",
            "district",
            "360203",
            "景德镇市珠山区",
            "001_7b4ff369ae545bff.txt",
        ),
        PlanInfo(
            "jiangmen",
            "《江门市民政事业发展“十四五”规划》",
            "city",
            "4407",
            "江门市",
            "002_382c004963bde619.txt",
        ),
        PlanInfo(
            "guangdong",
            "广东省目标（引自《江门市民政事业发展“十四五”规划》）",
            "province",
            "44",
            "广东省",
            "002_382c004963bde619.txt",
        ),
        PlanInfo(
            "taizhou",
            "《泰州市“十四五”民政事业发展规划》",
            "city",
            "3212",
            "泰州市",
            "004_3fbd73979b362d8d.txt",
        ),
    )
}

_CODE = re.compile(r"^(\d{2}|\d{4}|\d{6})$")


def region_prefixes(region_code: str) -> tuple[str, ...]:
    """The catalogue codes a region inherits targets from, national first.

    Six-digit codes with trailing ``00`` pairs are read as the province or city they name
    (``440700`` is 江门市 = ``4407``; ``360000`` is 江西省 = ``36``).

    Parameters
    ----------
    region_code
        2, 4 or 6 digits (province, city, county), or ``000000`` for the whole country.

    Returns
    -------
    tuple of str
        E.g. ``("000000", "36", "3602", "360203")`` for ``"360203"``.

    Raises
    ------
    InputError
        The code is not 2, 4 or 6 digits.
    """
    code = str(region_code).strip()
    if not _CODE.match(code):
        raise InputError(
            f"region_code {region_code!r} must be 2, 4 or 6 digits "
            "(36 province, 4407 city, 360203 county, 000000 national); keep leading zeros."
        )
    if code == NATIONAL_CODE:
        return (NATIONAL_CODE,)
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return (NATIONAL_CODE,) + tuple(code[:n] for n in range(2, len(code) + 1, 2))


def targets_for_region(
    catalogue: pd.DataFrame,
    *,
    region_code: str,
    plan: str | None = None,
    year: int | None = None,
    layers: Iterable[str] | None = None,
    primary_only: bool = False,
) -> pd.DataFrame:
    """The numeric targets a region is held to.

    Parameters
    ----------
    catalogue
        The catalogue from :func:`geo.plans.read_plan_targets`.
    region_code
        The region measured (2, 4 or 6 digits). Without ``plan`` it inherits the national,
        provincial, city and its own targets by code prefix (see :func:`region_prefixes`).
    plan
        A ``plan_id`` (e.g. ``"jiangxi"``): return that plan's targets only and ignore the
        prefix rule, to hold any region to another plan's targets.
    year
        Keep only targets for this year (e.g. 2025, or 2023 for 江门's interim targets).
    layers
        Keep only these layers (elderly_care, social_work, cremains, minor_protection, other).
    primary_only
        Keep only the figure each plan uses by default (its main-indicator table row, else
        its text) for each layer, unit level and year.

    Returns
    -------
    pandas.DataFrame
        The matching catalogue rows, on the catalogue's index, in catalogue order. Reach
        statements (``unit_level == "reach"``, no percentage) are left out: see
        :func:`reach_targets`.

    Raises
    ------
    InputError
        A bad region code, an unknown plan, or a catalogue missing columns.
    """
    rows = _select(catalogue, region_code=region_code, plan=plan, year=year, layers=layers)
    rows = rows[rows["unit_level"] != "reach"]
    if primary_only:
        rows = rows[rows["primary"].astype(bool)]
    return rows.copy()


def reach_targets(
    catalogue: pd.DataFrame,
    *,
    region_code: str,
    plan: str | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """The walking-reach statements (15分钟养老服务圈 / 一刻钟居家养老服务圈) for a region.

    They carry no percentage, so :func:`compare_with_targets` never uses them; they name
    the plans a reach analysis answers to.

    Parameters
    ----------
    catalogue
        The catalogue from :func:`geo.plans.read_plan_targets`.
    region_code
        The region (inherits by code prefix unless ``plan`` is given).
    plan
        A ``plan_id``: that plan's statements only.
    year
        Keep only statements for this year.

    Returns
    -------
    pandas.DataFrame
        Catalogue rows with ``unit_level == "reach"``, on the catalogue's index.
    """
    rows = _select(catalogue, region_code=region_code, plan=plan, year=year, layers=None)
    return rows[rows["unit_level"] == "reach"].copy()


def _select(
    catalogue: pd.DataFrame,
    *,
    region_code: str,
    plan: str | None,
    year: int | None,
    layers: Iterable[str] | None,
) -> pd.DataFrame:
    missing = [c for c in CATALOGUE_COLUMNS if c not in catalogue.columns]
    if missing:
        raise InputError(
            f"catalogue is missing column(s) {missing}; read it with geo.plans.read_plan_targets."
        )
    prefixes = region_prefixes(region_code)
    codes = catalogue["region_code"].astype(str)
    if plan is not None:
        known = sorted(set(catalogue["plan_id"].astype(str)))
        if plan not in known:
            raise InputError(f"plan {plan!r} is not in the catalogue; use one of {known}.")
        mask = catalogue["plan_id"].astype(str) == plan
    else:
        mask = codes.isin(prefixes)
    if year is not None:
        mask &= catalogue["year"].astype(int) == int(year)
    if layers is not None:
        wanted = [layers] if isinstance(layers, str) else list(layers)
        mask &= catalogue["layer"].astype(str).isin(wanted)
    return catalogue[mask]
