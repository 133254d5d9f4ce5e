"""Vendored front-end assets (Leaflet) for self-contained HTML maps; see README.md here.

Maps reference Leaflet by its pinned CDN address (so they also work in notebooks and
Streamlit); :func:`geo.export.save_html` swaps those references for these files, inlined.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

LEAFLET_VERSION: Final = "1.9.4"
LEAFLET_JS_URL: Final = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.js"
LEAFLET_CSS_URL: Final = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.css"


def leaflet_dir() -> Path:
    """Folder holding the vendored Leaflet dist files."""
    return Path(__file__).resolve().parent / "leaflet"


#: external address -> vendored file that replaces it when a map is saved
VENDORED: Final[dict[str, str]] = {
    LEAFLET_JS_URL: "leaflet.js",
    LEAFLET_CSS_URL: "leaflet.css",
}
