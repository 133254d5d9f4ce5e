"""What a register import returns and carries: the report and facility columns, the result, the raw table and the work in progress."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

#: columns of :attr:`RegisterImport.report`
REPORT_COLUMNS: Final = ("file", "row", "column", "value", "reason", "fix", "action")


#: columns of :attr:`RegisterImport.facilities` (plus ``geometry``)
FACILITY_COLUMNS: Final = (
    "facility_id",
    "name",
    "layer",
    "kind",
    "township_declared",
    "township_code",
    "address",
    "source_file",
    "source_row",
)


#: a point this far outside ``region`` is still accepted (boundaries are simplified)
REGION_TOLERANCE_M: Final = 200.0


#: the fix for a row whose layer cannot be told
LAYER_FIX: Final = "补填类型列，或导入时指定设施类型（命令行用 --layer）"


@dataclass(frozen=True)
class RegisterImport:
    """The result of reading one register.

    Attributes
    ----------
    facilities
        The kept rows in EPSG:4326: ``facility_id`` (12 hex digits, stable for file + row +
        name), ``name``, ``layer`` (a key of :data:`geo.layers.LAYERS`), ``kind`` (the
        raw 类型 text or ''), ``township_declared``, ``township_code`` (9 digits or ''),
        ``address``, ``source_file``, ``source_row``, ``geometry`` (Point, or None for a facility
        known only by its township).
    report
        One row per problem: ``file, row, column, value, reason, fix, action`` with action
        'rejected' (row not imported), 'repaired' (imported after a fix) or 'warning'.
    source
        What was read and how: file, sha256, format, encoding, sheet, columns (field -> header),
        crs, crs_reason, rows_read, rows_kept, rows_rejected, rows_repaired, duplicates_dropped.
    """

    facilities: gpd.GeoDataFrame
    report: pd.DataFrame
    source: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Raw:
    """A parsed file before validation: text cells with the user's headers and row numbers."""

    frame: pd.DataFrame
    rows: np.ndarray
    fmt: str
    geometry: gpd.GeoSeries | None = None
    file_crs: CRS | None = None
    encoding: str | None = None
    sheet: str | None = None
    header: str = ""  # where the header was found, e.g. '第 2 行'


#: control characters (other than tab and newlines) dropped from cells: no output can hold them
_CONTROL: Final = {c: None for c in [*range(0, 9), 11, 12, *range(14, 32), 127]}


def _text(value: object) -> str:
    """A cell as text: '' for empty, integers without '.0', everything else str() stripped
    (control characters such as \x08 removed)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value).translate(_CONTROL).strip()


@dataclass
class _Work:
    """Mutable bookkeeping of one import: which rows are out and why (private to this module)."""

    file_name: str
    rows: np.ndarray
    cols: dict[str, str]
    rejected: np.ndarray
    dropped: np.ndarray
    notes: list[dict[str, Any]] = field(default_factory=list)

    def note(self, i: int, column: str, value: str, reason: str, fix: str, action: str) -> None:
        """Add a report row for data row ``i`` (-1: the file as a whole, reported on row 1)."""
        self.notes.append(
            {
                "file": self.file_name,
                "row": int(self.rows[i]) if i >= 0 else 1,
                "column": column,
                "value": value,
                "reason": reason,
                "fix": fix,
                "action": action,
            }
        )
        if action == "rejected":
            self.rejected[i] = True
