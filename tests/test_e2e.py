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
WAIT_S = 120


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
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout_s, poll_frequency=0.25).until(condition)
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
    """Pick ``option`` in the selectbox labelled ``label``."""
    By = _by()
    box = _wait(
        driver,
        lambda d: next(
            (
                b
                for b in d.find_elements(By.CSS_SELECTOR, '[data-testid="stSelectbox"]')
                if label in b.text
            ),
            None,
        ),
        f"selectbox {label}",
    )
    box.find_element(By.CSS_SELECTOR, 'button[aria-haspopup="listbox"]').click()
    item = _wait(
        driver,
        lambda d: next(
            (o for o in d.find_elements(By.CSS_SELECTOR, '[role="option"]') if o.text == option),
            None,
        ),
        f"option {option} of {label}",
    )
    item.click()
    combo = box.find_element(By.CSS_SELECTOR, 'input[role="combobox"]')
    _wait(driver, lambda d: combo.get_attribute("value") == option, f"{label} showing {option}")


def _radio(driver, option: str) -> None:
    By = _by()
    label = _wait(
        driver,
        lambda d: next(
            (
                lab
                for lab in d.find_elements(By.CSS_SELECTOR, '[data-testid="stRadioOption"]')
                if lab.text == option
            ),
            None,
        ),
        f"radio option {option}",
    )
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", label)
    label.click()


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


# ---------------------------------------------------------------- the tests
def test_app_in_browser_upload_coverage_map(browser, bundle, tmp_path):
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
        frame = _wait(
            browser,
            lambda d: next(
                iter(d.find_elements(By.CSS_SELECTOR, 'iframe[title*="st_folium"]')), None
            ),
            "the map frame",
        )
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", frame)
        browser.switch_to.frame(frame)
        try:
            _wait(
                browser,
                lambda d: len(d.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) > 10,
                "township polygons and facility markers on the map",
            )
            assert not browser.find_elements(By.CSS_SELECTOR, "img.leaflet-tile")  # 无底图
        finally:
            browser.switch_to.default_content()
        browser.save_screenshot(str(shots / "map.png"))

        # upload a register: parsed, validated, counted (2 of 江岸区's 17 units)
        _radio(browser, "覆盖率")
        _radio(browser, "上传登记表")
        upload = _wait(
            browser,
            lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, 'input[type="file"]')), None),
            "the file input",
        )
        upload.send_keys(str(register))
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
        assert rows and all(r[3:6] == ["2", "17", "11.8%"] and r[7] == "未达标" for r in rows), rows
        imported = browser.find_elements(By.CSS_SELECTOR, '[data-testid="stMetricValue"]')[0].text
        assert imported == "3 个"
        assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
        _assert_no_alert(browser)
        _assert_console_clean(browser, "in the app")
        browser.get("about:blank")  # leave before the server stops (no reconnect noise)


def test_exported_html_map_is_clean_and_escapes_names(browser, bundle, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains

    from servicecircle import workflows
    from servicecircle.outputs import write_coverage_outputs

    By = _by()
    register = _register_csv(tmp_path / "测试_养老服务中心.csv")
    region = workflows.load_region("420102")
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
        lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content")), None),
        "the popup",
        timeout_s=10,
    )
    assert XSS_NAME in popup.text
    assert not popup.find_elements(By.TAG_NAME, "script")
    _assert_no_alert(browser)
    _assert_console_clean(browser, "on the exported map")
