"""End to end in a real headless Chromium: the running app, and an exported HTML map.

Needs Debian ``chromium`` and ``chromium-driver`` and the reference bundle. Skips without the
browser, unless SERVICECIRCLE_REQUIRE_E2E=1 (then a missing browser fails). Basemap 无底图
throughout, so the offline machine fetches no tiles and the console must stay clean.

Screenshots go to ``$SERVICECIRCLE_SCREENSHOTS`` (e.g. docs/screenshots, for the README) when
set, else into the test's tmp_path.
"""

from __future__ import annotations

import os
from pathlib import Path

import e2e_util as eu  # tests/ is on sys.path (pytest rootdir insertion)
import pytest

pytestmark = pytest.mark.e2e

SCREENSHOTS_ENV = "SERVICECIRCLE_SCREENSHOTS"
XSS_NAME = "<script>alert(1)</script>"
WAIT_S = 120  # generous: CI shares 2 cores; waits end as soon as the page is ready


def _require_browser() -> None:
    why = eu.browser_missing()
    if why is None:
        return
    if os.environ.get(eu.REQUIRE_ENV) == "1":
        pytest.fail(f"{why} ({eu.REQUIRE_ENV}=1)")
    pytest.skip(why)


def _register_csv(path: Path) -> Path:
    """A WGS84 register of three 养老服务中心 in 江岸区: two in different 街道, one named XSS."""
    from geo.crs import bd09_to_wgs84

    # the BD-09 picks of the AppTest register, converted: 后湖街道 and 球场街道, ~4 km apart
    lon, lat = bd09_to_wgs84([114.299069, 114.305307], [30.641434, 30.60419])
    rows = [
        ("测试·后湖街道养老服务中心", "养老服务中心", "后湖街道", lon[0], lat[0]),
        (XSS_NAME, "养老服务中心", "后湖街道", lon[0] + 0.0005, lat[0] + 0.0005),
        ("测试·球场街道养老服务中心", "养老服务中心", "球场街道", lon[1], lat[1]),
    ]
    text = "名称,类型,街道,经度,纬度\n" + "".join(
        f"{n},{k},{t},{x:.6f},{y:.6f}\n" for n, k, t, x, y in rows
    )
    path.write_text(text, encoding="utf-8")
    return path


def _shots(tmp_path: Path) -> Path:
    target = os.environ.get(SCREENSHOTS_ENV)
    out = Path(target) if target else tmp_path / "screenshots"
    if not out.is_absolute():
        out = eu.ROOT / out
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _require_browser()
    driver = eu.chrome(tmp_path_factory.mktemp("chrome-profile"))
    driver.set_page_load_timeout(WAIT_S)
    yield driver
    driver.quit()


# ---------------------------------------------------------------- Streamlit page helpers
def _by():
    from selenium.webdriver.common.by import By

    return By


def _wait(driver, condition, what: str, timeout_s: float = WAIT_S):
    """Poll ``condition`` until truthy. Streamlit re-renders elements while a script runs, so a
    condition that finds and uses an element may meet a stale one: that is retried too."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(
            driver,
            timeout_s,
            poll_frequency=0.25,
            ignored_exceptions=(StaleElementReferenceException,),
        ).until(condition)
    except TimeoutException:
        body = driver.find_element(_by().TAG_NAME, "body").text[-1500:]
        raise AssertionError(f"timed out waiting for {what}; page ends with:\n{body}") from None


def _idle(driver) -> None:
    """Wait for the script run to finish (Streamlit shows stStatusWidget while running)."""
    By = _by()
    _wait(
        driver,
        lambda d: (
            not d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')
            and not d.find_elements(By.CSS_SELECTOR, '[data-testid="stSpinner"]')
        ),
        "the app to finish running",
    )


def _choose(driver, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` (elements found afresh each poll)."""
    By = _by()

    def box(d):
        return next(
            (
                b
                for b in d.find_elements(By.CSS_SELECTOR, '[data-testid="stSelectbox"]')
                if label in b.text
            ),
            None,
        )

    def open_list(d):
        b = box(d)
        if b is None:
            return False
        b.find_element(By.CSS_SELECTOR, 'button[aria-haspopup="listbox"]').click()
        return True

    def pick(d):
        item = next(
            (o for o in d.find_elements(By.CSS_SELECTOR, '[role="option"]') if o.text == option),
            None,
        )
        if item is None:
            return False
        item.click()
        return True

    _wait(driver, open_list, f"selectbox {label}")
    _wait(driver, pick, f"option {option} of {label}")
    _wait(
        driver,
        lambda d: (
            box(d).find_element(By.CSS_SELECTOR, 'input[role="combobox"]').get_attribute("value")
            == option
        ),
        f"{label} showing {option}",
    )


