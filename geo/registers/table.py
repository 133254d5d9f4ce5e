"""One parsed table (a CSV, one sheet of a workbook, a vector layer) validated row by row, and the tables of one file combined into one import."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import InputError
from geo.registers.columns import _detect_columns
from geo.registers.coords import _check_missing_xy, _read_xy, _to_wgs84
from geo.registers.crs_choice import choose_crs, note_uncertain
from geo.registers.matching import _match_declared
from geo.registers.model import FACILITY_COLUMNS, REPORT_COLUMNS, RegisterImport, _Raw, _Work
from geo.registers.rows import (
    _assign_layers,
    _check_names,
    _check_refs,
    _drop_duplicates,
    _facility_id,
)


@dataclass(frozen=True)
class _Part:
    """One table's result before the tables of a file are combined."""

    facilities: gpd.GeoDataFrame
    notes: list[dict[str, Any]]
    described: dict[str, Any]


def _township_polygons(townships: gpd.GeoDataFrame | None) -> dict[str, Any]:
    """code -> polygon (WGS84) of the townships that have one."""
    if townships is None or len(townships) == 0 or "code" not in townships.columns:
        return {}
    gdf = townships[townships.geometry.notna()]
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    return dict(zip(gdf["code"].astype(str).str.slice(0, 9), gdf.geometry, strict=True))


def _rows_out(raw: _Raw, label: str, reason: str, fix: str) -> _Part:
    """A sheet that cannot be read as a register: each of its rows named as not imported."""
    notes = [
        {
            "file": label,
            "row": int(r),
            "column": "",
            "value": "",
            "reason": reason,
            "fix": fix,
            "action": "rejected",
        }
        for r in raw.rows.tolist()
    ]
    described: dict[str, Any] = {
        "sheet": raw.sheet,
        "header_row": raw.header,
        "columns": {},
        "crs": None,
        "crs_reason": reason,
        "crs_certain": True,
        "rows_read": len(raw.rows),
        "rows_kept": 0,
        "rows_rejected": len(raw.rows),
        "rows_repaired": 0,
        "duplicates_dropped": 0,
    }
    return _Part(_empty_facilities(), notes, described)


def _empty_facilities() -> gpd.GeoDataFrame:
    frame = {c: pd.Series([], dtype=object) for c in FACILITY_COLUMNS}
    frame["source_row"] = pd.Series([], dtype=np.int64)
    frame["ref"] = pd.Series([], dtype=object)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")


