"""Plain tables (CSV in UTF-8/UTF-8-BOM/GBK, or XLSX) read as text columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo._errors import InputError


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a CSV (UTF-8, UTF-8 with BOM, or GBK/GB18030) or an XLSX sheet as strings."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"文件 {str(path)!r} 不存在；请检查路径")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return pd.read_excel(path, dtype=str).fillna("")
    if path.suffix.lower() == ".xls":
        raise InputError(
            f"{path.name} 是旧版 Excel 工作簿（.xls），无法读取；请在 Excel 或 WPS 中另存为 .xlsx"
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path.name} 既不是 UTF-8 也不是 GBK 编码的文本；请另存为“CSV UTF-8”或 .xlsx")
