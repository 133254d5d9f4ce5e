"""Shared fixtures. Tests are offline; those needing the reference bundle use ``bundle``.

Without the bundle those tests skip, unless SERVICECIRCLE_REQUIRE_BUNDLE=1 (set by .ci/run),
where a missing bundle is a failure, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geo.settings import DATA_DIR_ENV


@pytest.fixture(scope="session")
def bundle() -> Path:
    value = os.environ.get(DATA_DIR_ENV, "")
    path = Path(value) if value else None
    if path is None or not (path / "README.md").is_file():
        msg = f"reference bundle absent: set {DATA_DIR_ENV} (e.g. ../shared/data)"
        if os.environ.get("SERVICECIRCLE_REQUIRE_BUNDLE") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def wuhan_demo(bundle: Path) -> dict:
    """The demo's coverage run, street graph and 15-minute reach on 江岸区 (built once)."""
    from servicecircle import workflows
    from servicecircle.demo import demo_demand, demo_register_specs, demo_seat_points

    region = workflows.load_region("420102", seat_points=demo_seat_points())
    imported = workflows.import_registers(demo_register_specs(), region)
    run = workflows.coverage_run(region, imported)
    streets = workflows.load_streets()
    demand, source, label = demo_demand(region)
    elderly = run.facilities[run.facilities["layer"] == "elderly_care"]
    reach = workflows.reach_run(
        region, elderly, demand, streets, demand_source=source, weight_label=label
    )
    return {
        "region": region,
        "imported": imported,
        "run": run,
        "streets": streets,
        "demand": demand,
        "reach": reach,
    }
