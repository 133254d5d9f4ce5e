"""Shared fixtures. Tests are offline; those needing the reference bundle use ``bundle``.

Without the bundle those tests skip, unless SERVICECIRCLE_REQUIRE_BUNDLE=1 (set by .ci/run),
where a missing bundle is a failure, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from servicecircle.settings import DATA_DIR_ENV


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
