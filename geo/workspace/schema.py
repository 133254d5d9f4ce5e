"""The workspace's tables (DDL, schema version) and the records it hands back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import pandas as pd

SCHEMA_VERSION: Final = 1


#: the validation report columns
REPORT_COLUMNS: Final = ("file", "row", "column", "value", "reason", "fix", "action")

#: rows encoded and inserted per batch
_BATCH_ROWS: Final = 5000

_DDL: Final = (
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE SEQUENCE IF NOT EXISTS import_id_seq START 1",
    "CREATE SEQUENCE IF NOT EXISTS run_id_seq START 1",
    """CREATE TABLE IF NOT EXISTS imports (
        import_id BIGINT PRIMARY KEY, layer VARCHAR NOT NULL, source_file VARCHAR,
        sha256 VARCHAR, format VARCHAR, encoding VARCHAR, crs VARCHAR,
        rows_read BIGINT, rows_kept BIGINT, rows_rejected BIGINT,
        imported_at TIMESTAMP, params JSON)""",
    """CREATE TABLE IF NOT EXISTS facilities (
        import_id BIGINT NOT NULL, ord BIGINT NOT NULL, facility_id VARCHAR, name VARCHAR,
        layer VARCHAR, kind VARCHAR, township_declared VARCHAR, township_code VARCHAR,
        address VARCHAR, source_file VARCHAR, source_row BIGINT, extra JSON, geom BLOB)""",
    """CREATE TABLE IF NOT EXISTS validation (
        import_id BIGINT NOT NULL, ord BIGINT NOT NULL, file VARCHAR, "row" BIGINT,
        "column" VARCHAR, value VARCHAR, reason VARCHAR, fix VARCHAR, action VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS layers (
        name VARCHAR PRIMARY KEY, kind VARCHAR, params JSON, crs VARCHAR, columns JSON,
        n_features BIGINT, saved_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS layer_features (
        layer VARCHAR NOT NULL, ord BIGINT NOT NULL, attrs JSON, geom BLOB)""",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id BIGINT PRIMARY KEY, kind VARCHAR NOT NULL, params JSON, created_at TIMESTAMP,
        label VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS run_tables (
        run_id BIGINT NOT NULL, name VARCHAR NOT NULL, format VARCHAR NOT NULL, data BLOB,
        PRIMARY KEY (run_id, name))""",
)


@dataclass(frozen=True)
class ImportOutcome:
    """What :meth:`Workspace.save_import` did.

    Attributes
    ----------
    import_id
        The import's id (the existing one when ``duplicate``).
    duplicate
        True when the same file content (sha256) was already imported for this layer; nothing
        was written.
    """

    import_id: int
    duplicate: bool


@dataclass(frozen=True)
class Run:
    """A saved analysis run.

    Attributes
    ----------
    run_id, kind, params, created_at, label
        As saved; ``params`` comes back from JSON (tuples become lists), ``created_at`` is UTC.
    tables
        Result tables by name: DataFrames, or GeoDataFrames when saved as such.
    """

    run_id: int
    kind: str
    params: dict[str, Any]
    tables: Mapping[str, pd.DataFrame] = field(repr=False)
    created_at: datetime
    label: str = ""