def _radio(driver, option: str) -> None:
    By = _by()

    def pick(d):  # find and click together: a re-render between the two is retried
        label = next(
            (
                lab
                for lab in d.find_elements(By.CSS_SELECTOR, '[data-testid="stRadioOption"]')
                if lab.text == option
            ),
            None,
        )
        if label is None:
            return False
        d.execute_script("arguments[0].scrollIntoView({block: 'center'});", label)
        label.click()
        return True

    _wait(driver, pick, f"radio option {option}")


def _enter_map_frame(driver, *, min_paths: int, what: str):
    """Switch into the st_folium frame once its map shows ``min_paths`` vector shapes.

    The frame is looked up afresh on every poll: Streamlit may replace it while the script
    reruns, and a stale frame would never fill.
    """
    By = _by()

    def ready(d):
        d.switch_to.default_content()
        frames = d.find_elements(By.CSS_SELECTOR, 'iframe[title*="st_folium"]')
        if not frames:
            return None
        d.execute_script("arguments[0].scrollIntoView({block: 'center'});", frames[0])
        d.switch_to.frame(frames[0])
        if len(d.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) >= min_paths:
            return frames[0]
        d.switch_to.default_content()
        return None

    try:
        return _wait(driver, ready, what)
    except AssertionError:
        driver.switch_to.default_content()
        raise


def _table_rows(driver, column: str) -> list[list[str]]:
    """Rows (cell texts) of the st.dataframe whose header has ``column``."""
    By = _by()
    for frame in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stDataFrame"]'):
        heads = [h.get_attribute("textContent") for h in frame.find_elements(By.CSS_SELECTOR, "th")]
        if column not in heads:
            continue
        rows = []
        for tr in frame.find_elements(By.CSS_SELECTOR, "tbody tr"):
            cells = [
                td.get_attribute("textContent") for td in tr.find_elements(By.CSS_SELECTOR, "td")
            ]
            if cells:
                rows.append(cells)
        return rows
    return []


def _assert_console_clean(driver, where: str) -> None:
    severe = eu.severe_console_entries(driver)
    assert not severe, f"SEVERE browser console entries {where}: {severe}"


def _assert_no_alert(driver) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018 (the property raises when no alert is open)


def _metric_like(driver, part: str) -> bool:
    By = _by()
    return any(
        part in e.text
        for e in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMetricLabel"]')
    )


def _click_button(driver, text: str, what: str) -> None:
    """Click the (download) button whose text is ``text``; found afresh on every poll."""
    By = _by()

    def click(d):
        button = next((b for b in d.find_elements(By.TAG_NAME, "button") if b.text == text), None)
        if button is None:
            return False
        d.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
        button.click()
        return True

    _wait(driver, click, what)


def _toggle(driver, label: str) -> None:
    """Switch on the st.toggle / st.checkbox labelled ``label``."""
    By = _by()

    def click(d):
        box = next(
            (
                b
                for b in d.find_elements(By.CSS_SELECTOR, '[data-testid="stCheckbox"]')
                if label in b.text
            ),
            None,
        )
        if box is None:
            return False
        d.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
        box.find_element(By.TAG_NAME, "label").click()
        return True

    _wait(driver, click, f"toggle {label}")


def _metric(driver, label: str) -> str | None:
    """The value of the st.metric card labelled exactly ``label``."""
    By = _by()
    for card in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMetric"]'):
        head = card.find_elements(By.CSS_SELECTOR, '[data-testid="stMetricLabel"]')
        if head and head[0].text.strip() == label:
            return card.find_element(By.CSS_SELECTOR, '[data-testid="stMetricValue"]').text
    return None


def _body(driver) -> str:
    return driver.find_element(_by().TAG_NAME, "body").text


