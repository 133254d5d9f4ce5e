"""Maps of coverage for planners: an interactive folium map and a static PNG/PDF.

Both are built from the analysis outputs and return objects (or write to a buffer the caller
gives); :func:`geo.export.save_html` writes the interactive map as one self-contained file.
Geometry is simplified for display only, on copies; the analysis geometry is never touched.

Every text that comes from data (names, addresses, titles, sources) is HTML-escaped before
it reaches the page, so a facility named ``<script>…`` shows as text.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any, Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template

from geo._vendor import LEAFLET_CSS_URL, LEAFLET_JS_URL
from servicecircle._errors import DataMissingError, InputError
from servicecircle.layers import LAYERS, layer_label
from servicecircle.settings import ATTRIBUTION_OSM

BASEMAPS: Final = ("osm", "tianditu", "amap", "none")
TIANDITU_KEY_ENV: Final = "TIANDITU_KEY"

#: facility layer -> marker colour (ColorBrewer Dark2: distinct, colour-blind tolerant)
LAYER_COLOURS: Final[dict[str, str]] = {
    "elderly_care": "#d95f02",
    "social_work": "#1b9e77",
    "cremains": "#7570b3",
    "minor_protection": "#e7298a",
}
_OTHER_LAYER_COLOUR: Final = "#666666"
COVERED_COLOUR: Final = "#a1d99b"
UNCOVERED_COLOUR: Final = "#fb6a4a"
#: number of facility layers present in a township (0…4) -> fill colour
COUNT_COLOURS: Final = ("#fb6a4a", "#fee391", "#c7e9c0", "#74c476", "#238b45")
SERVICE_AREA_COLOUR: Final = "#3182bd"
NEW_AREA_COLOUR: Final = "#e6550d"
UNCOVERED_POINT_COLOUR: Final = "#cb181d"
CANDIDATE_COLOUR: Final = "#ffd92f"
_COORD_DECIMALS: Final = 6  # about 0.1 m: plenty for display, keeps the page small

#: Chinese (simplified) font families, in order of preference, for the static map
CJK_FAMILIES: Final = (
    "Noto Sans SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Droid Sans Fallback",
)
_FONT_FIX: Final = (
    "install the project's font package (pip install pylopdf-fonts-zh-cn, Noto Sans SC) or a "
    "system CJK font (apt-get install fonts-noto-cjk)"
)

_TILES: Final[dict[str, tuple[str, str, str]]] = {
    # name -> (url template, attribution, subdomains)
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", ATTRIBUTION_OSM, "abc"),
    "amap": (
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        "© 高德地图 AutoNavi（GCJ-02，图上要素已换算）",
        "1234",
    ),
}
_TIANDITU_URL: Final = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}"
    "&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
_TIANDITU_ATTRIBUTION: Final = "© 天地图（国家地理信息公共服务平台）"

_CSS: Final = """<style>
.sc-box { background: rgba(255,255,255,0.92); padding: 6px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); font: 13px/1.45 "Noto Sans SC", "Microsoft YaHei",
  "PingFang SC", "Hiragino Sans GB", sans-serif; color: #222; max-width: 340px; }
