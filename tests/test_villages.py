"""Village-level units: the committed 2023 table, the 社区/村 classification and the user's list."""

from __future__ import annotations

import pandas as pd
import pytest

from geo._errors import InputError
from geo.divisions import official_townships
from geo.villages import (
    ambiguous_villages,
    kind_of_declared,
    official_villages,
    read_village_list,
    village_key,
    village_kind,
    villages_of,
)


@pytest.mark.parametrize(
    ("code", "name", "kind", "basis"),
    [
        ("360203001001", "风景路社区居委会", "社区", "名称"),
        ("360203100201", "湖田村委会", "村", "名称"),
        ("110101001001", "银闸社区居民委员会", "社区", "名称"),
        ("130100001201", "苑张庄村民委员会", "村", "名称"),
        ("360203400001", "景德镇监狱社区", "社区", "名称"),
        ("150100001201", "那日斯太嘎查委员会", "村", "名称"),
        ("220100001101", "繁荣居委会（五棵树现代农业产业开发区）（省级）", "社区", "名称"),
        # the name does not say: the code band does (001–199 居委会, 200–399 村委会)
        ("110100001101", "第一街委员会", "社区", "代码段"),
        ("110100001201", "白庙村农工商联合公司（村委会）", "村", "代码段"),
        ("110100001401", "开鲁工业园管理区", "社区", "代码段"),
        ("110100001501", "小营股份经济合作社生活区", "村", "代码段"),
    ],
)
def test_village_kind_by_name_then_code_band(code, name, kind, basis):
    assert village_kind(code, name) == (kind, basis)


def test_village_key_compares_names_as_registers_write_them():
    assert village_key("新村村委会") == village_key("新村") == "新"
    assert village_key("城东社区居委会") == village_key("城东社区") == "城东"
    assert village_key("城东社区") != village_key("城西社区")
    assert village_key("湖田村委会") == village_key("湖田村") == village_key("湖田")
    assert kind_of_declared("城东社区") == "社区" and kind_of_declared("湖田村") == "村"
    assert kind_of_declared("湖田") is None


def test_official_table_counts_match_the_2023_list():
    table = official_villages()
    assert len(table) == 620_573
    assert table["code"].str.fullmatch(r"\d{12}").all() and table["code"].is_unique
    zs = villages_of("360203")
    assert len(zs) == 71
    assert zs["kind"].value_counts().to_dict() == {"社区": 58, "村": 13}
    assert (table["code"].str[:4] == "4407").sum() == 1348
    assert (table["code"].str[:4] == "3212").sum() == 1745
    assert (table["code"].str[:2] == "36").sum() == 22080
    # every unit's township is an official township
    assert set(table["township_code"]) <= set(official_townships()["code"])
    # the committed kinds are the rule's (the script and the reader share village_kind)
    sample = table.sample(2000, random_state=0)
    told = [village_kind(c, n) for c, n in zip(sample["code"], sample["name"])]
    assert [k for k, _ in told] == sample["kind"].tolist()
    assert [b for _, b in told] == sample["basis"].tolist()


def test_ambiguous_units_are_those_told_by_code_band():
    amb = ambiguous_villages()
    assert len(amb) > 0 and (amb["basis"] == "代码段").all()
    assert not amb["name"].str.endswith(("村委会", "居委会", "社区")).any()
    only = villages_of("360203", kinds=("村",))
    assert len(only) == 13 and set(only["kind"]) == {"村"}
    with pytest.raises(InputError, match="unknown village kind"):
        villages_of("360203", kinds=("镇",))


def test_user_list_with_urban_rural_code(tmp_path):
    path = tmp_path / "村级.csv"
    pd.DataFrame(
        {
            "代码": ["360203001001", "360203100201", "360203100202"],
            "名称": ["风景路社区居委会", "湖田村委会", "新厂村委会"],
            "城乡分类代码": ["111", "112", "220"],
        }
    ).to_csv(path, index=False, encoding="utf-8-sig")
    out = read_village_list(path)
    assert out["kind"].tolist() == ["社区", "社区", "村"]
    assert set(out["basis"]) == {"城乡分类代码"}
    assert out["township_code"].tolist() == ["360203001", "360203100", "360203100"]


def test_user_list_errors_name_row_and_fix(tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"代码": ["360203001001", "3602031"], "名称": ["甲社区", "乙村"]}).to_csv(
        path, index=False
    )
    with pytest.raises(InputError, match=r"row 3.*12-digit"):
        read_village_list(path)
    path2 = tmp_path / "bad2.csv"
    pd.DataFrame({"代码": ["360203001001"], "名称": ["甲社区"], "城乡分类代码": ["999"]}).to_csv(
        path2, index=False
    )
    with pytest.raises(InputError, match="城乡分类代码 '999'"):
        read_village_list(path2)
