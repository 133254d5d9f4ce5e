"""Basemap tiles of the interactive map (OSM, 天地图, 高德) and the coordinate shift each needs."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Final

import folium
import numpy as np

from geo._errors import InputError
from geo.settings import ATTRIBUTION_OSM, TIANDITU_KEY_ENV, tianditu_key

BASEMAPS: Final = ("osm", "tianditu", "amap", "none")


_COORD_DECIMALS: Final = 6  # about 0.1 m: plenty for display, keeps the page small


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


def display_transform(basemap: str) -> Callable[[np.ndarray], np.ndarray]:
    """Coordinates (N×2, lon/lat) -> what the basemap needs, rounded for the page."""
    if basemap == "amap":
        from geo.crs import wgs84_to_gcj02

        def shift(xy: np.ndarray) -> np.ndarray:
            lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
            return np.round(np.column_stack([lon, lat]), _COORD_DECIMALS)

        return shift
    return lambda xy: np.round(xy, _COORD_DECIMALS)


def add_basemap(fmap: folium.Map, basemap: str) -> str:
    """Add the tile layer(s); return their attribution (plain text)."""
    if basemap == "none":
        return ""
    if basemap == "tianditu":
        key = tianditu_key()
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
