"""The formatted Excel workbook: one sheet per table, an about sheet with sources."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

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
