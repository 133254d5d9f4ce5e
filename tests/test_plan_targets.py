"""The plan-target catalogue, its reader, inheritance by region code and the comparison.

Citations are checked against the plan texts themselves (skipped when the folder is absent).
"""

from __future__ import annotations

import copy
import csv
import os
import re
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from analysis.targets import (
    PLANS,
    STATUS_MET,
    STATUS_NO_TARGET,
    STATUS_NO_UNITS,
    STATUS_NOT_MET,
    compare_with_targets,
    measuring_paths,
    reach_targets,
    region_prefixes,
    targets_for_region,
    units_needed,
)
from geo._errors import DataMissingError, InputError
from geo.plans import COLUMNS, read_plan_targets
from geo.settings import DATA_DIR_ENV, project_root

CATALOGUE = project_root() / "data" / "plan_targets.csv"


def _plans_dir() -> Path | None:
    candidates = []
    if os.environ.get(DATA_DIR_ENV):
        candidates.append(Path(os.environ[DATA_DIR_ENV]).parent / "plans")
    candidates.append(project_root().parent / "shared" / "plans")
    return next((p for p in candidates if (p / "README.md").is_file()), None)


@pytest.fixture(scope="module")
def cat() -> pd.DataFrame:
    return read_plan_targets()


def _values(cat: pd.DataFrame, plan: str, layer: str, unit_level: str, **eq: object) -> set:
    rows = cat[(cat.plan_id == plan) & (cat.layer == layer) & (cat.unit_level == unit_level)]
    for col, val in eq.items():
        rows = rows[rows[col] == val]
    return set(rows.value_pct)


# --------------------------------------------------------------------------- catalogue


def test_catalogue_loads_with_dtypes(cat: pd.DataFrame) -> None:
    assert list(cat.columns) == list(COLUMNS)
    assert len(cat) >= 40
    assert cat.target_id.is_unique
    assert cat.year.dtype == "int64" and cat.value_pct.dtype == "float64"
    assert cat.primary.dtype == bool
    # leading zeros survive: the national code is the string 000000
    assert set(cat.loc[cat.plan_id == "national", "region_code"]) == {"000000"}
    assert set(cat.plan_id) <= set(PLANS)
    for pid, info in PLANS.items():
        rows = cat[cat.plan_id == pid]
        assert set(rows.region_code) == {info.region_code}, pid
    # only reach rows lack a number; all numbers are percentages
    assert cat.value_pct.isna().equals(cat.unit_level == "reach")
    assert cat.value_pct.dropna().between(0, 100).all()


def test_zhushan_targets(cat: pd.DataFrame) -> None:
    assert _values(cat, "zhushan", "elderly_care", "township") == {60.0, 80.0}
    assert _values(cat, "zhushan", "minor_protection", "township", source="table") == {50.0}
    assert _values(cat, "zhushan", "minor_protection", "street_only") == {100.0}
    assert _values(cat, "zhushan", "cremains", "county") == {100.0}
    table60 = cat[(cat.target_id == "zs-eld-twp-2025-table")].iloc[0]
    assert table60.primary and table60.source == "table" and table60.value_pct == 60
    box80 = cat[(cat.target_id == "zs-eld-twp-2025-box")].iloc[0]
    assert not box80.primary and box80.value_pct == 80


def test_national_and_jiangxi_targets(cat: pd.DataFrame) -> None:
    prim = cat[cat.primary]
    assert _values(prim, "national", "elderly_care", "township") == {60.0}
    assert _values(prim, "national", "minor_protection", "township") == {50.0}
    assert _values(prim, "national", "cremains", "county") == {100.0}
    assert _values(cat, "jiangxi", "elderly_care", "township") == {60.0, 80.0}
    assert _values(prim, "jiangxi", "elderly_care", "township") == {60.0}


def test_jiangmen_years_and_guangdong_rows(cat: pd.DataFrame) -> None:
    jm = cat[(cat.plan_id == "jiangmen") & (cat.layer == "elderly_care")]
    assert set(jm.loc[jm.unit_level == "township", "year"]) == {2023, 2025}
    assert _values(cat, "jiangmen", "elderly_care", "township", year=2023) == {40.0}
    gd = cat[cat.plan_id == "guangdong"]
    assert not gd.empty
    assert set(gd.region_code) == {"44"} and set(gd.region_name) == {"广东省"}
    assert gd.citation.str.startswith("002_").all()
    minor25 = cat[cat.target_id == "jm-min-twp-2025-table"].iloc[0]
    assert (minor25.comparator, minor25.value_pct) == (">", 50.0)


