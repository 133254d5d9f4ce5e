"""What the Streamlit app needs besides its own short wiring: labels, checks, loaders, exports
and the app's views.

One room per concern: :mod:`.choices` (labels), :mod:`.messages` (what the user is told),
:mod:`.uploads` (upload checks),
:mod:`.uploader_text` (Streamlit's uploader texts in Chinese), :mod:`.loaders` (the cached
loaders), :mod:`.levels` (全国/province/city/county headline figures and drill-down),
:mod:`.downloads` and :mod:`.exports` (outputs as files), :mod:`.tables` (display tables),
:mod:`.maps` and :mod:`.basemap` (the interactive maps and their offline basemap),
:mod:`.siting` (the siting view's session state), :mod:`.workspace` (the per-session
workspace). The ``view_*`` modules draw the app's pages (coverage and map, reach, siting,
files); everything else draws no widget. The settings the app reads are re-exported here, so
``app.py`` imports only :mod:`servicecircle`.

Nothing happens at import: Streamlit's cache decorators only wrap the functions.
"""

from __future__ import annotations

from geo.layers import LAYERS
from geo.settings import MINUTES, TIANDITU_KEY_ENV, WALK_SPEED_M_S, WALK_SPEED_SCENARIOS_M_S
from servicecircle.app_support import view_coverage, view_files, view_reach, view_siting
from servicecircle.app_support.choices import (
    BASEMAP_CHOICES,
    CRS_CHOICES,
    PLAN_CHOICES,
    RUN_KINDS,
    SCENARIO_KINDS,
    SOLVER_LABELS,
    STATUS_LABELS,
    region_choices,
    status_label,
)
from servicecircle.app_support.downloads import (
    DOWNLOADS,
    Download,
    cached_downloads,
    output_sources,
)
from servicecircle.app_support.levels import (
    NATIONAL_CODE,
    headlines,
    level_comparison,
)
from servicecircle.app_support.loaders import (
    cached_candidates,
    cached_coverage,
    cached_demand,
    cached_demo_counties,
    cached_import,
    cached_reach,
    cached_region,
    cached_siting_problem,
    cached_streets,
    readable_registers,
)
from servicecircle.app_support.messages import (
    USER_ERRORS,
    basemap_problem,
    demo_notice,
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
    report_counts,
    report_table,
    scenarios_table,
    sources_table,
)
from servicecircle.app_support.uploader_text import chinese_uploader_texts
from servicecircle.app_support.uploads import (
    MAX_UPLOAD_MB,
    UPLOAD_TYPES,
    UploadedRegister,
    check_upload,
    max_upload_mb,
    register_specs,
    uploaded_register,
)
from servicecircle.app_support.view_coverage import OTHER_REGION, REGION_CODE_KEY, REGION_KEY
from servicecircle.app_support.workspace import (
    WORKSPACE_STATE_KEY,
    save_scenarios,
    save_to_workspace,
    session_workspace,
    workspace_runs,
)
from servicecircle.workflows.region import region_code_from_text

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
    "NATIONAL_CODE",
    "OTHER_REGION",
    "PLAN_CHOICES",
    "REGION_CODE_KEY",
    "REGION_KEY",
    "RUN_KINDS",
    "SCENARIOS_STATE_KEY",
    "SCENARIO_KINDS",
    "SOLVER_LABELS",
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
    "cached_demo_counties",
    "cached_downloads",
    "cached_import",
    "cached_reach",
    "cached_region",
    "cached_siting_problem",
    "cached_streets",
    "check_upload",
    "chinese_uploader_texts",
    "chosen_table",
    "clicks_frame",
    "dashboard_table",
    "demo_notice",
    "error_message",
    "headlines",
    "level_comparison",
    "max_upload_mb",
    "output_sources",
    "reach_problem",
    "readable_registers",
    "record_click",
    "region_choices",
    "region_code_from_text",
    "register_specs",
    "report_counts",
    "report_table",
    "save_scenarios",
    "save_to_workspace",
    "scenarios_table",
    "session_workspace",
    "sources_table",
    "status_label",
    "uploaded_register",
    "view_coverage",
    "view_files",
    "view_reach",
    "view_siting",
    "workspace_runs",
]