#: the text a reader sees: icons (Material ligatures such as "check") and visually hidden
#: elements (the keyboard-only skip link) are not read as words
_VISIBLE_TEXT_JS = """
const out = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || el.closest('[data-testid="stIconMaterial"], script, style, noscript')) continue;
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    if (r.width <= 1 || r.height <= 1 || cs.visibility === 'hidden' || cs.display === 'none') continue;
    if (cs.fontFamily.includes('Material')) continue;  // an icon drawn from a ligature
    if (cs.clip && cs.clip.startsWith('rect(0') || cs.clipPath === 'inset(50%)') continue;
    out.push(walker.currentNode.textContent);
}
return out.join(' ');
"""


def _assert_chinese_page(driver, where: str) -> None:
    """No English word on the visible page but proper names, formats and units."""
    words = eu.english_words(driver.execute_script(_VISIBLE_TEXT_JS))
    assert not words, f"English words {where}: {words}"


def _downloads_to(driver, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)}
    )
    return folder


# ---------------------------------------------------------------- the tests
def test_app_in_browser_upload_coverage_map(bundle, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains

    By = _by()
    shots = _shots(tmp_path)
    register = _register_csv(tmp_path / "测试_养老服务中心.csv")
    with eu.streamlit_server(data_dir=str(bundle), log_path=tmp_path / "streamlit.log") as url:
        browser.get(url)
        _wait(
            browser,
            lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid="stMetricValue"]')) >= 8,
            "the demo coverage cards",
        )
        _choose(browser, "底图", "无底图")
        _idle(browser)

        # the demo dashboard, for the README
        heading = _wait(
            browser,
            lambda d: next(
                (h for h in d.find_elements(By.CSS_SELECTOR, "h3") if "覆盖情况" in h.text), None
            ),
            "the coverage heading",
        )
        browser.execute_script("arguments[0].scrollIntoView({block: 'start'});", heading)
        _wait(browser, lambda d: _table_rows(d, "覆盖率"), "the coverage table")
        browser.save_screenshot(str(shots / "app.png"))

        # the map (display only), drawn offline from the vendored Leaflet
        _radio(browser, "地图")
        _enter_map_frame(browser, min_paths=10, what="township polygons and markers on the map")
        try:
            assert not browser.find_elements(By.CSS_SELECTOR, "img.leaflet-tile")  # 无底图
        finally:
            browser.switch_to.default_content()
        browser.save_screenshot(str(shots / "map.png"))

        # siting: click the map to add a new site, then run the what-if
        _radio(browser, "选址")
        _wait(
            browser,
            lambda d: "覆盖矩阵用时" in d.find_element(By.TAG_NAME, "body").text,
            "the siting problem (the street graph is built on first use)",
        )
        _idle(browser)
        _enter_map_frame(browser, min_paths=100, what="candidates on the siting map")
        try:
            # a real mouse click on a township polygon or candidate (Leaflet passes it on to
            # the map). Chromedriver cannot aim at SVG inside a frame: aim at the frame instead.
            # the centre of the first shape that is on top there (not under the legend)
            # of the shapes on top at their centre, the one nearest the frame's centre (the
            # part of the frame that is surely on screen once the frame is scrolled to centre)
            target = browser.execute_script(
                """
                const cx = window.innerWidth / 2, cy = window.innerHeight / 2;
                let best = null, bestD = Infinity;
                for (const p of document.querySelectorAll('path.leaflet-interactive')) {
                    const b = p.getBoundingClientRect();
                    const x = b.left + b.width / 2, y = b.top + b.height / 2;
                    const d = Math.hypot(x - cx, y - cy);
                    if (d < bestD && document.elementFromPoint(x, y) === p) {
                        best = [x, y, window.innerWidth, window.innerHeight]; bestD = d;
                    }
                }
                return best;
                """
            )
            assert target is not None, "no clickable shape on the siting map"
        finally:
            browser.switch_to.default_content()
        dx, dy = round(target[0] - target[2] / 2), round(target[1] - target[3] / 2)

        def click_map(d):  # scroll the map frame to the middle of the window, then click
            frame = d.find_element(By.CSS_SELECTOR, 'iframe[title*="st_folium"]')
            d.execute_script("arguments[0].scrollIntoView({block: 'center'});", frame)
            ActionChains(d).move_to_element_with_offset(frame, dx, dy).click().perform()
            return True

        _wait(browser, click_map, "a click on the siting map", timeout_s=30)
        clicked = _wait(browser, lambda d: _table_rows(d, "拟建点"), "the clicked site listed")
        assert [r[0] for r in clicked] == ["点选1"]
        lon, lat = float(clicked[0][1]), float(clicked[0][2])
        assert 114.2 < lon < 114.4 and 30.55 < lat < 30.7, clicked  # inside 江岸区's map

        def click_run(d):  # find and click in one step: a re-render between them is retried
            button = next(
                (b for b in d.find_elements(By.TAG_NAME, "button") if b.text == "测算"), None
            )
            if button is None:
                return False
            d.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
            button.click()
            return True

        _wait(browser, click_run, "the what-if button")
        rows = _wait(browser, lambda d: _table_rows(d, "可达（后）"), "the scenario comparison")
        assert rows[0][:4] == ["方案测算1", "方案测算", "1", "0"], rows
        assert float(rows[0][5].rstrip("%")) >= float(rows[0][4].rstrip("%"))
        browser.save_screenshot(str(shots / "siting.png"))
        _assert_chinese_page(browser, "on the siting view")

        # Streamlit's own "Select all" of a multiselect reads 全选
        def open_multiselect(d):
            box = next(
                (
                    b
                    for b in d.find_elements(By.CSS_SELECTOR, '[data-testid="stMultiSelect"]')
                    if "假设关闭的现有设施" in b.text
                ),
                None,
            )
            if box is None:
                return False
            d.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
            box.find_element(By.TAG_NAME, "input").click()
            return True

        _wait(browser, open_multiselect, "the what-if multiselect")
        select_all = _wait(
            browser,
            lambda d: next(
                iter(d.find_elements(By.CSS_SELECTOR, '[data-key="__select_all__"]')), None
            ),
            "the multiselect's select-all option",
        )
        shown = browser.execute_script(
            "return getComputedStyle(arguments[0].firstElementChild, '::after').content",
            select_all,
        )
        assert shown == '"全选"', shown
        ActionChains(browser).send_keys("\ue00c").perform()  # Escape closes the list

        # every result downloads: the siting scenarios, the 15-minute tables, the briefing
        folder = _downloads_to(browser, tmp_path / "downloads")
        _toggle(browser, "生成选址下载文件")
        _click_button(browser, "选址方案 Excel", "the siting Excel download")
        siting_xlsx = eu.wait_for_file(folder, "选址方案.xlsx")
        from openpyxl import load_workbook

        sheets = load_workbook(siting_xlsx).sheetnames
        assert {"方案对比", "方案1_选址"} <= set(sheets), sheets
        _radio(browser, "15分钟养老服务圈")
        _wait(browser, lambda d: _metric_like(d, "分钟可达"), "the 15-minute cards")
        _assert_chinese_page(browser, "on the 15-minute view")
        _toggle(browser, "生成下载文件")
        _click_button(browser, "15分钟圈 Excel", "the 15-minute Excel download")
        reach_xlsx = eu.wait_for_file(folder, "分钟养老服务圈.xlsx")
        assert "15分钟圈_乡镇" in load_workbook(reach_xlsx).sheetnames
        _radio(browser, "下载")
        _click_button(browser, "生成 Word 简报", "the briefing button")
        _click_button(browser, "Word 简报（.docx）", "the briefing download")
        brief = eu.wait_for_file(folder, ".docx")
        import docx

        doc = docx.Document(str(brief))
        texts = [p.text for p in doc.paragraphs]
        assert texts[0] == "江岸区 民政服务设施覆盖情况简报"
        heads = [[c.text for c in t.rows[0].cells] for t in doc.tables]
        assert heads[0][:4] == ["区域", "设施", "口径", "对照规划"]
        assert any("沿路网可达比例" in h for h in heads), heads  # the 15-minute figures
        assert any("新增可达（加权，人）" in h for h in heads), heads  # the siting sites
        assert any("个居住小区在 15 分钟" in t for t in texts)
        assert len(doc.inline_shapes) == 1
        _assert_chinese_page(browser, "on the downloads view")

        # upload a register: parsed, validated, counted (2 of 江岸区's 17 units)
        _radio(browser, "覆盖率")
        _radio(browser, "上传登记表")

        def send_file(d):
            field = next(iter(d.find_elements(By.CSS_SELECTOR, 'input[type="file"]')), None)
            if field is None:
                return False
            field.send_keys(str(register))
            return True

        _wait(browser, send_file, "the file input")
        _wait(
            browser,
            lambda d: any(
                r[:2] == ["江岸区", "养老服务中心"] and "11.8%" in r
                for r in _table_rows(d, "覆盖率")
            ),
            "coverage of the uploaded register",
        )
        rows = [
            r
            for r in _table_rows(browser, "覆盖率")
            if r[:3] == ["江岸区", "养老服务中心", "乡镇（街道）"]
        ]
        # 2 of 17 = 11.8 % against the national ≥60 % (and ≥ any other plan's share): 未达标
        assert rows and all(r[4:7] == ["2", "17", "11.8%"] and r[8] == "未达标" for r in rows), rows
        imported = browser.find_elements(By.CSS_SELECTOR, '[data-testid="stMetricValue"]')[0].text
        assert imported == "3 个"
        assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
        _assert_no_alert(browser)
        _assert_console_clean(browser, "in the app")
        browser.get("about:blank")  # leave before the server stops (no reconnect noise)


