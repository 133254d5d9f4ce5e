"""Leaflet elements of the interactive map: a styled GeoJSON overlay, a fixed HTML box (internal)."""

from __future__ import annotations

import html
import json
from typing import Any, Final

from branca.element import MacroElement
from folium.template import Template

CSS: Final = """<style>
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


def _js_literal(value: Any) -> str:
    """JSON for embedding in a <script>: Chinese kept readable, "</" can't close the script."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class GeoJsonOverlay(MacroElement):
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


class HtmlControl(MacroElement):
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
