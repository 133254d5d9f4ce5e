"""The formatted Excel workbook: one sheet per table, an about sheet with sources."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.export.headers import (
    _ATTRIBUTION_OSM,
    _FRACTION_COLUMNS,
    _PERCENT_NUMBER_COLUMNS,
    _STATUS_COLUMNS,
    _check_path,
    _flat_frame,
    chinese_header,
)

_FILL_FAIL: Final = "FFC7CE"  # Excel's "light red fill"
_FILL_PASS: Final = "C6EFCE"  # Excel's "light green fill"


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
    import xlsxwriter

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
    for name, table in sheets.items():
        if not isinstance(table, pd.DataFrame):
            raise InputError(f"sheet {name!r}: expected a DataFrame, got {type(table).__name__}")

    # streamed (constant-memory) workbook: rows are written in order, so a 500,000-row
    # facility list takes seconds; text is always written as text (never a formula)
    wb = xlsxwriter.Workbook(
        str(out), {"constant_memory": True, "strings_to_numbers": False, "nan_inf_to_errors": True}
    )
    try:
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        title_format = wb.add_format({"bold": True, "font_size": 14, "text_wrap": True})
        bold_wrap = wb.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        header_format = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "pattern": 1})
        fraction = wb.add_format({"num_format": "0.0%"})
        percent = wb.add_format({"num_format": "0.0"})
        fail = wb.add_format({"bg_color": f"#{_FILL_FAIL}", "pattern": 1})
        ok = wb.add_format({"bg_color": f"#{_FILL_PASS}", "pattern": 1})

        used = {"说明"}
        names = []
        for name in sheets:
            sheet_name = _sheet_name(name, used)
            used.add(sheet_name)
            names.append(sheet_name)
        about = wb.add_worksheet("说明")
        about.set_column(0, 0, 100)
        lines: list[tuple[str, Any]] = [
            (title or "民政服务设施覆盖分析", title_format),
            (f"生成日期：{when_text}", wrap),
            ("", None),
        ]
        if notes:
            lines += [("说明", bold_wrap), *[(n, wrap) for n in notes], ("", None)]
        lines.append(("工作表", bold_wrap))
        lines += [(f"{n}：{len(t)} 行", wrap) for n, t in zip(names, sheets.values(), strict=True)]
        if attribution:
            lines += [("", None), ("数据版权", bold_wrap), (attribution, wrap)]
        for r, (text, fmt) in enumerate(lines):
            if text:
                about.write_string(r, 0, _safe_text(text), fmt)

        for sheet_name, table in zip(names, sheets.values(), strict=True):
            ws = wb.add_worksheet(sheet_name)
            flat = _flat_frame(table)
            columns = [str(c) for c in flat.columns]
            headers = [chinese_header(c) for c in columns]
            cells_by_column = [_column_cells(flat[c]) for c in flat.columns]
            for j, (header, values) in enumerate(zip(headers, cells_by_column, strict=True)):
                width = max(_display_width(header), _column_width(values))
                ws.set_column(j, j, min(max(width + 2, 6), 60))
            ws.freeze_panes(1, 0)
            if columns:
                ws.autofilter(0, 0, max(len(flat), 1), len(columns) - 1)
            for j, header in enumerate(headers):
                ws.write_string(0, j, _safe_text(header), header_format)
            styles = [
                fraction
                if c in _FRACTION_COLUMNS
                else percent
                if c in _PERCENT_NUMBER_COLUMNS
                else "status"
                if c in _STATUS_COLUMNS
                else None
                for c in columns
            ]
            for i, row in enumerate(zip(*cells_by_column, strict=True), start=1):
                for j, (value, style) in enumerate(zip(row, styles, strict=True)):
                    _write_cell(ws, i, j, value, style, fail=fail, ok=ok)
    finally:
        wb.close()
    return out


def _write_cell(ws: Any, i: int, j: int, value: Any, style: Any, *, fail: Any, ok: Any) -> None:
    """One cell: text as text (a leading "=" stays text), numbers with their format, 未达标/达标
    filled red/green; empty and non-finite values leave the cell empty."""
    if value is None:
        return
    if isinstance(value, str):
        if style == "status" and value in ("未达标", "达标"):
            ws.write_string(i, j, value, fail if value == "未达标" else ok)
        elif value:
            ws.write_string(i, j, value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isfinite(value):
            ws.write_number(i, j, value, style if style not in (None, "status") else None)
    else:
        ws.write_string(i, j, str(value))


def _column_cells(series: pd.Series) -> list[Any]:
    """A column's values as cells: text without illegal characters, booleans as 是/否."""
    values = series.tolist()
    out: list[Any] = []
    for v in values:
        if isinstance(v, str):
            out.append(_safe_text(v) if _ILLEGAL.search(v) else v)
        elif isinstance(v, bool):
            out.append("是" if v else "否")
        else:
            out.append(v)
    return out


#: cells per column whose width is measured exactly (the longest ones; widths are capped anyway)
_WIDTH_SAMPLE: Final = 500


def _column_width(values: list[Any]) -> int:
    """The display width of a column's widest cell (CJK counts double), measured on its
    longest cells."""
    texts = [(f"{v:.4g}" if isinstance(v, float) else str(v)) for v in values if v is not None]
    if len(texts) > _WIDTH_SAMPLE:
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        top = np.argpartition(lengths, -_WIDTH_SAMPLE)[-_WIDTH_SAMPLE:]
        texts = [texts[i] for i in top.tolist()]
    return max((_display_width(t) for t in texts), default=0)


def _sheet_name(name: Any, used: set[str]) -> str:
    clean = re.sub(r"[\[\]:*?/\\]", "_", str(name)).strip("'") or "表"
    clean = clean[:31]
    candidate, k = clean, 2
    while candidate in used:
        suffix = f"_{k}"
        candidate, k = clean[: 31 - len(suffix)] + suffix, k + 1
    return candidate


#: characters an .xlsx cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE)
_ILLEGAL: Final = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _safe_text(text: str) -> str:
    return _ILLEGAL.sub("", text)


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