def test_exported_html_map_is_clean_and_escapes_names(bundle, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains

    from servicecircle import workflows
    from servicecircle.outputs import write_coverage_outputs

    By = _by()
    from servicecircle.demo import demo_seat_points

    register = _register_csv(tmp_path / "测试_养老服务中心.csv")
    region = workflows.load_region("420102", seat_points=demo_seat_points())
    imported = workflows.import_registers(
        [workflows.RegisterSpec(register, layer="elderly_care")], region
    )
    assert XSS_NAME in set(imported.facilities["name"])
    run = workflows.coverage_run(region, imported)
    paths = write_coverage_outputs(run, tmp_path / "out", basemap="none")

    browser.get("about:blank")
    browser.get_log("browser")  # drain: only this page's entries count below
    browser.get(paths["html"].resolve().as_uri())
    _wait(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, ".leaflet-container path.leaflet-interactive"),
        "the exported map",
        timeout_s=30,
    )
    _assert_no_alert(browser)
    # open the XSS-named facility's popup by clicking its marker
    marker = browser.execute_script(
        """
        var el = document.querySelector('.folium-map');
        var map = window[el.id], found = null;
        map.eachLayer(function (l) {
            var p = l.getPopup && l.getPopup();
            if (!found && p && String(p.getContent()).indexOf('&lt;script&gt;') >= 0) { found = l; }
        });
        if (!found) { return null; }
        map.setView(found.getLatLng(), 17, {animate: false});
        return found._path;
        """
    )
    assert marker is not None, "no popup holds the escaped facility name"
    _wait(browser, lambda d: marker.is_displayed(), "the marker on screen", timeout_s=10)
    ActionChains(browser).move_to_element(marker).click().perform()  # a real mouse click
    popup = _wait(
        browser,
        lambda d: next(
            (
                p
                for p in d.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content")
                if p.is_displayed() and p.get_attribute("textContent")
            ),
            None,
        ),
        "the popup",
        timeout_s=10,
    )
    # the name shows as text: the literal tag, not an element
    assert XSS_NAME in popup.get_attribute("textContent"), popup.get_attribute("innerHTML")
    assert "&lt;script&gt;" in popup.get_attribute("innerHTML")
    assert not popup.find_elements(By.TAG_NAME, "script")
    _assert_no_alert(browser)
    _assert_console_clean(browser, "on the exported map")
    browser.execute_script(
        "var el = document.querySelector('.folium-map'); var map = window[el.id];"
        "map.setZoom(13, {animate: false});"
    )
    browser.save_screenshot(str(_shots(tmp_path) / "export.png"))


