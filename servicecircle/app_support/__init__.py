"""What the Streamlit app needs that is neither a widget nor an analysis.

The app (``app.py``) wires widgets to these and to :mod:`servicecircle.workflows`; nothing here
draws a widget. One room per concern: :mod:`.choices` (labels), :mod:`.messages` (what the user
is told), :mod:`.uploads` (upload checks), :mod:`.loaders` (the cached loaders),
:mod:`.downloads` (outputs as files), :mod:`.tables` (display tables), :mod:`.maps` (the
interactive maps), :mod:`.siting` (the siting view's session state) and :mod:`.workspace` (the
per-session workspace). The settings the app reads are re-exported here, so ``app.py`` imports
only :mod:`servicecircle`.

Nothing happens at import: Streamlit's cache decorators only wrap the functions.
"""

from __future__ import annotations

from geo.layers import LAYERS
from geo.settings import MINUTES, TIANDITU_KEY_ENV, WALK_SPEED_M_S, WALK_SPEED_SCENARIOS_M_S
from servicecircle.app_support.choices import (
    BASEMAP_CHOICES,
    CRS_CHOICES,
    PLAN_CHOICES,
    SCENARIO_KINDS,
    STATUS_LABELS,
    status_label,
)
from servicecircle.app_support.downloads import (
    DOWNLOADS,
    Download,
    cached_downloads,
    output_sources,
)
from servicecircle.app_support.loaders import (
    cached_candidates,
    cached_coverage,
    cached_demand,
    cached_import,
    cached_reach,
    cached_region,
    cached_siting_problem,
    cached_streets,
)
from servicecircle.app_support.maps import (
    candidates_for_map,
    coverage_folium_map,
    reach_folium_map,
    siting_folium_map,
)
from servicecircle.app_support.messages import (
    USER_ERRORS,
    basemap_problem,
    error_message,
    reach_problem,
)
from servicecircle.app_support.siting import (
    CLICKS_STATE_KEY,
    LAST_CLICK_STATE_KEY,
    SCENARIOS_STATE_KEY,
    add_scenario,
    clicks_frame,
    record_click,
)
from servicecircle.app_support.tables import (
    chosen_table,
    dashboard_table,
    layer_headlines,
    reach_scenario_table,
    reach_statements,
    reach_township_table,
    report_counts,
    report_table,
    scenarios_table,
    sources_table,
)
from servicecircle.app_support.uploads import (
    MAX_UPLOAD_MB,
    UPLOAD_TYPES,
    UploadedRegister,
    check_upload,
    register_specs,
    uploaded_register,
)
from servicecircle.app_support.workspace import (
    WORKSPACE_STATE_KEY,
    save_scenarios,
    save_to_workspace,
    session_workspace,
    workspace_runs,
)

__all__ = [
    "BASEMAP_CHOICES",
    "CLICKS_STATE_KEY",
    "CRS_CHOICES",
    "DOWNLOADS",
    "Download",
    "LAST_CLICK_STATE_KEY",
    "LAYERS",
    "MAX_UPLOAD_MB",
    "MINUTES",
    "PLAN_CHOICES",
    "SCENARIOS_STATE_KEY",
    "SCENARIO_KINDS",
    "STATUS_LABELS",
    "TIANDITU_KEY_ENV",
    "UPLOAD_TYPES",
    "USER_ERRORS",
    "UploadedRegister",
    "WALK_SPEED_M_S",
    "WALK_SPEED_SCENARIOS_M_S",
    "WORKSPACE_STATE_KEY",
    "add_scenario",
    "basemap_problem",
    "cached_candidates",
    "cached_coverage",
    "cached_demand",
    "cached_downloads",
    "cached_import",
    "cached_reach",
    "cached_region",
    "cached_siting_problem",
    "cached_streets",
    "candidates_for_map",
    "check_upload",
    "chosen_table",
    "clicks_frame",
    "coverage_folium_map",
    "dashboard_table",
    "error_message",
    "layer_headlines",
    "output_sources",
    "reach_folium_map",
    "reach_problem",
    "reach_scenario_table",
    "reach_statements",
    "reach_township_table",
    "record_click",
    "register_specs",
    "report_counts",
    "report_table",
    "save_scenarios",
    "save_to_workspace",
    "scenarios_table",
    "session_workspace",
    "siting_folium_map",
    "sources_table",
    "status_label",
    "uploaded_register",
    "workspace_runs",
]