.sc-title h2 { margin: 0 0 2px 0; font-size: 17px; }
.sc-legend i { display: inline-block; width: 14px; height: 12px; margin-right: 6px;
  vertical-align: -1px; border: 1px solid #555; }
.sc-legend i.sc-dot { border-radius: 50%; border: 1px solid #fff; box-shadow: 0 0 0 1px #777; }
.sc-legend i.sc-dashed { background: transparent; border: 2px dashed #333; height: 8px; }
.sc-legend div > b { display: inline-block; margin-top: 4px; }
.sc-info { font-size: 11px; max-width: 420px; }
</style>"""


# ---------------------------------------------------------------------- JS helpers
def _js_literal(value: Any) -> str:
    """JSON for embedding in a <script>: Chinese kept readable, "</" can't close the script."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class _GeoJsonOverlay(MacroElement):
    """Features with per-feature style, tooltip and popup HTML, added to the parent group.

    Points are drawn as ``L.circleMarker`` (no icon images or icon fonts). Tooltip and popup
    strings are built (and escaped) in Python; the page only inserts them.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var layer = L.geoJSON({{ this.data_js }}, {
                attribution: {{ this.attribution_js }},
                style: function (f) { return f.properties.s; },
                pointToLayer: function (f, latlng) { return L.circleMarker(latlng, f.properties.s); },
                onEachFeature: function (f, l) {
                    if (f.properties.t) { l.bindTooltip(f.properties.t, {sticky: true}); }
                    if (f.properties.p) { l.bindPopup(f.properties.p, {maxWidth: 320}); }
                }
            });
            layer.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, features: list[dict[str, Any]], *, attribution: str = "") -> None:
        super().__init__()
        self._name = "GeoJsonOverlay"
        self.data_js = _js_literal({"type": "FeatureCollection", "features": features})
        self.attribution_js = _js_literal(html.escape(attribution))


class _HtmlControl(MacroElement):
    """A fixed box (title, legend, sources) as a Leaflet control, so it also shows in Streamlit."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var ctl = L.control({position: {{ this.position_js }}});
            ctl.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_js }});
                div.innerHTML = {{ this.html_js }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            ctl.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, inner_html: str, *, position: str, css_class: str) -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.position_js = _js_literal(position)
        self.css_js = _js_literal(f"sc-box {css_class}")
        self.html_js = _js_literal(inner_html)


# ---------------------------------------------------------------------- geometry for display
def _to_wgs84(gdf: gpd.GeoDataFrame, *, argument: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{argument} must be a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise InputError(
            f"{argument} has no CRS; set it (e.g. {argument}.set_crs(4326)) before mapping."
        )
    present = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    return present.to_crs(4326) if present.crs.to_epsg() != 4326 else present


def _simplified(geoms: gpd.GeoSeries, tolerance_m: float) -> np.ndarray:
    """Simplify polygons/lines for display in a local metric CRS; returns WGS84 geometries."""
    values = geoms.to_numpy()
    if tolerance_m <= 0 or len(geoms) == 0:
        return values
    if bool(geoms.geom_type.isin(["Point", "MultiPoint"]).all()):
        return values
    utm = geoms.estimate_utm_crs()
    simple = geoms.to_crs(utm).simplify(tolerance_m, preserve_topology=True)
    return simple.to_crs(4326).to_numpy()


def _display_transform(basemap: str) -> Callable[[np.ndarray], np.ndarray]:
    """Coordinates (N×2, lon/lat) -> what the basemap needs, rounded for the page."""
    if basemap == "amap":
        from geo.crs import wgs84_to_gcj02

        def shift(xy: np.ndarray) -> np.ndarray:
            lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
            return np.round(np.column_stack([lon, lat]), _COORD_DECIMALS)

        return shift
    return lambda xy: np.round(xy, _COORD_DECIMALS)


def _features(
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


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value))


# ---------------------------------------------------------------------- coverage of townships
def _coverage_columns(townships: gpd.GeoDataFrame, layer: str | None) -> list[str]:
    if layer is not None:
        layer_label(layer)
        column = f"covered_{layer}"
        if column not in townships.columns:
            raise InputError(
                f"townships lack the column {column!r} for layer {layer!r}; compute coverage "
                "for that layer first (columns covered_<layer>)."
            )
        return [column]
    columns = [f"covered_{k}" for k in LAYERS if f"covered_{k}" in townships.columns]
    if not columns:
        raise InputError(
            "townships have no covered_<layer> column; compute coverage first "
            f"(expected one of {', '.join('covered_' + k for k in LAYERS)})."
        )
    return columns


