"""The maps' shared palette: facility-layer, coverage and overlay colours."""

from __future__ import annotations

from typing import Final

#: facility layer -> marker colour (ColorBrewer Dark2: distinct, colour-blind tolerant)
LAYER_COLOURS: Final[dict[str, str]] = {
    "elderly_care": "#d95f02",
    "social_work": "#1b9e77",
    "cremains": "#7570b3",
    "minor_protection": "#e7298a",
    "day_care": "#e6ab02",
    "mutual_aid": "#66a61e",
    "civil_station": "#1f78b4",
}
OTHER_LAYER_COLOUR: Final = "#666666"
COVERED_COLOUR: Final = "#a1d99b"
UNCOVERED_COLOUR: Final = "#fb6a4a"
#: number of facility layers present in a township (0…4) -> fill colour
COUNT_COLOURS: Final = ("#fb6a4a", "#fee391", "#c7e9c0", "#74c476", "#238b45")
SERVICE_AREA_COLOUR: Final = "#3182bd"
NEW_AREA_COLOUR: Final = "#e6550d"
UNCOVERED_POINT_COLOUR: Final = "#cb181d"
CANDIDATE_COLOUR: Final = "#ffd92f"
