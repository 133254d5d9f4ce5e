"""The interactive map of areas shaded by a reach share (the townships of one county).

Areas are shaded in five classes of ``share`` (grey where the share is empty: no homes), each
with a tooltip and the popup HTML its caller built; facilities are dots. Title, legend, date,
sources and attribution are drawn on the map, as on :func:`analysis.maps.coverage_map`.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.maps._inputs import to_wgs84
from analysis.maps._leaflet import CSS, GeoJsonOverlay, HtmlControl
from analysis.maps.basemaps import BASEMAPS, add_basemap, display_transform
from analysis.maps.overlays import facility_popup, geojson_features, html_text, simplified
from analysis.maps.style import LAYER_COLOURS, OTHER_LAYER_COLOUR
from geo._errors import InputError
from geo._vendor import LEAFLET_CSS_URL, LEAFLET_JS_URL
from geo.layers import LAYERS
from geo.settings import ATTRIBUTION_OSM

#: share classes (lower bounds) and their fill (ColorBrewer RdYlGn, red = few homes reached)
SHARE_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.0, "#d7191c", "< 20%"),
    (0.2, "#fdae61", "20–40%"),
    (0.4, "#ffffbf", "40–60%"),
    (0.6, "#a6d96a", "60–80%"),
    (0.8, "#1a9641", "≥ 80%"),
)
NO_SHARE_COLOUR = "#cccccc"


def share_colour(share: float) -> str:
    """The fill of a share (0…1); grey for an empty share."""
    if share is None or pd.isna(share):
        return NO_SHARE_COLOUR
    colour = SHARE_CLASSES[0][1]
    for low, fill, _ in SHARE_CLASSES:
        if share >= low:
            colour = fill
    return colour


def share_map(
    areas: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    title: str,
    share_label: str,
    basemap: str = "osm",
    date: str | dt.date | None = None,
    sources: Sequence[str] = (),
    notes: Sequence[str] = (),
    attribution: str = ATTRIBUTION_OSM,
    simplify_tolerance_m: float = 50,
) -> folium.Map:
    """An interactive map of ``areas`` shaded by their ``share``, with ``facilities``.

    Parameters
    ----------
    areas
        Polygons with ``name``, ``share`` (0…1 or empty), ``popup`` (HTML, escaped by the
        caller) and optionally ``approximate`` (dashed outline).
    facilities
        Points with ``name``, ``layer`` (and the optional columns of ``coverage_map``).
    share_label
        What the share is, for the legend (e.g. "15分钟步行可达人口占比").
    notes
        Extra lines for the info box (plain text).
    simplify_tolerance_m
        Display-only simplification of the polygons, metres.
    """
    if basemap not in BASEMAPS:
        raise InputError(f"basemap {basemap!r} is not known; use one of {', '.join(BASEMAPS)}")
    if not isinstance(title, str) or not title.strip():
        raise InputError("title must be a non-empty string, e.g. '南昌县 15分钟养老服务圈'")
    shown = to_wgs84(areas, argument="areas")
    places = to_wgs84(facilities, argument="facilities")
    transform = display_transform(basemap)
    fmap = folium.Map(location=None, tiles=None, control_scale=True, zoom_start=9)
    fmap.default_js = [("leaflet", LEAFLET_JS_URL)]
    fmap.default_css = [("leaflet_css", LEAFLET_CSS_URL)]
    tile_attribution = add_basemap(fmap, basemap)

    props = []
    for _, row in shown.iterrows():
        approximate = bool(row.get("approximate", False) is True)
        share = row.get("share")
        share_text = "—" if share is None or pd.isna(share) else f"{share:.1%}"
        style = {"color": "#444444", "weight": 1, "fillColor": share_colour(share),
                 "fillOpacity": 0.6, **({"dashArray": "5 4"} if approximate else {})}  # fmt: skip
        props.append({"s": style, "t": f"{html_text(row.get('name'))} · {share_text}",
                      "p": str(row.get("popup") or "")})  # fmt: skip
    group = folium.FeatureGroup(name=html.escape(share_label)).add_to(fmap)
    GeoJsonOverlay(
        geojson_features(simplified(shown.geometry, simplify_tolerance_m), props, transform),
        attribution=attribution,
    ).add_to(group)

    layers = sorted({str(v) for v in places["layer"].dropna()}) if "layer" in places else []
    for key in layers:
        rows = places[places["layer"] == key]
        label = LAYERS.get(key, key)
        style = {"radius": 6, "color": "#ffffff", "weight": 1,
                 "fillColor": LAYER_COLOURS.get(key, OTHER_LAYER_COLOUR), "fillOpacity": 0.95}  # fmt: skip
        fprops = []
        for _, row in rows.iterrows():
            popup, name = facility_popup(row, label)
            fprops.append({"s": style, "t": name, "p": popup})
        folium.FeatureGroup(name=f"{html.escape(label)}（{len(rows)} 处）").add_to(fmap).add_child(
            GeoJsonOverlay(geojson_features(rows.geometry.to_numpy(), fprops, transform))
        )

    when = date or dt.date.today()
    when_text = when.isoformat() if isinstance(when, dt.date) else str(when)
    HtmlControl(
        f"{CSS}<h2>{html.escape(title)}</h2>制图日期：{html.escape(when_text)}",
        position="topright",
        css_class="sc-title",
    ).add_to(fmap)
    legend = [f"<b>{html.escape(share_label)}</b>"]
    legend += [f"<i style='background:{c}'></i>{html.escape(t)}" for _, c, t in SHARE_CLASSES]
    legend.append(f"<i style='background:{NO_SHARE_COLOUR}'></i>无需求点")
    if "approximate" in shown.columns and shown["approximate"].eq(True).any():
        legend.append("<i class='sc-dashed'></i>近似边界")
    HtmlControl(
        "".join(f"<div>{r}</div>" for r in legend), position="bottomright", css_class="sc-legend"
    ).add_to(fmap)
    info = [f"制图日期：{html.escape(when_text)}"]
    info += [f"数据来源：{html.escape(s)}" for s in sources]
    info += [html.escape(n) for n in notes]
    credits = [a for a in (tile_attribution, attribution) if a]
    info.append(html.escape("；".join(dict.fromkeys(credits))))
    HtmlControl("<br>".join(info), position="bottomleft", css_class="sc-info").add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    frames = [f for f in (shown, places) if len(f)]
    if frames:
        b = np.array([f.total_bounds for f in frames])
        corners = transform(
            np.array([[b[:, 0].min(), b[:, 1].min()], [b[:, 2].max(), b[:, 3].max()]])
        )
        fmap.fit_bounds([[float(corners[0, 1]), float(corners[0, 0])],
                         [float(corners[1, 1]), float(corners[1, 0])]])  # fmt: skip
    return fmap
