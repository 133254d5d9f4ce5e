"""The app maps' basemap when there is no network: light vector lines from the data at hand.

The local basemap draws the county boundaries (and the streets, where a street network is
loaded) in a pane under every overlay, so it works offline and behind an intranet. With a tile
basemap chosen, the local one is drawn too and a tile error handler removes the failing tiles
and says so, in Chinese, on the map. Big point layers (thousands of facilities) are drawn on
one canvas from compact arrays instead of one SVG element and popup each.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from geo.layers import LAYERS

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

#: the basemap that needs no network (the default)
LOCAL_BASEMAP: Final = "local"

#: a facility layer with more points than this is drawn as a fast canvas layer
BIG_LAYER_POINTS: Final = 2000

#: what the page says when tiles cannot load
TILE_ERROR_NOTICE: Final = (
    "底图瓦片无法加载（网络不通或处于内网），已改用本地矢量底图（区县边界、道路）。"
)


def tile_basemap(basemap: str) -> str:
    """The tile basemap :func:`analysis.maps.coverage_map` draws for an app choice."""
    return "none" if basemap in (LOCAL_BASEMAP, "none") else basemap


def split_big_layers(
    facilities: gpd.GeoDataFrame, *, limit: int = BIG_LAYER_POINTS
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Facilities drawn one by one (small layers) and those drawn as a fast canvas layer."""
    counts = facilities["layer"].astype(object).value_counts()
    big = set(counts[counts > limit].index)
    mask = facilities["layer"].astype(object).isin(big).to_numpy()
    return facilities[~mask], facilities[mask]


def _js(value: Any) -> str:
    from analysis.maps._leaflet import _js_literal

    return _js_literal(value)


class _LocalBasemap(MacroElement):
    """Lines (WGS84, already shifted for the basemap) in a pane under every overlay."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            if (!map.getPane('scBase')) {
                map.createPane('scBase');
                map.getPane('scBase').style.zIndex = 350;
                map.getPane('scBase').style.pointerEvents = 'none';
            }
            var renderer = L.canvas({pane: 'scBase'});
            var groups = {{ this.groups_js }};
            groups.forEach(function (g) {
                g.lines.forEach(function (line) {
                    L.polyline(line, {renderer: renderer, pane: 'scBase', color: g.color,
                        weight: g.weight, opacity: g.opacity, interactive: false}).addTo(map);
                });
            });
            var notice = {{ this.notice_js }};
            var warned = false;
            map.eachLayer(function (layer) {
                if (!(layer instanceof L.TileLayer)) { return; }
                layer.on('tileerror', function () {
                    if (warned) { return; }
                    warned = true;
                    map.eachLayer(function (t) { if (t instanceof L.TileLayer) { map.removeLayer(t); } });
                    var box = L.control({position: 'topleft'});
                    box.onAdd = function () {
                        var div = L.DomUtil.create('div', 'sc-box sc-offline');
                        div.textContent = notice;
                        div.style.background = '#fff8e1'; div.style.padding = '4px 8px';
                        div.style.border = '1px solid #e0a800'; div.style.maxWidth = '260px';
                        div.style.fontSize = '12px';
                        return div;
                    };
                    box.addTo(map);
                });
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, groups: list[dict[str, Any]]) -> None:
        super().__init__()
        self._name = "LocalBasemap"
        self.groups_js = _js(groups)
        self.notice_js = _js(TILE_ERROR_NOTICE)


class _FastPoints(MacroElement):
    """Many points of one layer on a canvas, with their names as tooltips."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var renderer = L.canvas({padding: 0.5});
            var group = L.featureGroup();
            var pts = {{ this.points_js }};
            var style = {{ this.style_js }};
            style.renderer = renderer;
            for (var i = 0; i < pts.length; i++) {
                L.circleMarker([pts[i][1], pts[i][0]], style).bindTooltip(pts[i][2]).addTo(group);
            }
            group.addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, points: list[list[Any]], colour: str) -> None:
        super().__init__()
        self._name = "FastPoints"
        self.points_js = _js(points)
        self.style_js = _js(
            {"radius": 3, "color": colour, "weight": 0, "fillColor": colour, "fillOpacity": 0.8}
        )


