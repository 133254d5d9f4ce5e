"""Settings in one typed place, read at call time (never at import).

Defaults and their sources:

* ``walk_speed_m_s = 1.0`` — the planning convention of 60 m/min. GB 50180-2018
  (城市居住区规划设计标准) puts the 15-minute life circle at 800–1000 m of walking; older
  pedestrians are measured at about 0.9–0.97 m/s, so speed scenarios 1.0/0.9/0.8/0.6 m/s are offered.
* ``minutes = 15`` — the 15分钟养老服务圈 of the national plan (民发〔2021〕51号).
* ``snap_max_m = 300`` — a point farther than this from any street is reported, not counted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "SERVICE_DATA_DIR"
WORKSPACE_ENV = "SERVICECIRCLE_WORKSPACE"
TIANDITU_KEY_ENV = "TIANDITU_KEY"

WALK_SPEED_M_S = 1.0
WALK_SPEED_SCENARIOS_M_S = (1.0, 0.9, 0.8, 0.6)
MINUTES = 15.0
SNAP_MAX_M = 300.0
ATTRIBUTION_OSM = "© OpenStreetMap contributors (ODbL)"


@dataclass(frozen=True)
class Settings:
    walk_speed_m_s: float = WALK_SPEED_M_S
    minutes: float = MINUTES
    snap_max_m: float = SNAP_MAX_M


def data_dir() -> Path | None:
    """The reference bundle folder from ``SERVICE_DATA_DIR``, or None when unset."""
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(value) if value else None


def workspace_path() -> Path:
    """The DuckDB workspace file: ``SERVICECIRCLE_WORKSPACE`` or ./servicecircle.duckdb."""
    return Path(os.environ.get(WORKSPACE_ENV, "servicecircle.duckdb"))


def project_root() -> Path:
    """The checkout's root (where data/ with the committed inputs lies)."""
    return Path(__file__).resolve().parent.parent


def tianditu_key() -> str:
    """The 天地图 browser key from ``TIANDITU_KEY`` ('' when unset)."""
    return os.environ.get(TIANDITU_KEY_ENV, "").strip()
