"""The siting view's session state: clicked new sites and the scenarios kept for comparison."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import geopandas as gpd


#: session-state keys: clicked new sites (WGS84 lon, lat) and the scenarios of this session
CLICKS_STATE_KEY: Final = "siting_clicks"


LAST_CLICK_STATE_KEY: Final = "siting_last_click"


SCENARIOS_STATE_KEY: Final = "siting_scenarios"


def record_click(
    state: MutableMapping[str, Any], clicked: Mapping[str, Any] | None, *, basemap: str
) -> bool:
    """Add a map click (``st_folium``'s ``last_clicked``) to the session's new sites.

    A click is added once (a rerun returns the same ``last_clicked`` again). On the 高德
    basemap the map shows GCJ-02, so the click is converted back to WGS84.

    Returns
    -------
    bool
        True when a new site was added.
    """
    if not clicked or clicked.get("lat") is None or clicked.get("lng") is None:
        return False
    lon, lat = float(clicked["lng"]), float(clicked["lat"])
    key = (round(lon, 7), round(lat, 7))
    if state.get(LAST_CLICK_STATE_KEY) == key:
        return False
    state[LAST_CLICK_STATE_KEY] = key
    if basemap == "amap":
        from geo.crs import gcj02_to_wgs84

        x, y = gcj02_to_wgs84([lon], [lat])
        lon, lat = float(x[0]), float(y[0])
    state[CLICKS_STATE_KEY] = [*state.get(CLICKS_STATE_KEY, []), (lon, lat)]
    return True


def clicks_frame(clicks: Sequence[tuple[float, float]]) -> gpd.GeoDataFrame:
    """The clicked new sites as points named 点选1, 点选2, … (EPSG:4326)."""
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {"name": [f"点选{i + 1}" for i in range(len(clicks))]},
        geometry=gpd.points_from_xy([c[0] for c in clicks], [c[1] for c in clicks]),
        crs="EPSG:4326",
    )


def add_scenario(state: MutableMapping[str, Any], scenario: Any) -> list[Any]:
    """Keep a scenario for comparison (a new list: earlier reruns keep theirs)."""
    scenarios = [*state.get(SCENARIOS_STATE_KEY, []), scenario]
    state[SCENARIOS_STATE_KEY] = scenarios
    return scenarios
