"""What the interactive map shows: display geometry, GeoJSON features with escaped tooltip and
popup HTML, and the legend.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.maps.style import (
    CANDIDATE_COLOUR,
    COUNT_COLOURS,
    COVERED_COLOUR,
    LAYER_COLOURS,
    NEW_AREA_COLOUR,
    OTHER_LAYER_COLOUR,
    SERVICE_AREA_COLOUR,
    UNCOVERED_COLOUR,
    UNCOVERED_POINT_COLOUR,
)
from geo.layers import LAYERS


def simplified(geoms: gpd.GeoSeries, tolerance_m: float) -> np.ndarray:
    """Simplify polygons/lines for display in a local metric CRS; returns WGS84 geometries."""
    values = geoms.to_numpy()
    if tolerance_m <= 0 or len(geoms) == 0:
        return values
    if bool(geoms.geom_type.isin(["Point", "MultiPoint"]).all()):
        return values
    utm = geoms.estimate_utm_crs()
    simple = geoms.to_crs(utm).simplify(tolerance_m, preserve_topology=True)
    return simple.to_crs(4326).to_numpy()


def geojson_features(
    geoms: np.ndarray,
    props: Iterable[dict[str, Any]],
    transform: Callable[[np.ndarray], np.ndarray],
) -> list[dict[str, Any]]:
    shown = shapely.transform(np.asarray(geoms, dtype=object), transform)
    out = []
    for geom, prop in zip(shown, props, strict=True):
        if geom is None or geom.is_empty:
            continue
        out.append({"type": "Feature", "geometry": geom.__geo_interface__, "properties": prop})
    return out


def html_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value))


def township_props(townships: gpd.GeoDataFrame, columns: list[str]) -> list[dict[str, Any]]:
    props = []
    for _, row in townships.iterrows():
        approximate = bool(row.get("approximate", False) is True)
        covered = [bool(row[c] is True or row[c] == 1) for c in columns]
        if len(columns) == 1:
            fill = COVERED_COLOUR if covered[0] else UNCOVERED_COLOUR
        else:
            fill = COUNT_COLOURS[min(sum(covered), len(COUNT_COLOURS) - 1)]
        lines = [
            f"<b>{html_text(row.get('name'))}</b>（{html_text(row.get('code'))}）"
            + ("（近似边界）" if approximate else "")
        ]
        for c, ok in zip(columns, covered, strict=True):
            key = c.removeprefix("covered_")
            n = row.get(f"n_{key}")
            count = f"，{int(n)} 处" if n is not None and not pd.isna(n) else ""
            lines.append(f"{LAYERS[key]}：{'已覆盖' if ok else '未覆盖'}{count}")
        style = {
            "color": "#444444",
            "weight": 1,
            "fillColor": fill,
            "fillOpacity": 0.55,
            **({"dashArray": "5 4", "weight": 1.5} if approximate else {}),
        }
        prop = {"s": style, "t": "<br>".join(lines)}
        if html_text(row.get("popup")):
            prop["p"] = str(row["popup"])  # HTML the caller built and escaped (links, figures)
        props.append(prop)
    return props


def facility_popup(row: pd.Series, label: str) -> tuple[str, str]:
    name = html_text(row.get("name")) or "（未命名）"
    kind = html_text(row.get("kind"))
    kind_part = f" · {kind}" if kind and kind != html.escape(label) else ""
    parts = [f"<b>{name}</b>", f"{html.escape(label)}{kind_part}"]
    for key, caption in (
        ("address", "地址"),
        ("township_declared", "乡镇（街道）"),
        ("facility_id", "编号"),
        ("source_file", "来源"),
    ):
        if html_text(row.get(key)):
            parts.append(f"{caption}：{html_text(row.get(key))}")
    return "<br>".join(parts), name


def point_props(
    gdf: gpd.GeoDataFrame, *, style: dict[str, Any], default_label: str
) -> list[dict[str, Any]]:
    props = []
    for _, row in gdf.iterrows():
        label = html_text(row.get("name")) or html_text(row.get("facility_id")) or default_label
        props.append({"s": style, "t": label})
    return props


def legend_html(
    *,
    columns: list[str],
    layer: str | None,
    layers_shown: list[str],
    approximate: bool,
    extras: set[str],
    unplaced: int,
) -> str:
    rows = ["<b>图例</b>"]
    if layer is not None:
        rows.append(f"<b>乡镇（街道）：{html.escape(LAYERS[layer])}</b>")
        rows.append(f"<i style='background:{COVERED_COLOUR}'></i>已覆盖")
        rows.append(f"<i style='background:{UNCOVERED_COLOUR}'></i>未覆盖")
    else:
        rows.append("<b>乡镇（街道）：已覆盖的设施类型数</b>")
        for k in range(len(columns) + 1):
            colour = COUNT_COLOURS[min(k, len(COUNT_COLOURS) - 1)]
            rows.append(f"<i style='background:{colour}'></i>{k} 类")
    if approximate:
        rows.append("<i class='sc-dashed'></i>近似边界")
    if layers_shown:
        rows.append("<b>设施</b>")
        for key in layers_shown:
            colour = LAYER_COLOURS.get(key, OTHER_LAYER_COLOUR)
            rows.append(
                f"<i class='sc-dot' style='background:{colour}'></i>"
                f"{html.escape(LAYERS.get(key, key))}"
            )
    if "service_areas" in extras:
        rows.append(
            f"<i style='background:{SERVICE_AREA_COLOUR};opacity:0.4'></i>15分钟步行服务范围"
        )
    if "service_areas_after" in extras:
        rows.append(
            f"<i style='background:{NEW_AREA_COLOUR};opacity:0.5'></i>新增选址后的15分钟范围"
        )
    if "uncovered_points" in extras:
        rows.append(
            f"<i class='sc-dot' style='background:{UNCOVERED_POINT_COLOUR}'></i>服务范围外居住点"
        )
    if "candidates" in extras:
        rows.append(f"<i class='sc-dot' style='background:{CANDIDATE_COLOUR}'></i>候选与推荐选址")
    if unplaced:
        rows.append(f"另有 {unplaced} 处设施无坐标，未上图")
    return "".join(f"<div>{r}</div>" for r in rows)
