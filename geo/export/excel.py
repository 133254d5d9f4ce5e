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
    from openpyxl.cell import WriteOnlyCell
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
    for name, table in sheets.items():
        if not isinstance(table, pd.DataFrame):
            raise InputError(f"sheet {name!r}: expected a DataFrame, got {type(table).__name__}")

    # streamed (write-only) workbook: rows are written in order, formats per cell only where
    # needed, so a 500,000-row facility list is written in seconds
    wb = Workbook(write_only=True)
    about = wb.create_sheet("说明")
    about.column_dimensions["A"].width = 100
    wrap = Alignment(wrap_text=True, vertical="top")

    def about_cell(value: str, *, font: Any = None) -> Any:
        cell = WriteOnlyCell(about, value=_safe_text(value))
        cell.data_type = "s"
        cell.alignment = wrap
        if font is not None:
            cell.font = font
        return [cell]

    used = {"说明"}
    names = []
    for name in sheets:
        sheet_name = _sheet_name(name, used)
        used.add(sheet_name)
        names.append(sheet_name)
    bold = Font(bold=True)
    about.append(about_cell(title or "民政服务设施覆盖分析", font=Font(bold=True, size=14)))
    about.append(about_cell(f"生成日期：{when_text}"))
    about.append([])
    if notes:
        about.append(about_cell("说明", font=bold))
        for note in notes:
            about.append(about_cell(note))
        about.append([])
    about.append(about_cell("工作表", font=bold))
    for sheet_name, table in zip(names, sheets.values(), strict=True):
        about.append(about_cell(f"{sheet_name}：{len(table)} 行"))
    if attribution:
        about.append([])
        about.append(about_cell("数据版权", font=bold))
        about.append(about_cell(attribution))

    header_fill = PatternFill("solid", fgColor="DDEBF7")
    fail = PatternFill("solid", fgColor=_FILL_FAIL)
    ok = PatternFill("solid", fgColor=_FILL_PASS)
    for sheet_name, table in zip(names, sheets.values(), strict=True):
        ws = wb.create_sheet(sheet_name)
        flat = _flat_frame(table)
        columns = [str(c) for c in flat.columns]
        headers = [chinese_header(c) for c in columns]
        cells_by_column = [_column_cells(flat[c]) for c in flat.columns]
        for j, (header, values) in enumerate(zip(headers, cells_by_column, strict=True), start=1):
            width = max(_display_width(header), _column_width(values))
            ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 6), 60)
        ws.freeze_panes = "A2"
        if columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(flat) + 1, 1)}"
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(ws, value=_safe_text(header))
            cell.data_type = "s"
            cell.font = bold
            cell.fill = header_fill
            header_cells.append(cell)
        ws.append(header_cells)
        styled = [
            ("fraction" if c in _FRACTION_COLUMNS else "")
            or ("percent" if c in _PERCENT_NUMBER_COLUMNS else "")
            or ("status" if c in _STATUS_COLUMNS else "")
            for c in columns
        ]
        for values in zip(*cells_by_column, strict=True) if columns else ():
            row: list[Any] = []
            for value, style in zip(values, styled, strict=True):
                if isinstance(value, str) and (style == "status" or _needs_text_cell(value)):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.data_type = "s"  # stored as text: a leading "=" is no formula
                    if style == "status" and value in ("未达标", "达标"):
                        cell.fill = fail if value == "未达标" else ok
                    row.append(cell)
                elif style in ("fraction", "percent") and isinstance(value, (int, float)):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = "0.0%" if style == "fraction" else "0.0"
                    row.append(cell)
                else:
                    row.append(value)
            ws.append(row)
    wb.save(out)
    return out


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


def _column_width(values: list[Any]) -> int:
    """The display width of a column's widest cell (CJK counts double): cells visited longest
    first, stopping once no shorter text can be wider (display width <= 2 x length)."""
    texts = [(f"{v:.4g}" if isinstance(v, float) else str(v)) for v in values if v is not None]
    best = 0
    for t in sorted(texts, key=len, reverse=True):
        if 2 * len(t) <= best:
            break
        best = max(best, _display_width(t))
    return best


def _needs_text_cell(value: str) -> bool:
    """Text that openpyxl would otherwise store as a formula."""
    return value.startswith("=")


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