def _lines(geoms: Any, transform: Any, *, tolerance_deg: float) -> list[list[list[float]]]:
    """Every line of boundary or street geometries as [[lat, lon], …] lists for Leaflet."""
    import shapely

    out = []
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        simple = shapely.simplify(geom, tolerance_deg) if tolerance_deg else geom
        boundary = simple.boundary if simple.geom_type in ("Polygon", "MultiPolygon") else simple
        for part in shapely.get_parts(boundary):
            xy = transform(np.asarray(part.coords)[:, :2])
            if len(xy) >= 2:
                out.append([[float(y), float(x)] for x, y in xy])
    return out


def _tolerance_deg(polygons: Any) -> float:
    """Simplification for the outline: ~20 m for a district, coarser as the region grows
    (a province or 全国 stays a light page)."""
    if polygons is None or not len(polygons):
        return 0.0002
    minx, _, maxx, _ = polygons.total_bounds
    return max(0.0002, float(maxx - minx) / 3000.0)


def finish_map(
    fmap: folium.Map,
    run: Any,
    *,
    basemap: str,
    many: gpd.GeoDataFrame | None = None,
    streets: gpd.GeoSeries | None = None,
    for_page: bool = True,
) -> folium.Map:
    """The app's touches to a map: vendored Leaflet, the local basemap (on a canvas), the
    tile fallback and the big point layers. In place; returns the map.

    ``for_page`` False keeps Leaflet's CDN links for :func:`geo.export.save_html`, which
    inlines the vendored files itself (a downloaded map).
    """
    from analysis.maps.basemaps import display_transform
    from analysis.maps.style import LAYER_COLOURS, OTHER_LAYER_COLOUR

    if for_page:
        _use_vendored_leaflet(fmap)
    transform = display_transform(tile_basemap(basemap))
    groups = []
    if basemap != "none":
        if streets is not None and len(streets):
            groups.append(
                {
                    "color": "#9e9e9e",
                    "weight": 1,
                    "opacity": 0.6,
                    "lines": _lines(streets, transform, tolerance_deg=0),
                }
            )
        groups.append(
            {
                "color": "#555555",
                "weight": 2,
                "opacity": 0.8,
                "lines": _lines(
                    run.region.county_polygons.geometry,
                    transform,
                    tolerance_deg=_tolerance_deg(run.region.county_polygons),
                ),
            }
        )
    _LocalBasemap(groups).add_to(fmap)
    if many is not None and len(many):
        for layer, rows in many.groupby(many["layer"].astype(object), sort=False):
            xy = transform(np.column_stack([rows.geometry.x, rows.geometry.y]))
            names = rows["name"].astype(str).str.slice(0, 40).tolist()
            label = LAYERS.get(str(layer), str(layer))
            pts = [[float(x), float(y), f"{label}：{n}"] for (x, y), n in zip(xy, names)]
            _FastPoints(pts, LAYER_COLOURS.get(str(layer), OTHER_LAYER_COLOUR)).add_to(fmap)
    return fmap


def street_lines(streets: Any, area: Any) -> gpd.GeoSeries:
    """The street edges of a walking graph inside ``area`` (a WGS84 polygon), for the basemap."""
    import geopandas as gpd

    from geo.network.components import edges_from_graph

    edges = edges_from_graph(streets.graph)
    if edges.crs is None:
        return gpd.GeoSeries([], crs="EPSG:4326")
    wgs = edges.geometry.to_crs("EPSG:4326")
    minx, miny, maxx, maxy = area.bounds
    inside = wgs.cx[minx:maxx, miny:maxy]
    return gpd.GeoSeries(pd.Series(list(inside.values)), crs="EPSG:4326")


@functools.lru_cache(maxsize=4)
def _use_vendored_leaflet(fmap: folium.Map) -> None:
    """Point a map's Leaflet script and stylesheet links at the vendored files, in place.

    ``streamlit_folium`` loads a map's ``default_js``/``default_css`` links in the browser; as
    ``data:`` URLs of ``geo/_vendor`` they load without a CDN (offline, or where jsdelivr is
    blocked). Links that are not vendored are kept. Only for maps built here.
    """
    from geo.export import vendored_data_url

    for attr in ("default_js", "default_css"):
        links = getattr(fmap, attr, None) or []
        setattr(fmap, attr, [(name, vendored_data_url(url) or url) for name, url in links])