def test_app_in_browser_levels_province_and_isolated_uploads(bundle, browser, tmp_path):
    """Region 4201 shows 武汉市's roll-up; 42 loads naming the two units without polygons; a
    good and a bad upload together import the good one; the page stays Chinese; the default
    basemap draws offline."""
    from servicecircle import workflows
    from servicecircle.demo import demo_register_specs, demo_seat_points

    By = _by()
    region = workflows.load_region("4201", seat_points=demo_seat_points())
    run = workflows.coverage_run(region, workflows.import_registers(demo_register_specs(), region))
    city = run.summary[
        (run.summary["scope"] == "city") & (run.summary["unit_level"] != "street_only")
    ]
    expected = {
        label: f"{row.covered / row.units:.1%}"
        for label, row in (
            ("养老服务中心", city[city["layer"] == "elderly_care"].iloc[0]),
            ("社工站", city[city["layer"] == "social_work"].iloc[0]),
            (
                "骨灰安放设施",
                city[(city["layer"] == "cremains") & (city["unit_level"] == "county")].iloc[0],
            ),
        )
    }
    good = _register_csv(tmp_path / "好的_养老服务中心.csv")
    bad = tmp_path / "坏的_照片.xlsx"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(256))
    with eu.streamlit_server(data_dir=str(bundle), log_path=tmp_path / "streamlit.log") as url:
        browser.get(url)
        _wait(browser, lambda d: _metric(d, "养老服务中心"), "the demo coverage cards")
        _idle(browser)
        _assert_chinese_page(browser, "on the first page")

        # the default basemap is local: drawn without tiles, offline
        _radio(browser, "地图")
        _enter_map_frame(browser, min_paths=10, what="the coverage map on the local basemap")
        try:
            assert not browser.find_elements(By.CSS_SELECTOR, "img.leaflet-tile")
            assert browser.find_elements(By.CSS_SELECTOR, ".leaflet-pane canvas")  # boundaries
        finally:
            browser.switch_to.default_content()
        # online tiles chosen on this offline machine: dropped, and the map says so
        _choose(browser, "底图", "OpenStreetMap 在线瓦片（需联网）")
        _idle(browser)

        def offline_notice(d):  # the frame afresh on every poll: the new map replaces the old
            d.switch_to.default_content()
            frames = d.find_elements(By.CSS_SELECTOR, 'iframe[title*="st_folium"]')
            if not frames:
                return None
            d.switch_to.frame(frames[0])
            found = d.find_elements(By.CSS_SELECTOR, ".sc-offline")
            text = found[0].text if found else None
            d.switch_to.default_content()
            return text

        notice = _wait(browser, offline_notice, "the offline notice on the map", timeout_s=90)
        assert "已改用本地矢量底图" in notice
        _choose(browser, "底图", "本地矢量底图（区县边界、道路；离线可用）")
        _idle(browser)
        browser.get_log("browser")  # the failed tile requests are this machine's, not the app's
        _radio(browser, "覆盖率")

        # 武汉市: the cards are the city roll-up, with the demo notice
        _choose(browser, "区域", "武汉市（4201，地级市）")
        _wait(
            browser,
            lambda d: any(
                "武汉市覆盖情况" in h.text for h in d.find_elements(By.CSS_SELECTOR, "h3")
            ),
            "the 武汉市 heading",
        )
        _idle(browser)
        got = {label: _metric(browser, label) for label in expected}
        assert got == expected, (got, expected)
        body = _body(browser)
        assert "示例登记表只有" in body and "专栏" in body
        browser.save_screenshot(str(_shots(tmp_path) / "levels.png"))
        _assert_chinese_page(browser, "on the city view")

        # 湖北省: loads, naming the two units without county polygons
        _choose(browser, "区域", "湖北省（42，省）")
        _wait(
            browser,
            lambda d: (
                "龙感湖管理区（421171）" in _body(d) and "荆州经济技术开发区（421071）" in _body(d)
            ),
            "the province with the two units named",
        )
        assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
        _assert_chinese_page(browser, "on the province view")

        # back to 江岸区: a good and a bad register together -> the good one imports
        _choose(browser, "区域", "江岸区（420102，区县）")
        _idle(browser)
        _radio(browser, "上传登记表")

        def send_files(d):
            field = next(iter(d.find_elements(By.CSS_SELECTOR, 'input[type="file"]')), None)
            if field is None:
                return False
            field.send_keys(f"{good}\n{bad}")
            return True

        _wait(browser, send_files, "the file input")
        _wait(browser, lambda d: "坏的_照片.xlsx" in _body(d) and _metric(d, "导入设施") == "3 个",
              "the good register imported beside the bad one")  # fmt: skip
        alert = next(
            e.text
            for e in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stAlertContentError"]')
            if "坏的_照片.xlsx" in e.text
        )
        assert "好的_养老服务中心.csv" not in alert and "不是 Excel 工作簿" in alert
        _assert_chinese_page(browser, "with an upload error")
        _assert_no_alert(browser)
        _assert_console_clean(browser, "in the app")
        browser.get("about:blank")
