"""The words and values of every export: Chinese headers, flat cells, checked output paths."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.layers import LAYERS

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
    "ref": "编号",  # the register's own facility id (编号/id column)
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


#: text that Excel would run as a formula
_FORMULA_START: Final = re.compile(r"^[=+@\t\r]|^-(?![\d.])")
