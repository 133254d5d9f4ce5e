"""Row checks: facility layer of each row, ids, names, duplicates within a file."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.layers import LAYERS, layers_in_text
from geo.registers.model import LAYER_FIX, _Raw, _Work


def _layer_from_text(text: str) -> tuple[str | None, list[str]]:
    """The layer a 类型 text or file name names: (layer or None, all layers that matched)."""
    low = unicodedata.normalize("NFKC", text).lower()
    hits = layers_in_text(low)
    if not hits:
        for key, label in LAYERS.items():
            if label in text:
                hits.append(key)
    return (hits[0] if len(hits) == 1 else None), hits


def _check_layer(layer: str) -> str:
    if layer in LAYERS:
        return layer
    for key, label in LAYERS.items():
        if layer.strip() == label:
            return key
    raise InputError(
        f"layer={layer!r} 不是设施类型；请改用以下之一："
        + "、".join(f"{k}（{v}）" for k, v in LAYERS.items())
    )


def _facility_id(file_name: str, row: int, name: str) -> str:
    return hashlib.sha1(f"{file_name}|{row}|{name}".encode()).hexdigest()[:12]


def _drop_duplicates(work: _Work, raw: _Raw, names: np.ndarray) -> None:
    """Rows repeating an earlier row cell for cell (and geometry) are dropped, with a warning."""
    frame = raw.frame.copy()
    frame.columns = [f"c{j}" for j in range(len(frame.columns))]
    if raw.geometry is not None:
        frame["_wkb"] = [g.wkb if g is not None else b"" for g in raw.geometry]
    if not len(frame.columns):
        return
    dup = frame.duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    first = frame.groupby(list(frame.columns), sort=False, dropna=False).ngroup().to_numpy()
    first_row = {}
    for i in np.flatnonzero(~dup).tolist():
        first_row[int(first[i])] = int(work.rows[i])
    for i in np.flatnonzero(dup).tolist():
        work.dropped[i] = True
        work.note(
            i,
            work.cols["name"],
            str(names[i]),
            f"与第 {first_row[int(first[i])]} 行完全重复，已跳过",
            "删除重复的行",
            "warning",
        )


def _check_refs(work: _Work, refs: np.ndarray) -> None:
    """The same 编号 on several kept rows of one file: flagged on every later row (kept)."""
    if "ref" not in work.cols:
        return
    live = ~work.dropped & (refs != "")
    series = pd.Series(refs[live], index=np.flatnonzero(live))
    repeated = series[series.duplicated(keep="first")]
    if repeated.empty:
        return
    first = series.drop_duplicates(keep="first")
    first_row = {v: int(work.rows[i]) for i, v in first.items()}
    for i, value in repeated.items():
        work.note(
            int(i),
            work.cols["ref"],
            str(value),
            f"编号 {value!r} 与第 {first_row[value]} 行重复（两行名称或内容不同）",
            "核对这两行：是同一设施就删除一行，不是就改正编号",
            "warning",
        )


#: a name longer than this is not a facility name (and would not fit an Excel cell)
MAX_NAME_CHARS: Final = 200


def _check_names(work: _Work, names: np.ndarray) -> None:
    for i in np.flatnonzero(~work.dropped & (names == "")).tolist():
        work.note(i, work.cols["name"], "", "机构名称为空", "补填名称后重新导入", "rejected")
    lengths = np.fromiter((len(str(v)) for v in names), dtype=np.int64, count=len(names))
    for i in np.flatnonzero(~work.dropped & (lengths > MAX_NAME_CHARS)).tolist():
        work.note(
            i,
            work.cols["name"],
            str(names[i])[:40] + "…",
            f"机构名称长达 {int(lengths[i])} 个字符，不像设施名称（可能整行粘贴进了一个单元格）",
            f"把名称改为 {MAX_NAME_CHARS} 个字符以内的机构名称",
            "rejected",
        )


def _assign_layers(work: _Work, kinds: np.ndarray, fixed_layer: str | None) -> np.ndarray:
    layers = np.full(len(kinds), "", dtype=object)
    if fixed_layer is not None:
        layers[:] = fixed_layer
        return layers
    file_layer, _ = _layer_from_text(Path(work.file_name).stem)
    cache: dict[str, tuple[str | None, list[str]]] = {}
    for i in np.flatnonzero(~work.dropped).tolist():
        kind = str(kinds[i])
        if kind not in cache:
            cache[kind] = _layer_from_text(kind) if kind else (None, [])
        found, hits = cache[kind]
        if found is None and not hits:
            found = file_layer
        if found is not None:
            layers[i] = found
            continue
        if hits:
            reason = f"类型 {kind!r} 可对应多种设施（{'、'.join(LAYERS[h] for h in hits)}）"
        elif kind:
            reason = f"类型 {kind!r} 不属于任何一种设施"
        else:
            reason = "无法从类型列或文件名判断设施类型"
        work.note(i, work.cols.get("kind", "类型"), kind, reason, LAYER_FIX, "rejected")
    return layers
