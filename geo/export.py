"""Writers for planners: a formatted Excel workbook, CSV for Excel, GeoJSON, self-contained HTML maps.

Every writer takes the output path first, never changes its input, and writes text exactly as
given: a facility named ``<script>…`` or ``=HYPERLINK(…)`` stays plain text in every format.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._vendor import VENDORED, leaflet_dir
from servicecircle._errors import InputError
from servicecircle.layers import LAYERS

#: Chinese headers for the column names the project's tables use
CHINESE_HEADERS: Final[dict[str, str]] = {
    # coverage comparison
    "scope": "范围",
    "code": "代码",
    "name": "名称",
    "layer": "设施类型",
    "unit_level": "统计单元",
    "units": "单元数",
    "covered": "已覆盖",
    "rate": "覆盖率",
    "uncovered_codes": "未覆盖单元代码",
    "uncovered_names": "未覆盖单元",
    "plan_name": "规划名称",
    "indicator": "指标",
    "year": "目标年份",
    "comparator": "比较方式",
    "target_pct": "目标值(%)",
    "property": "指标属性",
    "citation": "依据",
    "status": "达标情况",
    "units_needed": "还需覆盖单元数",
    "held_to": "对照指标",
    # facilities
    "facility_id": "设施编号",
    "kind": "类别",
    "township_declared": "填报乡镇（街道）",
    "township_code": "乡镇（街道）代码",
    "address": "地址",
    "source_file": "来源文件",
    "source_row": "来源行号",
    "import_id": "导入批次",
    "lon": "经度",
    "lat": "纬度",
    # validation report
    "file": "文件",
    "row": "行号",
    "column": "列",
    "value": "值",
    "reason": "问题",
    "fix": "修改建议",
    "action": "处理",
    # townships
    "county_code": "县（区）代码",
    "approximate": "近似边界",
}

#: columns holding a share 0–1, shown as a percentage
_FRACTION_COLUMNS: Final = frozenset({"rate", "share", "coverage_rate", "覆盖率"})
#: columns holding a percentage number (90 means 90 %)
_PERCENT_NUMBER_COLUMNS: Final = frozenset({"target_pct", "目标值(%)"})
_STATUS_COLUMNS: Final = frozenset({"status", "达标情况"})
_FILL_FAIL: Final = "FFC7CE"  # Excel's "light red fill"
_FILL_PASS: Final = "C6EFCE"  # Excel's "light green fill"
_LIST_SEPARATOR: Final = "、"
_ATTRIBUTION_OSM: Final = "© OpenStreetMap contributors (ODbL)"


def chinese_header(column: Any) -> str:
    """The Chinese header for a column name (``n_<layer>`` / ``covered_<layer>`` included)."""
    name = str(column)
    if name in CHINESE_HEADERS:
        return CHINESE_HEADERS[name]
    for prefix, suffix in (("n_", "数量"), ("covered_", "已覆盖")):
        if name.startswith(prefix) and name[len(prefix) :] in LAYERS:
            return LAYERS[name[len(prefix) :]] + suffix
    return name


def _plain(value: Any) -> Any:
    """A cell value as Excel/CSV/JSON can hold it: lists joined, missing -> None."""
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        return _LIST_SEPARATOR.join("" if _missing(v) else str(v) for v in items)
    if _missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _check_path(path: str | Path, *, suffixes: tuple[str, ...], argument: str = "path") -> Path:
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise InputError(
            f"{argument} {str(out)!r} should end with {' or '.join(suffixes)}; rename the output."
        )
    if not out.parent.is_dir():
        raise InputError(
            f"{argument} {str(out)!r}: folder {str(out.parent)!r} does not exist; create it first."
        )
    return out


def _flat_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy without geometry (points become lon/lat) and with every value made plain."""
    if isinstance(df, gpd.GeoDataFrame):
        geometry = df.geometry
        table = pd.DataFrame(df.drop(columns=[geometry.name]))
        if len(geometry) and bool(geometry.geom_type.dropna().eq("Point").all()):
            wgs = geometry.to_crs(4326) if geometry.crs is not None else geometry
            present = wgs.notna() & ~wgs.is_empty
            if "lon" not in table.columns:
                table["lon"] = np.where(present, wgs.x.where(present), np.nan)
            if "lat" not in table.columns:
                table["lat"] = np.where(present, wgs.y.where(present), np.nan)
    else:
        table = pd.DataFrame(df)
    out = pd.DataFrame(index=range(len(table)))
    for column in table.columns:
        series = table[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_convert(None)
        out[column] = [_plain(v) for v in series.tolist()]
    return out


# ---------------------------------------------------------------------- Excel
def write_excel(
    path: str | Path,
    sheets: Mapping[str, pd.DataFrame],
    *,
    title: str | None = None,
    notes: Iterable[str] = (),
    date: str | dt.date | None = None,
    attribution: str | None = None,
) -> Path:
    """Write a formatted workbook: a 说明 sheet, then one sheet per table.

    Headers are Chinese (:data:`CHINESE_HEADERS`, bold, frozen, with an autofilter), columns
    are sized to their content, shares (``rate``) show as percentages, 未达标 cells are light
    red and 达标 light green, lists are joined with "、", geometry is dropped (points become
    经度/纬度) and every text is stored as text (never as a formula).

    Parameters
    ----------
    path
        The ``.xlsx`` file to write (replaced when present).
    sheets
        Tables by sheet name (names are cut to Excel's 31 characters).
    title
        Shown at the top of the 说明 sheet.
    notes
        Lines for the 说明 sheet: sources, definitions, caveats.
    date
        The date shown (default today).
    attribution
        Data attribution line; ``© OpenStreetMap contributors (ODbL)`` is added automatically
        when a note mentions OpenStreetMap/OSM and no attribution is given.

    Returns
    -------
    Path
        The written file.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    out = _check_path(path, suffixes=(".xlsx",))
    if not sheets:
        raise InputError("sheets is empty; pass at least one table, e.g. {'覆盖情况': table}.")
    notes = [str(n) for n in notes]
    if attribution is None and any(
        re.search(r"openstreetmap|\bosm\b", n, flags=re.I) for n in notes
    ):
        attribution = _ATTRIBUTION_OSM
    when = date or dt.date.today()
    when_text = when.isoformat() if isinstance(when, dt.date) else str(when)

    wb = Workbook()
    about = wb.active
    about.title = "说明"
    about["A1"] = _safe_text(title or "民政服务设施覆盖分析")
    about["A1"].font = Font(bold=True, size=14)
    about["A2"] = f"生成日期：{when_text}"
    row = 4
    if notes:
        about.cell(row=row, column=1, value="说明").font = Font(bold=True)
        for note in notes:
            row += 1
            _set_text(about.cell(row=row, column=1), note)
        row += 2
    about.cell(row=row, column=1, value="工作表").font = Font(bold=True)
    used = {"说明"}
    names = []
    for name in sheets:
        sheet_name = _sheet_name(name, used)
        used.add(sheet_name)
        names.append(sheet_name)
        row += 1
        _set_text(about.cell(row=row, column=1), f"{sheet_name}：{len(sheets[name])} 行")
    if attribution:
        row += 2
        about.cell(row=row, column=1, value="数据版权").font = Font(bold=True)
        _set_text(about.cell(row=row + 1, column=1), attribution)
    about.column_dimensions["A"].width = 100
    for r in about.iter_rows():
        for cell in r:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    fail = PatternFill("solid", fgColor=_FILL_FAIL)
    ok = PatternFill("solid", fgColor=_FILL_PASS)
    for sheet_name, (_, table) in zip(names, sheets.items(), strict=True):
        if not isinstance(table, pd.DataFrame):
            raise InputError(
                f"sheet {sheet_name!r}: expected a DataFrame, got {type(table).__name__}"
            )
        ws = wb.create_sheet(sheet_name)
        flat = _flat_frame(table)
        columns = [str(c) for c in flat.columns]
        headers = [chinese_header(c) for c in columns]
        widths = [_display_width(h) for h in headers]
        for j, header in enumerate(headers, start=1):
            cell = ws.cell(row=1, column=j)
            _set_text(cell, header)
            cell.font = bold
            cell.fill = header_fill
        for i, values in enumerate(flat.itertuples(index=False, name=None), start=2):
            for j, value in enumerate(values, start=1):
                cell = ws.cell(row=i, column=j)
                column = columns[j - 1]
                if isinstance(value, str):
                    _set_text(cell, value)
                elif isinstance(value, bool):
                    cell.value = "是" if value else "否"
                else:
                    cell.value = value
                if column in _FRACTION_COLUMNS and isinstance(value, (int, float)):
                    cell.number_format = "0.0%"
                elif column in _PERCENT_NUMBER_COLUMNS and isinstance(value, (int, float)):
                    cell.number_format = "0.0"
                elif column in _STATUS_COLUMNS and value in ("未达标", "达标"):
                    cell.fill = fail if value == "未达标" else ok
                widths[j - 1] = max(widths[j - 1], _display_width(cell.value))
        for j, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 6), 60)
        ws.freeze_panes = "A2"
        if columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(flat) + 1, 1)}"
    wb.save(out)
    return out


def _sheet_name(name: Any, used: set[str]) -> str:
    clean = re.sub(r"[\[\]:*?/\\]", "_", str(name)).strip("'") or "表"
    clean = clean[:31]
    candidate, k = clean, 2
    while candidate in used:
        suffix = f"_{k}"
        candidate, k = clean[: 31 - len(suffix)] + suffix, k + 1
    return candidate


def _safe_text(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _set_text(cell: Any, text: str) -> None:
    """Store text as text: a leading "=" must not become a formula."""
    cell.value = _safe_text(text)
    cell.data_type = "s"


def _display_width(value: Any) -> int:
    if value is None:
        return 0
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    longest = max(text.split("\n"), key=len)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in longest)


# ---------------------------------------------------------------------- CSV
_FORMULA_START: Final = re.compile(r"^[=+@\t\r]|^-(?![\d.])")


def write_csv(path: str | Path, df: pd.DataFrame, *, chinese_headers: bool = False) -> Path:
    """Write a CSV that Excel in China opens correctly: UTF-8 with BOM, lists joined with "、".

    Geometry is dropped (points become lon/lat). Text that Excel would run as a formula
    (starting with ``=``, ``+``, ``@`` or ``-`` followed by a non-digit) is prefixed with ``'``.

    Parameters
    ----------
    path
        The ``.csv`` file to write.
    df
        The table (not changed).
    chinese_headers
        Use :data:`CHINESE_HEADERS` for the header row.
    """
    out = _check_path(path, suffixes=(".csv",))
    flat = _flat_frame(df)
    for column in flat.columns:
        flat[column] = [
            "'" + v if isinstance(v, str) and _FORMULA_START.match(v) else v for v in flat[column]
        ]
    if chinese_headers:
        flat.columns = [chinese_header(c) for c in flat.columns]
    flat.to_csv(out, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return out


# ---------------------------------------------------------------------- GeoJSON
def write_geojson(path: str | Path, gdf: gpd.GeoDataFrame) -> Path:
    """Write GeoJSON in EPSG:4326 (RFC 7946): lists joined with "、", missing values as null.

    Rows without geometry are written with ``"geometry": null``.
    """
    out = _check_path(path, suffixes=(".geojson", ".json"))
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"write_geojson needs a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise InputError(
            f"{out.name}: the GeoDataFrame has no CRS; set it first (gdf.set_crs(4326) for "
            "longitude/latitude)."
        )
    geometry = gdf.geometry.to_crs(4326)
    attrs = pd.DataFrame(gdf.drop(columns=[gdf.geometry.name]))
    features = []
    geo = geometry.to_numpy()
    columns = [str(c) for c in attrs.columns]
    for i, values in enumerate(attrs.itertuples(index=False, name=None)):
        props = {}
        for column, value in zip(columns, values, strict=True):
            plain = _plain(value)
            if isinstance(plain, (pd.Timestamp, dt.date, dt.datetime)):
                plain = plain.isoformat()
            elif isinstance(plain, float) and not math.isfinite(plain):
                plain = None
            props[column] = plain
        g = geo[i]
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": None if g is None or g.is_empty else g.__geo_interface__,
            }
        )
    text = json.dumps(
        {"type": "FeatureCollection", "features": features},
        ensure_ascii=False,
        allow_nan=False,
        default=str,
    )
    out.write_text(text, encoding="utf-8")
    return out


# ---------------------------------------------------------------------- HTML maps
_SCRIPT_SRC: Final = re.compile(
    r"<script\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)[\"'][^>]*>\s*</script>", re.I
)
_LINK_HREF: Final = re.compile(r"<link\b[^>]*?\bhref\s*=\s*[\"']([^\"']+)[\"'][^>]*?/?>", re.I)
_CSS_URL: Final = re.compile(r"url\((['\"]?)(images/[^)'\"]+)\1\)")


def _vendored_text(url: str) -> str:
    return (leaflet_dir() / VENDORED[url]).read_text(encoding="utf-8")


def _inline_css(css: str) -> str:
    def data_uri(match: re.Match[str]) -> str:
        image = leaflet_dir() / match.group(2)
        if not image.is_file():
            return match.group(0)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    return _CSS_URL.sub(data_uri, css).replace("</style", "<\\/style")


def vendored_data_url(url: str) -> str | None:
    """A ``data:`` URL holding the vendored file that replaces ``url`` (None if not vendored).

    For pages that load assets by URL (e.g. ``streamlit_folium``'s ``default_js``/``default_css``
    links), so they work without a CDN; images referenced by the CSS are inlined too.
    """
    if url not in VENDORED:
        return None
    text = _vendored_text(url)
    if VENDORED[url].endswith(".css"):
        css = _inline_css(text)  # the same image inlining as in saved maps
        return "data:text/css;base64," + base64.b64encode(css.encode("utf-8")).decode("ascii")
    return "data:text/javascript;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")


def html_self_contained(html: str) -> str:
    """Replace the vendored Leaflet links of a rendered map with the files' inlined text.

    Raises
    ------
    InputError
        When the page links any other script or stylesheet (a plugin whose assets are not
        vendored): it would not load offline.
    """

    def script(match: re.Match[str]) -> str:
        url = match.group(1)
        if url not in VENDORED:
            return match.group(0)
        code = _vendored_text(url).replace("</script", "<\\/script")
        return f"<script>/* {VENDORED[url]}, inlined; see geo/_vendor */\n{code}\n</script>"

    def link(match: re.Match[str]) -> str:
        url, tag = match.group(1), match.group(0)
        if "stylesheet" not in tag.lower() or url not in VENDORED:
            return tag
        return (
            f"<style>/* {VENDORED[url]}, inlined */\n{_inline_css(_vendored_text(url))}\n</style>"
        )

    html = _SCRIPT_SRC.sub(script, html)
    html = _LINK_HREF.sub(link, html)
    external = sorted(
        {m.group(1) for m in _SCRIPT_SRC.finditer(html)}
        | {m.group(1) for m in _LINK_HREF.finditer(html) if "stylesheet" in m.group(0).lower()}
    )
    if external:
        raise InputError(
            f"the map links {', '.join(external)}, which is not vendored, so the "
            "saved file would not work offline; build the map without that plugin, or vendor "
            "its files under geo/_vendor (see scripts/vendor_leaflet.sh)."
        )
    return html


def save_html(fmap: Any, path: str | Path) -> Path:
    """Save a folium map as ONE self-contained HTML file (UTF-8).

    Leaflet's script and stylesheet are inlined from ``geo/_vendor``; the page then needs the
    network only for basemap tiles (none with ``basemap="none"``) and opens by double-click.

    Parameters
    ----------
    fmap
        A ``folium.Map`` (or its ``branca`` Figure), e.g. from
        :func:`analysis.maps.coverage_map`.
    path
        The ``.html`` file to write.
    """
    out = _check_path(path, suffixes=(".html", ".htm"))
    root = fmap.get_root() if hasattr(fmap, "get_root") else fmap
    if not hasattr(root, "render"):
        raise InputError(f"save_html needs a folium map, got {type(fmap).__name__}")
    html = html_self_contained(root.render())
    out.write_text(html, encoding="utf-8")
    return out