def test_one_primary_per_plan_layer_level_year(cat: pd.DataFrame) -> None:
    keys = ["plan_id", "region_code", "layer", "unit_level", "year"]
    counts = cat[cat.primary].groupby(keys).size()
    assert (counts == 1).all()


def test_citations_point_at_the_value() -> None:
    plans = _plans_dir()
    if plans is None:
        pytest.skip("plan texts (shared/plans) absent")
    with CATALOGUE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    texts: dict[str, list[str]] = {}
    for row in rows:
        name = row["citation"].split()[0]
        path = plans / name
        assert path.is_file(), f"{row['target_id']}: {name} not in {plans}"
        lines = texts.setdefault(name, path.read_text(encoding="utf-8").split("\n"))
        m = re.search(r"line (\d+)", row["citation"])
        assert m, f"{row['target_id']}: citation has no line number"
        line = lines[int(m.group(1)) - 1]
        value = row["value_pct"]
        if row["unit_level"] == "reach":
            assert "服务圈" in line, (row["target_id"], line)
        elif value == "100" and "100" not in line:
            assert any(w in line for w in ("全覆盖", "所有", "每个")), (row["target_id"], line)
        else:
            assert value in line, (row["target_id"], value, line)
        t = re.search(r"table row (\d+)", row["citation"]) or re.search(
            r"主要指标 row (\d+)", row["citation"]
        )
        if t and row["source"] == "table":  # the row number starts a line at or above the cite
            start = int(m.group(1)) - 1
            window = lines[max(0, start - 8) : start + 1]
            assert any(re.match(rf"\s*{t.group(1)}(\s|$)", w) for w in window), row["target_id"]


# --------------------------------------------------------------------------- reader errors


def _write_bad(tmp_path: Path, edit) -> Path:
    with CATALOGUE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    edit(rows)
    out = tmp_path / "bad.csv"
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out


def test_reader_rejects_bad_rows_naming_the_row(tmp_path: Path) -> None:
    def value(rows):
        rows[2]["value_pct"] = "120"

    with pytest.raises(InputError, match=r"bad\.csv row 3 \(line 4.*'120'.*outside 0–100"):
        read_plan_targets(_write_bad(tmp_path, value))

    def comparator(rows):
        rows[4]["comparator"] = "=>"

    with pytest.raises(InputError, match=r"row 5 .*comparator '=>'"):
        read_plan_targets(_write_bad(tmp_path, comparator))

    def duplicate(rows):
        rows[6]["target_id"] = rows[0]["target_id"]

    with pytest.raises(InputError, match=r"row 7 .*already used in row 1"):
        read_plan_targets(_write_bad(tmp_path, duplicate))

    def empty_value(rows):
        rows[0]["value_pct"] = ""

    with pytest.raises(InputError, match=r"row 1 .*value_pct is empty"):
        read_plan_targets(_write_bad(tmp_path, empty_value))

    def percent_sign(rows):
        rows[1]["value_pct"] = "60%"

    with pytest.raises(InputError, match=r"row 2 .*'60%' is not a number"):
        read_plan_targets(_write_bad(tmp_path, percent_sign))

    def second_primary(rows):
        rows[1]["primary"] = "true"  # nat-eld-twp-2025-box beside the table row

    with pytest.raises(InputError, match=r"row 2 .*second primary row.*first is row 1"):
        read_plan_targets(_write_bad(tmp_path, second_primary))

    def region(rows):
        rows[3]["region_code"] = "36020"

    with pytest.raises(InputError, match=r"row 4 .*region_code '36020'"):
        read_plan_targets(_write_bad(tmp_path, region))