def _read_table(
    raw: _Raw,
    *,
    label: str,
    several: bool,
    columns: Mapping[str, str] | None,
    fixed_layer: str | None,
    crs_arg: str,
    crs: object,
    region: shapely.Geometry | None,
    official: pd.DataFrame | None,
    county_code: str | None,
    polygons: dict[str, Any],
) -> _Part:
    frame, rows = raw.frame, raw.rows
    headers = [str(c) for c in frame.columns]
    where = f"工作表 {raw.sheet!r}" if several else label

    def sheet_out(exc: InputError, fix: str) -> _Part:
        """One sheet of several that cannot be read: its rows named; a lone table: the error."""
        if not several:
            raise exc
        return _rows_out(raw, label, str(exc), fix)

    try:
        cols = _detect_columns(headers, columns, label)
    except InputError as exc:
        return sheet_out(exc, "改正列名后重新导入该工作表")
    if "name" not in cols:
        if several:
            return _rows_out(
                raw,
                label,
                f"{where} 没有机构名称列（现有列：{'、'.join(headers)}），该表未导入",
                "将该表的名称列表头改为“名称”，或删除不是登记表的工作表",
            )
        raise InputError(
            f"{label} 没有机构名称列（现有列：{'、'.join(headers)}）；请将该列表头改为“名称”，"
            "或用 columns={'name': '<表头>'} 指定"
        )
    n = len(frame)

    def text_of(fld: str) -> np.ndarray:
        if fld not in cols:
            return np.full(n, "", dtype=object)
        return frame[cols[fld]].to_numpy(dtype=object)  # cells are text already (readers)

    names, kinds, towns, codes, addresses, refs = (
        text_of(f) for f in ("name", "kind", "township", "code", "address", "ref")
    )
    has_town = (towns != "") | (codes != "")
    work = _Work(
        file_name=label,
        rows=rows,
        cols=cols,
        rejected=np.zeros(n, dtype=bool),
        dropped=np.zeros(n, dtype=bool),
    )
    _drop_duplicates(work, raw, names)
    _check_names(work, names)
    layers = _assign_layers(work, kinds, fixed_layer)
    _check_refs(work, refs)
    township_codes = _match_declared(work, towns, codes, official, county_code)
    try:
        xy = _read_xy(work, raw, text_of)
    except InputError as exc:
        return sheet_out(exc, "补上坐标列或乡镇列后重新导入该工作表")
    areas = np.array([polygons.get(str(c)) if c else None for c in township_codes], dtype=object)
    choice = choose_crs(work, raw, xy.x, xy.y, xy.origin, crs_arg, crs, towns=areas, region=region)
    note_uncertain(work, choice, xy.column)
    lon, lat, refused = _to_wgs84(work, xy, choice.x, choice.y, choice.crs, region, has_town)
    _check_missing_xy(work, xy, lon, has_town, refused)

    keep = np.flatnonzero(~work.rejected & ~work.dropped)
    has_xy = np.isfinite(lon[keep]) & np.isfinite(lat[keep])
    points = shapely.points(np.where(has_xy, lon[keep], 0.0), np.where(has_xy, lat[keep], 0.0))
    geometry = np.where(has_xy, points, None)
    kept_rows = rows[keep].astype(np.int64)
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": [
                _facility_id(label, int(r), str(nm))
                for r, nm in zip(kept_rows.tolist(), names[keep].tolist(), strict=True)
            ],
            "name": names[keep].astype(str),
            "layer": layers[keep].astype(str),
            "kind": kinds[keep].astype(str),
            "township_declared": towns[keep].astype(str),
            "township_code": township_codes[keep].astype(str),
            "address": addresses[keep].astype(str),
            "source_file": np.full(len(keep), label, dtype=object),
            "source_row": kept_rows,
            "ref": refs[keep].astype(str),
        },
        geometry=gpd.GeoSeries(geometry, crs="EPSG:4326"),
        crs="EPSG:4326",
    )
    kept_set = set(kept_rows.tolist())
    repaired = {r["row"] for r in work.notes if r["action"] == "repaired"}
    described: dict[str, Any] = {
        "sheet": raw.sheet,
        "header_row": raw.header,
        "columns": dict(cols),
        "crs": choice.crs,
        "crs_reason": choice.reason,
        "crs_certain": bool(choice.certain),
        "rows_read": int(n),
        "rows_kept": len(keep),
        "rows_rejected": int(work.rejected.sum()),
        "rows_repaired": len(repaired & kept_set),
        "duplicates_dropped": int((work.dropped & ~work.rejected).sum()),
    }
    return _Part(facilities, work.notes, described)


def _combine(parts: list[_Part], *, data: bytes, file_name: str, raw_info: _Raw) -> RegisterImport:
    """The tables of one file as one import: counts summed, each sheet described."""
    frames = [p.facilities for p in parts if len(p.facilities)]
    facilities = (
        gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
        if frames
        else _empty_facilities()
    )
    notes = [n for p in parts for n in p.notes]
    report = pd.DataFrame(notes, columns=list(REPORT_COLUMNS))
    report["row"] = report["row"].astype(np.int64)
    report = report.sort_values(["file", "row"], kind="stable").reset_index(drop=True)
    sheets = [p.described for p in parts]
    first = sheets[0]
    crs_values = list(dict.fromkeys(s["crs"] for s in sheets if s["crs"] is not None))
    described: dict[str, Any] = {
        "file": file_name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "format": raw_info.fmt,
        "encoding": raw_info.encoding,
        "sheet": "、".join(str(s["sheet"]) for s in sheets) if len(sheets) > 1 else first["sheet"],
        "header_row": first["header_row"]
        if len(sheets) == 1
        else "、".join(f"{s['sheet']}：{s['header_row']}" for s in sheets),
        "columns": first["columns"],
        "crs": crs_values[0] if len(crs_values) == 1 else ("、".join(crs_values) or None),
        "crs_reason": "；".join(dict.fromkeys(s["crs_reason"] for s in sheets)),
        "crs_certain": all(s["crs_certain"] for s in sheets),
    }
    for key in ("rows_read", "rows_kept", "rows_rejected", "rows_repaired", "duplicates_dropped"):
        described[key] = int(sum(s[key] for s in sheets))
    if len(sheets) > 1:
        described["sheets"] = sheets
    return RegisterImport(facilities=facilities, report=report, source=described)
