"""Read a county's facility register (Excel, CSV, GeoJSON, Shapefile, GeoPackage) and validate it.

A register is a list of facilities of one layer (养老服务中心, 社工站, 骨灰安放设施,
未成年人保护工作站) or of several, told apart by a 类型 column. Coordinates come from web maps
(GCJ-02, BD-09), GPS (WGS84), CGCS2000 or its Gauss–Krüger projections; some rows are garbage.
:func:`read_register` keeps the good rows and reports every problem row by row, the way the user
sees the file (Excel row numbers), with the value, the reason and the fix.

Files are parsed, never executed: CSV text, XLSX via openpyxl (values only), GeoJSON via
:mod:`json`, Shapefile/GeoPackage via pyogrio.
"""

from __future__ import annotations

from geo.registers.duplicates import DUPLICATE_RADIUS_M, drop_duplicates_across
from geo.registers.model import FACILITY_COLUMNS, REPORT_COLUMNS, RegisterImport
from geo.registers.reader import check_register, read_register

__all__ = [
    "DUPLICATE_RADIUS_M",
    "FACILITY_COLUMNS",
    "REPORT_COLUMNS",
    "RegisterImport",
    "check_register",
    "drop_duplicates_across",
    "read_register",
]
