"""Duplicates across the registers of one run: the same file twice, the same facility in two registers (same 编号 and name, or same name within a few metres), each counted once and reported."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.registers.model import REPORT_COLUMNS, RegisterImport

#: two rows of one layer with the same name this close are one facility
DUPLICATE_RADIUS_M: Final = 50.0

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def _name_key(names: pd.Series) -> pd.Series:
    return names.astype(str).map(lambda s: _PUNCT.sub("", unicodedata.normalize("NFKC", s)).lower())


def _note(row: pd.Series, reason: str, fix: str) -> dict[str, Any]:
    return {
        "file": row["source_file"],
        "row": int(row["source_row"]),
        "column": "名称",
        "value": str(row["name"]),
        "reason": reason,
        "fix": fix,
        "action": "warning",
    }


def _first_of_pairs(xs: np.ndarray, ys: np.ndarray, order: np.ndarray) -> dict[int, int]:
    """Within one group of same-name rows: later row -> the earlier row it duplicates."""
    out: dict[int, int] = {}
    kept: list[int] = []
    for i in order.tolist():
        for j in kept:
            if np.isnan(xs[i]) or np.isnan(xs[j]):
                continue
            dx = (xs[i] - xs[j]) * 111_320.0 * np.cos(np.radians(ys[j]))
            dy = (ys[i] - ys[j]) * 110_540.0
            if dx * dx + dy * dy <= DUPLICATE_RADIUS_M**2:
                out[i] = j
                break
        else:
            kept.append(i)
    return out


def drop_duplicates_across(parts: list[RegisterImport]) -> list[RegisterImport]:
    """The registers of one run with every facility counted once.

    A register whose file content (sha256) was already read in this run is skipped whole; a row
    with the same layer and name as an earlier row within :data:`DUPLICATE_RADIUS_M` metres, or
    (without coordinates) with the same declared township, or with the same 编号 and name, is
    dropped. Each dropped row is named in its register's report; a row sharing only the 编号 of
    an earlier row with another name is flagged and kept.

    Returns
    -------
    list of RegisterImport
        Like ``parts``, with dropped rows removed, the report extended and the counts
        (``rows_kept``, ``duplicates_dropped``) updated.
    """
    seen: dict[str, str] = {}
    frames = []
    for k, part in enumerate(parts):
        fac = pd.DataFrame(part.facilities.drop(columns=part.facilities.geometry.name))
        fac["_part"] = k
        fac["_pos"] = np.arange(len(fac))
        geoms = part.facilities.geometry.to_numpy()
        fac["_x"] = shapely.get_x(geoms) if len(fac) else np.array([], dtype=float)
        fac["_y"] = shapely.get_y(geoms) if len(fac) else np.array([], dtype=float)
        sha = str(part.source.get("sha256", ""))
        fac["_same_file"] = sha in seen and bool(sha)
        fac["_first_file"] = seen.get(sha, "")
        seen.setdefault(sha, str(part.source.get("file", "")))
        frames.append(fac)
    if not frames:
        return parts
    allf = pd.concat(frames, ignore_index=True)
    if allf.empty:
        return parts
    drop: dict[int, str] = {}
    notes: dict[int, list[dict[str, Any]]] = {k: [] for k in range(len(parts))}
    for i in np.flatnonzero(allf["_same_file"].to_numpy()).tolist():
        row = allf.iloc[i]
        drop[i] = f"与本次已导入的 {row['_first_file']} 内容完全相同（同一文件导入两次），已跳过"
    live = allf[[i not in drop for i in range(len(allf))]]
    key = _name_key(live["name"])
    grouped = live.assign(_key=key.values).groupby(["layer", "_key"], sort=False)
    sizes = grouped["_key"].transform("size")
    multi = live[(sizes > 1).to_numpy()].assign(_key=key[(sizes > 1).to_numpy()].values)
    xs, ys = allf["_x"].to_numpy(dtype=float), allf["_y"].to_numpy(dtype=float)
    for _, group in multi.groupby(["layer", "_key"], sort=False):
        idx = group.index.to_numpy()
        pairs = _first_of_pairs(xs, ys, idx)
        by_town: dict[str, int] = {}
        by_ref: dict[str, int] = {}
        for i in idx.tolist():
            row = allf.loc[i]
            town, ref = str(row["township_code"]), str(row.get("ref", "") or "")
            first = pairs.get(i)
            how = f"同名且相距不到 {DUPLICATE_RADIUS_M:.0f} 米"
            if first is None and np.isnan(xs[i]) and town and town in by_town:
                first, how = by_town[town], "同名且没有坐标、所属乡镇相同"
            if first is None and ref and ref in by_ref:
                first, how = by_ref[ref], f"同名且编号 {ref!r} 相同"
            if first is not None:
                other = allf.loc[first]
                drop[i] = (
                    f"与 {other['source_file']} 第 {int(other['source_row'])} 行是同一设施"
                    f"（{how}），不重复计数，已跳过"
                )
                continue
            if np.isnan(xs[i]) and town:
                by_town.setdefault(town, i)
            if ref:
                by_ref.setdefault(ref, i)
    fix = "删除重复登记的行（或不要重复导入同一文件）；若确是两处设施，请在名称中加以区分"
    for i, reason in drop.items():
        row = allf.iloc[i]
        notes[int(row["_part"])].append(_note(row, reason, fix))
    _flag_shared_refs(allf, drop, notes)
    out = []
    for k, part in enumerate(parts):
        gone = sorted(int(allf.iloc[i]["_pos"]) for i in drop if int(allf.iloc[i]["_part"]) == k)
        if not gone and not notes[k]:
            out.append(part)
            continue
        mask = np.ones(len(part.facilities), dtype=bool)
        mask[gone] = False
        facilities = gpd.GeoDataFrame(
            part.facilities[mask].reset_index(drop=True), crs=part.facilities.crs
        )
        report = pd.concat(
            [part.report, pd.DataFrame(notes[k], columns=list(REPORT_COLUMNS))], ignore_index=True
        )
        source = dict(part.source)
        source["rows_kept"] = int(source.get("rows_kept", len(part.facilities))) - len(gone)
        source["duplicates_dropped"] = int(source.get("duplicates_dropped", 0)) + len(gone)
        out.append(replace(part, facilities=facilities, report=report, source=source))
    return out


def _flag_shared_refs(
    allf: pd.DataFrame, drop: dict[int, str], notes: dict[int, list[dict[str, Any]]]
) -> None:
    """The same 编号 on rows of other registers with other names: flagged, both kept."""
    if "ref" not in allf.columns:
        return
    keep = allf[[i not in drop for i in range(len(allf))]]
    keep = keep[keep["ref"].astype(str) != ""]
    for (_, ref), group in keep.groupby(["layer", "ref"], sort=False):
        if group["_part"].nunique() < 2:
            continue  # repeats within one file are flagged when it is read
        first = group.iloc[0]
        for _, row in group.iloc[1:].iterrows():
            if row["_part"] == first["_part"]:
                continue
            notes[int(row["_part"])].append(
                {
                    "file": row["source_file"],
                    "row": int(row["source_row"]),
                    "column": "编号",
                    "value": str(ref),
                    "reason": f"编号 {ref!r} 与 {first['source_file']} 第 "
                    f"{int(first['source_row'])} 行（{first['name']}）相同，但名称不同",
                    "fix": "核对两处登记：是同一设施就删除一处，不是就改正编号",
                    "action": "warning",
                }
            )
