"""geo.names: township name normalisation and matching to the official list."""

from __future__ import annotations

import pandas as pd
import pytest

from geo._errors import InputError
from geo.names import match_townships, normalize_name


@pytest.mark.parametrize(
    "raw",
    [
        "民族街街道",
        "民族街道办事处",
        "民族街 道",
        "民族街道",
        "民族街道　",
        " 民族街道人民政府",
        "民族街道办事处;",
        "“民族街道”",
    ],
)
def test_normalize_variants_of_one_street(raw):
    assert normalize_name(raw) == "民族"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("城关镇人民政府", "城关"),
        ("花桥乡", "花桥"),
        ("扎兰屯民族乡", "扎兰屯"),
        ("阿日哈沙特苏木", "阿日哈沙特"),
        ("新街镇", "新街"),  # only 街道 drags a preceding 街 along
        ("东街道", "东街道"),  # never cut below two characters
        ("ＡＢ镇", "AB"),  # full-width letters
        ("经济开发区管委会", "经济开发区"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_rules(raw, expected):
    assert normalize_name(raw) == expected


def test_normalize_strips_a_leading_county_name():
    assert normalize_name("江汉区新华街道", county_name="江汉区") == "新华"
    assert normalize_name("江汉区新华街道") == "江汉区新华"
    assert normalize_name("新华街道", county_name="江汉区") == "新华"


@pytest.fixture()
def official() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["420103001", "420103002", "420103007", "420102001", "110112002"],
            "name": ["民族街街道", "花楼街街道", "新华街道", "新华街道", "新华街道"],
            "county_code": ["420103", "420103", "420103", "420102", "110112"],
            "kind": ["街道"] * 5,
        }
    )


def test_match_kinds_and_alignment(official):
    names = pd.Series(
        ["民族街道办事处", "新华街道", "420103002000", "420103002", "不存在乡", None, "民族街街道"],
        index=[10, 11, 12, 13, 14, 15, 16],
    )
    out = match_townships(names, official, county_code="420103")
    assert out.index.tolist() == names.index.tolist()
    assert out["match"].tolist() == [
        "normalized",
        "exact",
        "code",
        "code",
        "none",
        "none",
        "exact",
    ]
    assert out["township_code"].tolist() == [
        "420103001",
        "420103007",
        "420103002",
        "420103002",
        "",
        "",
        "420103001",
    ]
    assert out.loc[12, "township_name"] == "花楼街街道"
    assert names.iloc[0] == "民族街道办事处"  # input untouched


def test_same_name_in_several_counties_is_ambiguous(official):
    out = match_townships(["新华街道"], official)
    assert out["match"].iloc[0] == "ambiguous"
    assert out["township_code"].iloc[0] == ""
    assert "420102001" in out["candidates"].iloc[0]
    assert "110112002" in out["candidates"].iloc[0]
    # the county decides
    assert match_townships(["新华街道"], official, county_code="420102")[
        "township_code"
    ].tolist() == ["420102001"]


def test_code_of_another_county_does_not_match(official):
    out = match_townships(["420102001"], official, county_code="420103")
    assert out["match"].tolist() == ["none"]


def test_county_prefix_in_register(official):
    out = match_townships(["江汉区新华街道"], official, county_code="420103", county_name="江汉区")
    assert out["township_code"].tolist() == ["420103007"]
    assert out["match"].tolist() == ["normalized"]


def test_bad_official_and_county(official):
    with pytest.raises(InputError, match="missing column"):
        match_townships(["x"], official.drop(columns="name"))
    with pytest.raises(InputError, match="6-digit"):
        match_townships(["x"], official, county_code="4201")
    with pytest.raises(InputError, match="no townships"):
        match_townships(["x"], official, county_code="999999")


@pytest.mark.slow
def test_real_division_list_jiangan(bundle):
    """江岸区 (420102) has 17 official units (bundle README); each matches itself by code and by
    its '办事处' form."""
    towns = pd.read_csv(bundle / "divisions" / "townships_2023.csv", dtype=str)
    official = towns.rename(columns={"areaCode": "county_code"}).assign(kind="")
    jiangan = official[official["county_code"] == "420102"]
    assert len(jiangan) == 17
    out = match_townships(jiangan["name"] + "办事处", official, county_code="420102")
    assert (out["township_code"] == jiangan["code"]).all()
    out = match_townships(jiangan["code"] + "000", official, county_code="420102")
    assert (out["match"] == "code").all()
