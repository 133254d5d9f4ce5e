"""Row checks: facility layer of each row, ids, names, duplicates within a file."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

import numpy as np

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
    frame = raw.frame
    keys = (
        frame.astype(str).agg("\x1f".join, axis=1).tolist()
        if len(frame.columns)
        else [""] * len(frame)
    )
    if raw.geometry is not None:
        wkts = [g.wkt if g is not None else "" for g in raw.geometry]
        keys = [k + "\x1f" + w for k, w in zip(keys, wkts, strict=True)]
    first_of: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k not in first_of:
            first_of[k] = i
            continue
        work.dropped[i] = True
        work.note(
            i,
            work.cols["name"],
            str(names[i]),
            f"与第 {int(work.rows[first_of[k]])} 行完全重复，已跳过",
            "删除重复的行",
            "warning",
        )


def _check_names(work: _Work, names: np.ndarray) -> None:
    for i in np.flatnonzero(~work.dropped & (names == "")).tolist():
        work.note(i, work.cols["name"], "", "机构名称为空", "补填名称后重新导入", "rejected")


def _assign_layers(work: _Work, kinds: np.ndarray, fixed_layer: str | None) -> np.ndarray:
    layers = np.full(len(kinds), "", dtype=object)
    if fixed_layer is not None:
        layers[:] = fixed_layer
        return layers
    file_layer, _ = _layer_from_text(Path(work.file_name).stem)
    for i in np.flatnonzero(~work.dropped).tolist():
        kind = str(kinds[i])
        found, hits = _layer_from_text(kind) if kind else (None, [])
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
