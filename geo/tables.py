"""Plain tables (CSV in UTF-8/UTF-8-BOM/GBK, or XLSX) read as text columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo._errors import InputError


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a CSV (UTF-8, UTF-8 with BOM, or GBK/GB18030) or an XLSX sheet as strings."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"file {str(path)!r} does not exist")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return pd.read_excel(path, dtype=str).fillna("")
    if path.suffix.lower() == ".xls":
        raise InputError(f"{path.name}: old .xls workbooks are not read; save it as .xlsx")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path.name}: not UTF-8 or GBK text; save it as UTF-8 CSV or .xlsx")