def _township_props(townships: gpd.GeoDataFrame, columns: list[str]) -> list[dict[str, Any]]:
    props = []
    for _, row in townships.iterrows():
        approximate = bool(row.get("approximate", False) is True)
        covered = [bool(row[c] is True or row[c] == 1) for c in columns]
        if len(columns) == 1:
            fill = COVERED_COLOUR if covered[0] else UNCOVERED_COLOUR
        else:
            fill = COUNT_COLOURS[min(sum(covered), len(COUNT_COLOURS) - 1)]
        lines = [
            f"<b>{_text(row.get('name'))}</b>（{_text(row.get('code'))}）"
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
        props.append({"s": style, "t": "<br>".join(lines)})
    return props


def _facility_popup(row: pd.Series, label: str) -> tuple[str, str]:
    name = _text(row.get("name")) or "（未命名）"
    kind = _text(row.get("kind"))
    kind_part = f" · {kind}" if kind and kind != html.escape(label) else ""
    parts = [f"<b>{name}</b>", f"{html.escape(label)}{kind_part}"]
    for key, caption in (
        ("address", "地址"),
        ("township_declared", "乡镇（街道）"),
        ("facility_id", "编号"),
        ("source_file", "来源"),
    ):
        if _text(row.get(key)):
            parts.append(f"{caption}：{_text(row.get(key))}")
    return "<br>".join(parts), name


def _point_props(
    gdf: gpd.GeoDataFrame, *, style: dict[str, Any], default_label: str
) -> list[dict[str, Any]]:
    props = []
    for _, row in gdf.iterrows():
        label = _text(row.get("name")) or _text(row.get("facility_id")) or default_label
        props.append({"s": style, "t": label})
    return props


# ---------------------------------------------------------------------- the interactive map
def _basemap(fmap: folium.Map, basemap: str) -> str:
    """Add the tile layer(s); return their attribution (plain text)."""
    if basemap == "none":
        return ""
    if basemap == "tianditu":
        key = os.environ.get(TIANDITU_KEY_ENV, "").strip()
        if not key:
            raise InputError(
                f"basemap='tianditu' needs a 天地图 key: set the environment variable "
                f"{TIANDITU_KEY_ENV} (a free browser key from the 天地图 developer console), "
                "or use basemap='osm' or 'none'."
            )
        for layer, name, overlay in (("vec", "天地图 矢量", False), ("cva", "天地图 注记", True)):
            folium.TileLayer(
                tiles=_TIANDITU_URL.format(layer=layer, key=key),
                attr=html.escape(_TIANDITU_ATTRIBUTION),
                name=name,
                subdomains="01234567",
                max_zoom=18,
                overlay=overlay,
                control=False,
            ).add_to(fmap)
        return _TIANDITU_ATTRIBUTION
    url, attribution, subdomains = _TILES[basemap]
    folium.TileLayer(
        tiles=url,
        attr=html.escape(attribution),
        name="底图",
        subdomains=subdomains,
        max_zoom=19 if basemap == "osm" else 18,
        control=False,
    ).add_to(fmap)
    return attribution


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
        ``n_<layer>`` columns (any CRS; shown in WGS84).
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
    towns = _to_wgs84(townships, argument="townships")
    columns = _coverage_columns(townships, layer)
    places = _to_wgs84(facilities, argument="facilities")
    if "layer" not in places.columns:
        raise InputError("facilities lack the 'layer' column (values: " + ", ".join(LAYERS) + ")")
    extras = {
        name: _to_wgs84(gdf, argument=name)
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
    transform = _display_transform(basemap)

    fmap = folium.Map(location=None, tiles=None, control_scale=True, zoom_start=5)
    fmap.default_js = [("leaflet", LEAFLET_JS_URL)]  # only Leaflet: no jQuery/Bootstrap/CDN
    fmap.default_css = [("leaflet_css", LEAFLET_CSS_URL)]
    tile_attribution = _basemap(fmap, basemap)

    # townships
    town_group = folium.FeatureGroup(
        name=f"乡镇（街道）覆盖：{LAYERS[layer]}" if layer else "乡镇（街道）覆盖：设施类型数"
    ).add_to(fmap)
    _GeoJsonOverlay(
        _features(
            _simplified(towns.geometry, simplify_tolerance_m),
            _township_props(towns, columns),
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
        _GeoJsonOverlay(
            _features(
                _simplified(extras[key].geometry, simplify_tolerance_m),
                _point_props(extras[key], style=style, default_label=name),
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
        colour = LAYER_COLOURS.get(key, _OTHER_LAYER_COLOUR)
        style = {"radius": 6, "color": "#ffffff", "weight": 1, "fillColor": colour,
                 "fillOpacity": 0.95}  # fmt: skip
        props = []
        for _, row in rows.iterrows():
            popup, name = _facility_popup(row, label)
            props.append({"s": style, "t": name, "p": popup})
        group = folium.FeatureGroup(
            name=f"{html.escape(label)}（{len(rows)} 处）", show=layer is None or key == layer
        ).add_to(fmap)
        _GeoJsonOverlay(_features(rows.geometry.to_numpy(), props, transform)).add_to(group)

    if "uncovered_points" in extras:
        pts = extras["uncovered_points"]
        style = {"radius": 3, "color": UNCOVERED_POINT_COLOUR, "weight": 1,
                 "fillColor": UNCOVERED_POINT_COLOUR, "fillOpacity": 0.7}  # fmt: skip
        group = folium.FeatureGroup(name=f"服务范围外居住点（{len(pts)} 个）").add_to(fmap)
        _GeoJsonOverlay(
            _features(
                pts.geometry.to_numpy(),
                _point_props(pts, style=style, default_label="服务范围外居住点"),
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
            name = _text(row.get("name")) or _text(row.get("site_id")) or "候选点"
            props.append({"s": style, "t": ("推荐选址：" if chosen else "候选点：") + name})
        group = folium.FeatureGroup(name="候选与推荐选址").add_to(fmap)
        _GeoJsonOverlay(_features(cands.geometry.to_numpy(), props, transform)).add_to(group)

    # title, legend, info
    _HtmlControl(
        # the stylesheet travels inside a control, so it also applies where only the map's
        # script is used (streamlit-folium)
        f"{_CSS}<h2>{html.escape(title)}</h2>制图日期：{html.escape(when_text)}",
        position="topright",
        css_class="sc-title",
    ).add_to(fmap)
    _HtmlControl(
        _legend_html(
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
    _HtmlControl("<br>".join(info), position="bottomleft", css_class="sc-info").add_to(fmap)

    folium.LayerControl(collapsed=True).add_to(fmap)
    bounds = _bounds([towns, places, *extras.values()], transform)
    if bounds is not None:
        fmap.fit_bounds(bounds)
    else:
        fmap.location = [35.0, 105.0]
    return fmap


def _legend_html(
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
            colour = LAYER_COLOURS.get(key, _OTHER_LAYER_COLOUR)
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


# ---------------------------------------------------------------------- the static map
def cjk_font() -> Any:
    """A matplotlib FontProperties for Chinese text, registering the project's font file.

    Looks first for Noto Sans SC from the ``pylopdf-fonts-zh-cn`` package (a dependency), then
    for a system CJK font that matplotlib knows (:data:`CJK_FAMILIES`).

    Raises
    ------
    DataMissingError
        When no Chinese font is available, saying what to install.
    """
    from matplotlib import font_manager

    try:
        import pylopdf_fonts_zh_cn  # the project's font package: Noto Sans SC (OFL)

        path = Path(pylopdf_fonts_zh_cn.sans_path())
        if path.is_file():
            known = {Path(f.fname) for f in font_manager.fontManager.ttflist}
            if path not in known:
                font_manager.fontManager.addfont(str(path))
            return font_manager.FontProperties(fname=str(path))
    except ImportError:
        pass
    installed = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return font_manager.FontProperties(fname=installed[family])
    raise DataMissingError(f"no Chinese font found for the static map; {_FONT_FIX}.")


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
    towns = _to_wgs84(townships, argument="townships")
    columns = _coverage_columns(townships, layer)
    places = _to_wgs84(facilities, argument="facilities")
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
