"""Helpers for the browser tests: a real Streamlit server and a headless Chromium.

Nothing is installed here: Chromium and chromedriver come from Debian (``chromium``,
``chromium-driver``; scripts/install.sh installs them). Every wait polls page or server
state against a deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REQUIRE_ENV = "SERVICECIRCLE_REQUIRE_E2E"
ROOT = Path(__file__).resolve().parent.parent

#: console messages caused by the offline test machine, not by the app (none expected with
#: basemap 无底图; kept narrow: only failed network fetches)
OFFLINE_NOISE = ("net::ERR_NAME_NOT_RESOLVED", "net::ERR_INTERNET_DISCONNECTED")


def browser_missing() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if missing:
        return (
            f"{' and '.join(missing)} missing: install Debian packages chromium and "
            "chromium-driver (scripts/install.sh does)"
        )
    return None


def free_port() -> int:
    """A TCP port free on localhost right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate, *, timeout_s: float, what: str, interval_s: float = 0.2):
    """Poll ``predicate`` until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout_s
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception as exc:  # the server is not up yet: keep polling, report at the end
            last_error = exc
            value = None
        if value:
            return value
        time.sleep(interval_s)  # polling interval, not a wait for the result
    raise TimeoutError(f"{what} not ready after {timeout_s:.0f} s (last error: {last_error!r})")


@contextlib.contextmanager
def streamlit_server(
    *, data_dir: str | None, log_path: Path, timeout_s: float = 90
) -> Iterator[str]:
    """Run ``streamlit run app.py`` headless on a free port; yield its URL; stop it after."""
    port = free_port()
    env = dict(os.environ)
    if data_dir:
        env["SERVICE_DATA_DIR"] = data_dir
    env.pop("TIANDITU_KEY", None)
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--global.developmentMode",
        "false",
    ]
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:

            def healthy() -> bool:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"streamlit exited with {proc.returncode}: {log_path.read_text()[-2000:]}"
                    )
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    return r.status == 200 and r.read().strip() == b"ok"

            wait_until(healthy, timeout_s=timeout_s, what=f"streamlit health at {url}")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


def chrome(user_data_dir: Path, *, download_dir: Path | None = None):
    """A headless Chromium with the browser console log captured."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        "--lang=zh-CN",
        f"--user-data-dir={user_data_dir}",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if download_dir is not None:
        opts.add_experimental_option("prefs", {"download.default_directory": str(download_dir)})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)


def severe_console_entries(driver, *, allowed: tuple[str, ...] = OFFLINE_NOISE) -> list[dict]:
    """SEVERE browser-console entries since the last call, minus offline network noise."""
    entries = driver.get_log("browser")
    return [
        e
        for e in entries
        if e.get("level") == "SEVERE" and not any(a in e.get("message", "") for a in allowed)
    ]


#: English (Latin-letter) words a planner may see: proper names, formats, units, standards
ALLOWED_ENGLISH = frozenset(
    [
        "OSM",
        "OpenStreetMap",
        "contributors",
        "ODbL",
        "WGS",
        "GCJ",
        "BD",
        "CGCS",
        "GPS",
        "EPSG",
        "CRS",
        "UTM",
        "CSV",
        "UTF",
        "BOM",
        "GBK",
        "Excel",
        "WPS",
        "xlsx",
        "csv",
        "GeoJSON",
        "geojson",
        "json",
        "Shapefile",
        "shp",
        "shx",
        "dbf",
        "prj",
        "cpg",
        "zip",
        "GeoPackage",
        "gpkg",
        "HTML",
        "PNG",
        "PDF",
        "Word",
        "docx",
        "DuckDB",
        "duckdb",
        "HiGHS",
        "npm",
        "china",
        "division",
        "fast",
        "geocn",
        "MIT",
        "TIANDITU_KEY",
        "SERVICE_DATA_DIR",
        "console",
        "tianditu",
        "gov",
        "cn",
        "MB",
        "KB",
        "km",
        "servicecircle",
        "workspace",
        "Leaflet",
        "make_valid",
        "landuse",
        "residential",
        "reference",
        "bundle",
        "AutoNavi",
    ]
)


def english_words(text: str, *, allowed: frozenset[str] = ALLOWED_ENGLISH) -> list[str]:
    """Latin-letter words of ``text`` (2+ letters) not in ``allowed``, in order, once each."""
    import re

    words = re.findall(r"[A-Za-z][A-Za-z_]+", text)
    return list(dict.fromkeys(w for w in words if w not in allowed))


def wait_for_file(folder: Path, suffix: str, *, timeout_s: float = 60) -> Path:
    """The first complete file ending with ``suffix`` downloaded into ``folder``."""

    def done():
        hits = [p for p in folder.glob(f"*{suffix}") if p.stat().st_size > 0]
        partial = list(folder.glob("*.crdownload"))
        return hits[0] if hits and not partial else None

    return wait_until(done, timeout_s=timeout_s, what=f"a downloaded {suffix} file in {folder}")
