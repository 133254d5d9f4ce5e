"""The DuckDB workspace: imported registers, their validation reports, cached layers and runs.

One file (``geo.settings.workspace_path()`` by default, or ``:memory:``) keeps what a
planner imported and computed, so the app can reopen it. Geometry is stored as WKB in a BLOB
column, so the DuckDB spatial extension (a download) is never needed. Every write is one
transaction: when it fails, it is rolled back and the workspace is left exactly as it was.

Tables
------
``imports``
    one row per imported register file (``import_id``, ``layer``, ``source_file``, ``sha256``, …).
``facilities``
    the kept facility rows of each import (the facility columns, ``extra`` JSON, ``geom`` WKB).
``validation``
    the validation report rows of each import.
``layers`` / ``layer_features``
    cached GeoDataFrames by name (boundaries, townships, street edges): attributes as JSON rows.
``runs`` / ``run_tables``
    analysis runs (coverage, reach, siting) with their parameters and result tables as Parquet.
"""

from geo.workspace.imports import _Imports
from geo.workspace.schema import REPORT_COLUMNS, SCHEMA_VERSION, ImportOutcome, Run
from geo.workspace.store import _Store


class Workspace(_Imports, _Store):
    """A DuckDB workspace file.

    Open it with :meth:`open` (also a context manager)::

        with Workspace.open() as ws:
            outcome = ws.save_import(facilities, report, source, layer="elderly_care")
            gdf = ws.facilities(layer="elderly_care")

    Only one process can hold a workspace file open for writing at a time (DuckDB's file lock);
    within one process several :class:`Workspace` objects may share a file.
    """


__all__ = ["REPORT_COLUMNS", "SCHEMA_VERSION", "ImportOutcome", "Run", "Workspace"]
