"""The interactive folium map of township coverage, facilities and optional reach/siting layers."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence

import folium
import geopandas as gpd
import numpy as np

from analysis.maps._inputs import coverage_columns, to_wgs84
from analysis.maps._leaflet import CSS, GeoJsonOverlay, HtmlControl
from analysis.maps.basemaps import BASEMAPS, add_basemap, display_transform
from analysis.maps.overlays import (
    facility_popup,
    geojson_features,
    html_text,
    legend_html,
    point_props,
    simplified,
    township_props,
)
from analysis.maps.style import (
    CANDIDATE_COLOUR,
    LAYER_COLOURS,
    NEW_AREA_COLOUR,
    OTHER_LAYER_COLOUR,
    SERVICE_AREA_COLOUR,
    UNCOVERED_POINT_COLOUR,
)
from geo._errors import InputError
from geo._vendor import LEAFLET_CSS_URL, LEAFLET_JS_URL
from geo.layers import LAYERS
from geo.settings import ATTRIBUTION_OSM


def coverage_map(
    townships: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    title: str,
    layer: str | None = None,
    basemap: str = "osm",
    date: str | dt.date | None = None,
    sources: Sequence[str] = (),
    attribution: str = ATTRIBUTION_OSM,
    service_areas: gpd.GeoDataFrame | None = None,
    uncovered_points: gpd.GeoDataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    service_areas_after: gpd.GeoDataFrame | None = None,
    simplify_tolerance_m: float = 20,
) -> folium.Map:
    """An interactive map of township coverage and facilities, for a planner's browser.

    Townships are shaded covered/uncovered for ``layer`` (or by how many facility layers cover
    them when ``layer`` is None), dashed when their boundary is approximate; facilities are
    coloured dots, one switchable group per layer; a Chinese title, legend, date, sources
    and attribution are drawn on the map. The page needs only Leaflet (vendored: see
    :func:`geo.export.save_html`).

    Parameters
    ----------
    townships
        Polygons with ``code``, ``name``, ``approximate`` and ``covered_<layer>`` /
        ``n_<layer>`` columns (any CRS; shown in WGS84); an optional ``popup`` column holds
        HTML (escaped by the caller) shown on click.
    facilities
        Points with ``name``, ``layer`` and optionally ``kind``, ``address``,
        ``township_declared``, ``facility_id``; rows without geometry are skipped.
    title
        The map title (Chinese).
    layer
        The facility layer whose coverage shades the townships; None for the count of layers.
    basemap
        ``"osm"``, ``"tianditu"`` (needs ``TIANDITU_KEY``), ``"amap"`` (高德; every overlay is
        shifted to GCJ-02 to sit on its tiles) or ``"none"`` (no tiles: works offline).
    date
        The date shown (default today).
    sources
        Data sources, one per line of the info box.
    attribution
        Data attribution, shown in the info box and in Leaflet's attribution control.
    service_areas
        Optional 15-minute walking reach polygons.
    uncovered_points
        Optional demand points outside every service area.
    candidates
        Optional candidate/chosen sites (``selected`` True ones drawn larger).
    service_areas_after
        Optional walking reach of the new sites of a siting scenario (the "after" layer,
        drawn over ``service_areas``, the "before" layer).
    simplify_tolerance_m
        Display-only simplification of polygons, metres (0 to keep every vertex).

    Returns
    -------
    folium.Map
        Render with ``m.get_root().render()``; save with :func:`geo.export.save_html`.
    """
    if basemap not in BASEMAPS:
        raise InputError(f"basemap {basemap!r} is not known; use one of {', '.join(BASEMAPS)}")
    if not isinstance(title, str) or not title.strip():
        raise InputError("title must be a non-empty string, e.g. '武昌区 养老服务设施覆盖情况'")
    if simplify_tolerance_m < 0:
        raise InputError(f"simplify_tolerance_m must be >= 0 metres, got {simplify_tolerance_m!r}")
    towns = to_wgs84(townships, argument="townships")
    columns = coverage_columns(townships, layer)
    places = to_wgs84(facilities, argument="facilities")
    if "layer" not in places.columns:
        raise InputError("facilities lack the 'layer' column (values: " + ", ".join(LAYERS) + ")")
    extras = {
        name: to_wgs84(gdf, argument=name)
        for name, gdf in (
            ("service_areas", service_areas),
            ("uncovered_points", uncovered_points),
            ("candidates", candidates),
            ("service_areas_after", service_areas_after),
        )
        if gdf is not None
    }
    when = date or dt.date.today()
    when_text = when.isoformat() if isinstance(when, dt.date) else str(when)
    transform = display_transform(basemap)

    fmap = folium.Map(location=None, tiles=None, control_scale=True, zoom_start=5)
    fmap.default_js = [("leaflet", LEAFLET_JS_URL)]  # only Leaflet: no jQuery/Bootstrap/CDN
    fmap.default_css = [("leaflet_css", LEAFLET_CSS_URL)]
    tile_attribution = add_basemap(fmap, basemap)

    # townships
    town_group = folium.FeatureGroup(
        name=f"乡镇（街道）覆盖：{LAYERS[layer]}" if layer else "乡镇（街道）覆盖：设施类型数"
    ).add_to(fmap)
    GeoJsonOverlay(
        geojson_features(
            simplified(towns.geometry, simplify_tolerance_m),
            township_props(towns, columns),
            transform,
        ),
        attribution=attribution,
    ).add_to(town_group)

    for key, name, colour, opacity in (
        ("service_areas", "15分钟步行服务范围", SERVICE_AREA_COLOUR, 0.18),
        ("service_areas_after", "新增选址后的15分钟步行范围", NEW_AREA_COLOUR, 0.25),
    ):
        if key not in extras:
            continue
        group = folium.FeatureGroup(name=name).add_to(fmap)
        style = {"color": colour, "weight": 1, "fillColor": colour, "fillOpacity": opacity}
        GeoJsonOverlay(
            geojson_features(
                simplified(extras[key].geometry, simplify_tolerance_m),
                point_props(extras[key], style=style, default_label=name),
                transform,
            ),
            attribution=attribution,
        ).add_to(group)

    # facilities, one group per layer
    present_layers = [k for k in LAYERS if (places["layer"] == k).any()] + sorted(
        {str(v) for v in places["layer"].dropna()} - set(LAYERS)
    )
    for key in present_layers:
        rows = places[places["layer"] == key]
        label = LAYERS.get(key, key)
        colour = LAYER_COLOURS.get(key, OTHER_LAYER_COLOUR)
        style = {"radius": 6, "color": "#ffffff", "weight": 1, "fillColor": colour,
                 "fillOpacity": 0.95}  # fmt: skip
        props = []
        for _, row in rows.iterrows():
            popup, name = facility_popup(row, label)
            props.append({"s": style, "t": name, "p": popup})
        group = folium.FeatureGroup(
            name=f"{html.escape(label)}（{len(rows)} 处）", show=layer is None or key == layer
        ).add_to(fmap)
        GeoJsonOverlay(geojson_features(rows.geometry.to_numpy(), props, transform)).add_to(group)

    if "uncovered_points" in extras:
        pts = extras["uncovered_points"]
        style = {"radius": 3, "color": UNCOVERED_POINT_COLOUR, "weight": 1,
                 "fillColor": UNCOVERED_POINT_COLOUR, "fillOpacity": 0.7}  # fmt: skip
        group = folium.FeatureGroup(name=f"服务范围外居住点（{len(pts)} 个）").add_to(fmap)
        GeoJsonOverlay(
            geojson_features(
                pts.geometry.to_numpy(),
                point_props(pts, style=style, default_label="服务范围外居住点"),
                transform,
            )
        ).add_to(group)

    if "candidates" in extras:
        cands = extras["candidates"]
        selected = (
            cands["selected"].fillna(False).astype(bool).to_numpy()
            if "selected" in cands.columns
            else np.zeros(len(cands), dtype=bool)
        )
        props = []
        for (_, row), chosen in zip(cands.iterrows(), selected, strict=True):
            style = {"radius": 9 if chosen else 5, "color": "#000000", "weight": 2 if chosen else 1,
                     "fillColor": CANDIDATE_COLOUR, "fillOpacity": 0.95 if chosen else 0.5}  # fmt: skip
            name = html_text(row.get("name")) or html_text(row.get("site_id")) or "候选点"
            props.append({"s": style, "t": ("推荐选址：" if chosen else "候选点：") + name})
        group = folium.FeatureGroup(name="候选与推荐选址").add_to(fmap)
        GeoJsonOverlay(geojson_features(cands.geometry.to_numpy(), props, transform)).add_to(group)

    # title, legend, info
    HtmlControl(
        # the stylesheet travels inside a control, so it also applies where only the map's
        # script is used (streamlit-folium)
        f"{CSS}<h2>{html.escape(title)}</h2>制图日期：{html.escape(when_text)}",
        position="topright",
        css_class="sc-title",
    ).add_to(fmap)
    HtmlControl(
        legend_html(
            columns=columns,
            layer=layer,
            layers_shown=present_layers,
            approximate=bool(
                "approximate" in towns.columns and towns["approximate"].eq(True).any()
            ),
            extras=set(extras),
            unplaced=int(len(facilities) - len(places)),
        ),
        position="bottomright",
        css_class="sc-legend",
    ).add_to(fmap)
    info = [f"制图日期：{html.escape(when_text)}"]
    info += [f"数据来源：{html.escape(s)}" for s in sources]
    if basemap == "amap":
        info.append("底图为 GCJ-02 坐标，图上要素已由 WGS84 换算以便套合")
    credits = [a for a in (tile_attribution, attribution) if a]
    info.append(html.escape("；".join(dict.fromkeys(credits))))
    HtmlControl("<br>".join(info), position="bottomleft", css_class="sc-info").add_to(fmap)

    folium.LayerControl(collapsed=True).add_to(fmap)
    bounds = _bounds([towns, places, *extras.values()], transform)
    if bounds is not None:
        fmap.fit_bounds(bounds)
    else:
        fmap.location = [35.0, 105.0]
    return fmap


def _bounds(
    frames: list[gpd.GeoDataFrame], transform: Callable[[np.ndarray], np.ndarray]
) -> list[list[float]] | None:
    boxes = [f.total_bounds for f in frames if len(f)]
    boxes = [b for b in boxes if np.all(np.isfinite(b))]
    if not boxes:
        return None
    b = np.array(boxes)
    corners = transform(np.array([[b[:, 0].min(), b[:, 1].min()], [b[:, 2].max(), b[:, 3].max()]]))
    return [
        [float(corners[0, 1]), float(corners[0, 0])],
        [float(corners[1, 1]), float(corners[1, 0])],
    ]
