"""The static map (PNG/PDF) for reports: coverage shading, facilities, legend, scale bar, north."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import geopandas as gpd
import numpy as np

from analysis.maps._inputs import coverage_columns, to_wgs84
from analysis.maps.fonts import cjk_font
from analysis.maps.style import (
    COUNT_COLOURS,
    COVERED_COLOUR,
    LAYER_COLOURS,
    UNCOVERED_COLOUR,
)
from geo._errors import InputError
from geo.layers import LAYERS
from geo.settings import ATTRIBUTION_OSM


def _scale_bar_km(width_m: float) -> float:
    """A round scale-bar length, about a fifth of the map width, in km."""
    target = max(width_m / 5.0 / 1000.0, 1e-3)
    exponent = np.floor(np.log10(target))
    for step in (5.0, 2.0, 1.0):
        if step * 10**exponent <= target:
            return float(step * 10**exponent)
    return float(10**exponent)


def _static_figure(
    townships: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    title: str,
    layer: str | None,
    sources: Sequence[str],
    attribution: str,
    date: str | dt.date | None,
) -> Any:
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    font = cjk_font()
    towns = to_wgs84(townships, argument="townships")
    columns = coverage_columns(townships, layer)
    places = to_wgs84(facilities, argument="facilities")
    frames = [f for f in (towns, places) if len(f)]
    when = date or dt.date.today()
    when_text = when.isoformat() if isinstance(when, dt.date) else str(when)
    foot = [f"制图日期：{when_text}", *[f"数据来源：{s}" for s in sources], attribution]

    foot = [x for x in foot if x]
    fig = Figure(figsize=(8.27, 8.27), layout="constrained")  # A4 width, square
    # the footer gets its own row so the constrained layout keeps it clear of the map
    foot_in = 0.16 * len(foot) + 0.1
    grid = fig.add_gridspec(2, 1, height_ratios=[8.27 - foot_in, foot_in])
    foot_ax = fig.add_subplot(grid[1])
    foot_ax.set_axis_off()
    foot_ax.text(0.0, 1.0, "\n".join(foot), ha="left", va="top", transform=foot_ax.transAxes,
                 fontproperties=font, fontsize=7, color="#333333")  # fmt: skip
    ax = fig.add_subplot(grid[0])
    ax.set_axis_off()
    heading = title if layer is None else f"{title}\n{LAYERS[layer]}覆盖情况"
    ax.set_title(heading, fontproperties=font, fontsize=15)
    if not frames:  # a run whose units have no polygons and whose facilities no coordinates
        ax.text(0.5, 0.5, "无可绘制的乡镇边界或设施坐标", ha="center", va="center",
                transform=ax.transAxes, fontproperties=font, fontsize=14, color="#666666")  # fmt: skip
        return fig
    metric = frames[0].estimate_utm_crs()
    towns_m = towns.to_crs(metric)
    places_m = places.to_crs(metric)
    ax.set_aspect("equal")
    handles: list[Any] = []
    if len(towns_m):
        covered = np.column_stack(
            [towns_m[c].fillna(False).astype(bool).to_numpy() for c in columns]
        ).sum(axis=1)
        if len(columns) == 1:
            colours = np.where(covered > 0, COVERED_COLOUR, UNCOVERED_COLOUR)
            handles += [
                Patch(facecolor=COVERED_COLOUR, edgecolor="#444444", label="已覆盖"),
                Patch(facecolor=UNCOVERED_COLOUR, edgecolor="#444444", label="未覆盖"),
            ]
        else:
            colours = np.array([COUNT_COLOURS[min(int(k), 4)] for k in covered])
            handles += [
                Patch(
                    facecolor=COUNT_COLOURS[min(k, 4)],
                    edgecolor="#444444",
                    label=f"覆盖 {k} 类设施",
                )
                for k in range(len(columns) + 1)
            ]
        approximate = (
            towns_m["approximate"].eq(True).to_numpy()
            if "approximate" in towns_m.columns
            else np.zeros(len(towns_m), dtype=bool)
        )
        towns_m.plot(ax=ax, color=list(colours), edgecolor="#444444", linewidth=0.4, alpha=0.8)
        if approximate.any():
            towns_m[approximate].boundary.plot(
                ax=ax, color="#222222", linewidth=0.8, linestyle="--"
            )
            handles.append(Line2D([], [], color="#222222", linestyle="--", label="近似边界"))
    for key in [k for k in LAYERS if (places_m["layer"] == k).any()]:
        rows = places_m[places_m["layer"] == key]
        ax.scatter(rows.geometry.x, rows.geometry.y, s=18, c=LAYER_COLOURS[key],
                   edgecolors="white", linewidths=0.5, zorder=3)  # fmt: skip
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markerfacecolor=LAYER_COLOURS[key],
                markeredgecolor="white",
                markersize=7,
                label=f"{LAYERS[key]}（{len(rows)} 处）",
            )  # fmt: skip
        )
    if handles:
        legend = ax.legend(handles=handles, loc="lower right", prop=font, fontsize=9, framealpha=0.9,
                           title="图例")  # fmt: skip
        legend.get_title().set_fontproperties(font)

    # scale bar (km) and north arrow, in axes coordinates over the metric CRS
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    bar_km = _scale_bar_km(x1 - x0)
    bar_m = bar_km * 1000.0
    bx, by = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    height = 0.008 * (y1 - y0)
    ax.add_patch(Rectangle((bx, by), bar_m / 2, height, facecolor="black", edgecolor="black"))
    ax.add_patch(Rectangle((bx + bar_m / 2, by), bar_m / 2, height, facecolor="white",
                           edgecolor="black"))  # fmt: skip
    label = f"{bar_km:g} 公里"
    ax.text(bx + bar_m / 2, by + 2.5 * height, label, ha="center", va="bottom",
            fontproperties=font, fontsize=9,
            bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1})  # fmt: skip
    # north arrow: grid north of the local UTM zone (within a degree or two of true north)
    ax.annotate("", xy=(0.95, 0.95), xytext=(0.95, 0.87), xycoords="axes fraction",
                arrowprops={"facecolor": "black", "edgecolor": "black", "width": 3,
                            "headwidth": 10})  # fmt: skip
    ax.text(0.95, 0.955, "北", transform=ax.transAxes, ha="center", va="bottom",
            fontproperties=font, fontsize=12)  # fmt: skip
    return fig


def static_map_png(
    townships: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    path_or_buffer: str | Path | IO[bytes],
    *,
    title: str,
    layer: str | None = None,
    sources: Sequence[str] = (),
    attribution: str = ATTRIBUTION_OSM,
    date: str | dt.date | None = None,
    dpi: int = 200,
) -> None:
    """A static map (PNG) for reports: coverage shading, facilities, legend, scale bar, north.

    Drawn in the local UTM zone (so the scale bar is true) without basemap tiles (works
    offline). Chinese text uses :func:`cjk_font`.

    Parameters
    ----------
    townships, facilities, title, layer, sources, attribution, date
        As for :func:`coverage_map`.
    path_or_buffer
        Where the PNG goes (a path or a binary file object).
    dpi
        Dots per inch; the figure is 8.27 in square (A4 width).
    """
    _save_static(
        townships, facilities, path_or_buffer, fmt="png", title=title, layer=layer,
        sources=sources, attribution=attribution, date=date, dpi=dpi,
    )  # fmt: skip


def static_map_pdf(
    townships: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    path_or_buffer: str | Path | IO[bytes],
    *,
    title: str,
    layer: str | None = None,
    sources: Sequence[str] = (),
    attribution: str = ATTRIBUTION_OSM,
    date: str | dt.date | None = None,
) -> None:
    """The static map of :func:`static_map_png` as a vector PDF (fonts embedded)."""
    _save_static(
        townships, facilities, path_or_buffer, fmt="pdf", title=title, layer=layer,
        sources=sources, attribution=attribution, date=date, dpi=200,
    )  # fmt: skip


def _save_static(
    townships: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    path_or_buffer: str | Path | IO[bytes],
    *,
    fmt: str,
    title: str,
    layer: str | None,
    sources: Sequence[str],
    attribution: str,
    date: str | dt.date | None,
    dpi: int,
) -> None:
    import matplotlib

    if not isinstance(dpi, int) or not 50 <= dpi <= 1200:
        raise InputError(f"dpi must be a whole number from 50 to 1200, got {dpi!r}")
    font = None
    with matplotlib.rc_context({"axes.unicode_minus": False, "pdf.fonttype": 42}):
        fig = _static_figure(
            townships, facilities, title=title, layer=layer, sources=sources,
            attribution=attribution, date=date,
        )  # fmt: skip
        font = cjk_font()
        with matplotlib.rc_context(
            {"font.family": "sans-serif", "font.sans-serif": [font.get_name(), "DejaVu Sans"]}
        ):
            fig.savefig(path_or_buffer, format=fmt, dpi=dpi)
