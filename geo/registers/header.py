"""Header detection in a sheet of cells: title rows skipped, a header of one row or spanning two (merged cells), and the data rows below it cleaned to text, with the user's row numbers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.registers.columns import COLUMN_ALIASES, _norm_header
from geo.registers.model import _text

#: control characters (other than tab and newlines): dropped from cells
_CONTROL_RE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: how many non-empty rows at the top of a sheet may hold the header
_HEADER_SEARCH: Final = 10


def _known_headers(extra: set[str]) -> set[str]:
    return {_norm_header(a) for aliases in COLUMN_ALIASES.values() for a in aliases} | extra


def _header_score(cells: Sequence[object], extra: set[str]) -> int:
    known = _known_headers(extra)
    return sum(_norm_header(c) in known for c in cells if _text(c))


def _two_row_header(top: Sequence[object], below: Sequence[object], extra: set[str]) -> list[str]:
    """One header from a header spanning two rows (merged cells: the value sits in one row).

    A column's header is the lower cell when it names a known column, else the upper cell,
    else the lower one ('坐标' above '经度' and '纬度' gives 经度, 纬度)."""
    known = _known_headers(extra)
    width = max(len(top), len(below))
    out = []
    for j in range(width):
        up = _text(top[j]) if j < len(top) else ""
        low = _text(below[j]) if j < len(below) else ""
        if low and (_norm_header(low) in known or not up):
            out.append(low)
        else:
            out.append(up)
    return out


def _is_header_continuation(cells: Sequence[object], extra: set[str]) -> bool:
    """A row below a header that is itself header text (most of its cells name known columns)."""
    known = _known_headers(extra)
    texts = [_norm_header(c) for c in cells if _text(c)]
    hits = sum(t in known for t in texts)
    return hits >= 1 and 2 * hits >= len(texts)


def _clean_column(values: pd.Series) -> pd.Series:
    """Cells as text (see :func:`geo.registers.model._text`), plain strings done in bulk."""
    is_str = np.fromiter((type(v) is str for v in values), dtype=bool, count=len(values))
    if is_str.all():
        out = values.astype(object)
        if _CONTROL_RE.search("\n".join(out.tolist())):  # one search for the whole column
            out = out.str.replace(_CONTROL_RE, "", regex=True)
        return out.str.strip()
    return values.map(_text).astype(object)


def _table_from_records(
    records: Sequence[Sequence[object]],
    *,
    name: str,
    extra_headers: set[str],
    header_row: int | None = None,
) -> tuple[pd.DataFrame, np.ndarray, str]:
    """Header detection (the first of the first 10 non-empty rows naming >= 2 known columns,
    alone or with the row below it when the header spans two rows, else the first non-empty
    row; title rows above it are skipped), the non-empty rows below it as text with their
    1-based row numbers, and the header row(s) as text."""
    top: list[int] = []
    for i, r in enumerate(records):
        if any(_text(c) for c in r):
            top.append(i)
            if len(top) > _HEADER_SEARCH + 1:
                break
    if not top:
        raise InputError(f"{name} 没有数据行；请检查是否选对了文件或工作表")
    header_at = top[0] if header_row is None else header_row
    header_cells: Sequence[object] = records[header_at]
    header_end = header_at
    for k, i in enumerate(top[:_HEADER_SEARCH] if header_row is None else ()):
        nxt = top[k + 1] if k + 1 < len(top) else None
        own = _header_score(records[i], extra_headers)
        if own >= 1 and nxt is not None and _is_header_continuation(records[nxt], extra_headers):
            both = _two_row_header(records[i], records[nxt], extra_headers)
            if _header_score(both, extra_headers) >= max(2, own + 1):
                header_at, header_end, header_cells = i, nxt, both
                break
        if own >= 2:
            header_at, header_end, header_cells = i, i, records[i]
            break
    raw_header = [_text(c) for c in header_cells]
    body = records[header_end + 1 :]
    table = pd.DataFrame(list(body), dtype=object) if body else pd.DataFrame()
    width = max(len(raw_header), table.shape[1])
    table = table.reindex(columns=range(width))
    for j in range(width):
        table[j] = _clean_column(table[j].where(table[j].notna(), ""))
    filled = (table != "").to_numpy() if width else np.zeros((len(table), 0), dtype=bool)
    keep = filled.any(axis=1) if width else np.zeros(len(table), dtype=bool)
    used = int(np.flatnonzero(filled.any(axis=0)).max()) + 1 if filled.any() else 0
    width = max(len(raw_header), used)
    headers: list[str] = []
    for j in range(width):
        h = raw_header[j] if j < len(raw_header) and raw_header[j] else f"列{j + 1}"
        base, k = h, 2
        while h in headers:
            h, k = f"{base}_{k}", k + 1
        headers.append(h)
    frame = table.loc[keep, list(range(width))].reset_index(drop=True)
    frame.columns = headers
    rows = np.flatnonzero(keep).astype(np.int64) + header_end + 2
    shown = (
        f"第 {header_at + 1} 行"
        if header_end == header_at
        else (f"第 {header_at + 1}–{header_end + 1} 行（两行表头）")
    )
    return frame, rows, shown