def test_reader_missing_column_and_file(tmp_path: Path) -> None:
    bad = tmp_path / "short.csv"
    bad.write_text("target_id,plan_id\nx,national\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"short\.csv: missing column.*'plan_name'"):
        read_plan_targets(bad)
    with pytest.raises(DataMissingError, match="not found"):
        read_plan_targets(tmp_path / "nope.csv")


# --------------------------------------------------------------------------- inheritance


def test_region_prefixes() -> None:
    assert region_prefixes("360203") == ("000000", "36", "3602", "360203")
    assert region_prefixes("440700") == ("000000", "44", "4407")
    assert region_prefixes("36") == ("000000", "36")
    assert region_prefixes("000000") == ("000000",)
    with pytest.raises(InputError, match=r"region_code '3602031'"):
        region_prefixes("3602031")


def test_inheritance_for_zhushan_and_jiangmen_counties(cat: pd.DataFrame) -> None:
    zs = targets_for_region(cat, region_code="360203")
    assert set(zs.plan_id) == {"national", "jiangxi", "zhushan"}
    assert (zs.unit_level != "reach").all()
    pj = targets_for_region(cat, region_code="440703")
    assert set(pj.plan_id) == {"national", "guangdong", "jiangmen"}
    only2023 = targets_for_region(cat, region_code="440703", year=2023)
    assert set(only2023.plan_id) == {"jiangmen"} and set(only2023.year) == {2023}
    cremains = targets_for_region(cat, region_code="321202", layers=["cremains"])
    assert set(cremains.layer) == {"cremains"}
    assert set(cremains.plan_id) == {"national", "taizhou"}
    # output keeps the catalogue's index and leaves it untouched
    assert zs.index.isin(cat.index).all()


def test_plan_override_ignores_the_prefix(cat: pd.DataFrame) -> None:
    wuhan = targets_for_region(cat, region_code="420102", plan="jiangxi")
    assert set(wuhan.plan_id) == {"jiangxi"}
    assert not targets_for_region(cat, region_code="420102").plan_id.isin(["jiangxi"]).any()
    prim = targets_for_region(cat, region_code="420102", plan="jiangxi", primary_only=True)
    assert prim.primary.all() and len(prim) < len(wuhan)
    with pytest.raises(InputError, match=r"plan 'hubei' is not in the catalogue"):
        targets_for_region(cat, region_code="420102", plan="hubei")


def test_reach_statements_listed_apart(cat: pd.DataFrame) -> None:
    reach = reach_targets(cat, region_code="360203")
    assert set(reach.plan_id) == {"national", "jiangxi", "zhushan"}
    assert (reach.unit_level == "reach").all() and reach.value_pct.isna().all()
    assert reach_targets(cat, region_code="3212").plan_id.tolist() == ["national"]


# --------------------------------------------------------------------------- comparison


def _target(tid: str, comparator: str, value: float, unit_level: str = "township") -> dict:
    return {
        "target_id": tid,
        "plan_id": "p",
        "plan_name": "《测试规划》",
        "plan_level": "district",
        "region_code": "360203",
        "region_name": "珠山区",
        "indicator": "测试覆盖率",
        "layer": "elderly_care",
        "unit_level": unit_level,
        "year": 2025,
        "comparator": comparator,
        "value_pct": value,
        "property": "预期性",
        "source": "table",
        "citation": "x.txt line 1",
        "primary": True,
        "note": "",
    }


def _summary_row(unit_level: str, units: int, covered: int, layer: str = "elderly_care") -> dict:
    codes = [f"u{i}" for i in range(units - covered)]
    return {
        "scope": "county",
        "code": "360203",
        "name": "珠山区",
        "layer": layer,
        "unit_level": unit_level,
        "units": units,
        "covered": covered,
        "rate": covered / units if units else float("nan"),
        "uncovered_codes": codes,
        "uncovered_names": [c.upper() for c in codes],
    }


def test_compare_five_units_three_covered() -> None:
    targets = pd.DataFrame(
        [
            _target("ge60", ">=", 60),
            _target("ge80", ">=", 80),
            _target("gt60", ">", 60),
            _target("street", ">=", 100, unit_level="street_only"),
        ]
    )
    summary = pd.DataFrame(
        [
            _summary_row("township", 5, 3),
            _summary_row("street_only", 2, 1),
            _summary_row("county", 1, 1, layer="cremains"),
        ]
    )
    before_s, before_t = summary.copy(deep=True), targets.copy(deep=True)
    lists_before = copy.deepcopy(summary.uncovered_codes.tolist())

    out = compare_with_targets(summary, targets)

    assert out.index.equals(pd.RangeIndex(5))
    by = out.set_index("target_id", drop=False)
    assert by.loc["ge60", "status"] == STATUS_MET and by.loc["ge60", "units_needed"] == 0
    assert by.loc["ge80", "status"] == STATUS_NOT_MET and by.loc["ge80", "units_needed"] == 1
    assert by.loc["gt60", "status"] == STATUS_NOT_MET and by.loc["gt60", "units_needed"] == 1
    # the street-only target meets only the street-only row (1 of 2 streets)
    assert by.loc["street", "unit_level"] == "street_only"
    assert by.loc["street", "units_needed"] == 1
    assert (out.loc[out.unit_level == "township", "target_id"]).tolist() == ["ge60", "ge80", "gt60"]
    # the cremains row has no target: once, empty target columns
    none = out[out.layer == "cremains"]
    assert len(none) == 1 and none.status.iloc[0] == STATUS_NO_TARGET
    assert pd.isna(none.target_id.iloc[0]) and pd.isna(none.units_needed.iloc[0])
    assert by.loc["ge80", "held_to"] == "《测试规划》 测试覆盖率 ≥80%（2025）"
    assert by.loc["gt60", "held_to"] == "《测试规划》 测试覆盖率 >60%（2025）"
    assert by.loc["ge60", "target_pct"] == 60.0 and by.loc["ge60", "year"] == 2025
    # inputs untouched, output lists are copies
    pd.testing.assert_frame_equal(summary, before_s)
    pd.testing.assert_frame_equal(targets, before_t)
    out.at[0, "uncovered_codes"].append("zzz")
    assert summary.uncovered_codes.tolist() == lists_before


def test_compare_edge_cases() -> None:
    targets = pd.DataFrame(
        [_target("gt100", ">", 100), _target("ge33", ">=", 33.3), _target("ge0", ">=", 0)]
    )
    out = compare_with_targets(pd.DataFrame([_summary_row("township", 3, 1)]), targets)
    by = out.set_index("target_id")
    # ">100 %" can never be met: capped at the 2 uncovered units and flagged
    assert by.loc["gt100", "status"] == STATUS_NOT_MET
    assert by.loc["gt100", "units_needed"] == 2 and not by.loc["gt100", "attainable"]
    # 1/3 = 33.33… ≥ 33.3 exactly, with no float slack
    assert by.loc["ge33", "status"] == STATUS_MET and by.loc["ge33", "attainable"]
    assert by.loc["ge0", "status"] == STATUS_MET
    empty = compare_with_targets(pd.DataFrame([_summary_row("township", 0, 0)]), targets)
    assert set(empty.status) == {STATUS_NO_UNITS}


def test_compare_by_region_filters_targets() -> None:
    other = dict(_target("jm", ">=", 60), region_code="4407")
    targets = pd.DataFrame([_target("zs", ">=", 60), other])
    summary = pd.DataFrame([_summary_row("township", 5, 3)])
    assert len(compare_with_targets(summary, targets)) == 2
    scoped = compare_with_targets(summary, targets, by_region=True)
    assert scoped.target_id.tolist() == ["zs"]


def test_compare_rejects_bad_counts() -> None:
    targets = pd.DataFrame([_target("ge60", ">=", 60)])
    with pytest.raises(InputError, match=r"covered 6 must be between 0 and units 5"):
        compare_with_targets(pd.DataFrame([_summary_row("township", 5, 6)]), targets)
    half = pd.DataFrame([dict(_summary_row("township", 5, 3), covered=2.5)])
    with pytest.raises(InputError, match=r"must be whole numbers"):
        compare_with_targets(half, targets)
    with pytest.raises(InputError, match=r"summary is missing column.*'uncovered_codes'"):
        compare_with_targets(pd.DataFrame([{"code": "1"}]), targets)


def _meets_brute(c: int, units: int, comparator: str, target: Fraction) -> bool:
    rate = Fraction(c, units)
    return rate >= target if comparator == ">=" else rate > target


def test_units_needed_matches_brute_force() -> None:
    for value in ("0", "12.5", "33.3", "50", "60", "66.7", "80", "100"):
        target = Fraction(value) / 100
        for comparator in (">=", ">"):
            for units in range(1, 13):
                for covered in range(units + 1):
                    best = next(
                        (
                            c
                            for c in range(covered, units + 1)
                            if _meets_brute(c, units, comparator, target)
                        ),
                        units,
                    )
                    got = units_needed(
                        covered=covered, units=units, comparator=comparator, value_pct=float(value)
                    )
                    assert got == best - covered, (value, comparator, units, covered)


def test_compare_on_the_real_catalogue(cat: pd.DataFrame) -> None:
    targets = targets_for_region(cat, region_code="360203", year=2025)
    out = compare_with_targets(pd.DataFrame([_summary_row("township", 5, 3)]), targets)
    status = dict(zip(out.target_id, out.status, strict=True))
    assert status["zs-eld-twp-2025-table"] == STATUS_MET  # 3/5 = 60 %
    assert status["zs-eld-twp-2025-box"] == STATUS_NOT_MET  # 80 %
    assert status["jx-eld-twp-2025-box"] == STATUS_NOT_MET
    assert "jx-eld-str-2022-box" not in status  # street_only and 2022


# --------------------------------------------------------------------------- the targets command


def test_targets_command_says_how_each_is_measured(capsys) -> None:
    from servicecircle.cli import main

    assert main(["targets", "--region", "360203"]) == 0
    text = capsys.readouterr().out
    cat = read_plan_targets()
    ids = set(targets_for_region(cat, region_code="360203").target_id)
    ids |= set(reach_targets(cat, region_code="360203").target_id)
    assert all(tid in text for tid in ids)
    assert "社区日间照料机构登记表" in text and "servicecircle reach" in text


def test_targets_command_measures_on_registers(capsys) -> None:
    from geo.villages import villages_of
    from servicecircle.cli import main

    register = project_root() / "data" / "demo" / "珠山区_农村互助养老服务设施_示例.csv"
    assert main(["targets", "--region", "360203", "--register", str(register)]) == 0
    lines = {
        ln.split()[0]: ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("  ")
    }
    villages = len(villages_of("360203", kinds=("村",)))
    for tid in ("zs-mut-vil-2025-table", "jx-mut-vil-2025-table"):
        assert f"/{villages}（" in lines[tid]
    # targets of layers no register was given for say which register would measure them
    assert "未测：需要社区日间照料机构登记表" in lines["zs-day-com-2025-table"]
    assert "未测：需要养老服务中心登记表" in lines["zs-eld-twp-2025-table"]
    assert "servicecircle reach" in lines["zs-reach-2025-text"]


def test_every_catalogue_target_has_a_measuring_path():
    cat = read_plan_targets()
    paths = measuring_paths(cat)
    assert paths.target_id.tolist() == cat.target_id.tolist()
    assert paths.measured.all(), paths[~paths.measured]
    # the levels claimed are the ones the coverage functions really produce (on the drawn
    # 甲/乙 county of tests/test_villages_coverage.py)
    from analysis.coverage import coverage_summary
    from analysis.villages import assign_villages, village_summary
    from geo.layers import DEFAULT_UNIT_LEVEL, LAYERS
    from tests.test_villages_coverage import COUNTIES, TOWNSHIPS, VILLAGES, _facilities

    fac = _facilities()
    assigned = fac.join(assign_villages(fac, VILLAGES))
    produced = set(
        zip(
            *village_summary(VILLAGES, assigned, COUNTIES, TOWNSHIPS)[
                ["layer", "unit_level"]
            ].T.values
        )
    )
    twp = coverage_summary(
        TOWNSHIPS,
        pd.DataFrame({"layer": [], "township_code": [], "county_code": []}),
        COUNTIES,
        layers=[k for k in LAYERS if DEFAULT_UNIT_LEVEL[k] in ("township", "county")],
    )
    produced |= set(zip(twp.layer, twp.unit_level))
    numeric = cat[cat.unit_level != "reach"]
    assert set(zip(numeric.layer, numeric.unit_level)) <= produced
