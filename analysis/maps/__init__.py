"""Maps of coverage for planners: an interactive folium map and a static PNG/PDF.

Both are built from the analysis outputs and return objects (or write to a buffer the caller
gives); :func:`geo.export.save_html` writes the interactive map as one self-contained file.
Geometry is simplified for display only, on copies; the analysis geometry is never touched.

Every text that comes from data (names, addresses, titles, sources) is HTML-escaped before
it reaches the page, so a facility named ``<script>…`` shows as text.

Rooms
-----
* ``interactive (with basemaps, overlays, _leaflet)`` – the folium map.
* ``shares`` – the folium map of areas shaded by a reach share.
* ``static (with fonts)`` – the PNG/PDF map.
* ``style`` – the palette both use.
* ``_inputs`` – the input checks both use.
"""

from __future__ import annotations

from analysis.maps.basemaps import BASEMAPS, TIANDITU_KEY_ENV
from analysis.maps.fonts import CJK_FAMILIES, cjk_font
from analysis.maps.interactive import coverage_map
from analysis.maps.shares import share_map
from analysis.maps.static import static_map_pdf, static_map_png
from analysis.maps.style import (
    CANDIDATE_COLOUR,
    COUNT_COLOURS,
    COVERED_COLOUR,
    LAYER_COLOURS,
    NEW_AREA_COLOUR,
    SERVICE_AREA_COLOUR,
    UNCOVERED_COLOUR,
    UNCOVERED_POINT_COLOUR,
)

__all__ = [
    "BASEMAPS",
    "CANDIDATE_COLOUR",
    "CJK_FAMILIES",
    "COUNT_COLOURS",
    "COVERED_COLOUR",
    "LAYER_COLOURS",
    "NEW_AREA_COLOUR",
    "SERVICE_AREA_COLOUR",
    "TIANDITU_KEY_ENV",
    "UNCOVERED_COLOUR",
    "UNCOVERED_POINT_COLOUR",
    "cjk_font",
    "coverage_map",
    "share_map",
    "static_map_pdf",
    "static_map_png",
]
