"""The DuckDB workspace: imported registers, their validation reports, cached layers and runs.

One file (``servicecircle.settings.workspace_path()`` by default, or ``:memory:``) keeps what a
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

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, Self

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from geo.registers import FACILITY_COLUMNS  # typed columns; any other goes to ``extra`` JSON
from servicecircle._errors import InputError, WorkspaceError
from servicecircle.settings import workspace_path

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


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} value {value!r} is not JSON serialisable")


def _dumps(value: Any, *, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=_json_default, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise WorkspaceError(
            f"{what} cannot be stored as JSON: {exc}. Use plain numbers, strings, lists and "
            "dicts (no NaN/inf) in it; nothing was written."
        ) from exc


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _text(value: Any, *, where: str) -> str | None:
    """A value as storable UTF-8 text (None for missing); names ``where`` when it cannot be."""
    if _is_missing(value):
        return None
    text = value if isinstance(value, str) else str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[max(exc.start - 8, 0) : exc.end + 8]
        raise WorkspaceError(
            f"{where}: the text {bad!r} cannot be encoded as UTF-8 ({exc.reason}); the file was "
            "probably decoded with the wrong encoding. Re-import it with the right encoding "
            "(e.g. GB18030 for files saved by Chinese Excel); nothing was written."
        ) from exc
    return text


def _integer(value: Any, *, where: str) -> int | None:
    if _is_missing(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number != int(number):
        raise WorkspaceError(
            f"{where}: expected a whole number, got {value!r}. Fix that value in the data; "
            "nothing was written."
        )
    return int(number)


def _wkb(geom: Any, *, where: str) -> bytes | None:
    if _is_missing(geom):
        return None
    try:
        if not isinstance(geom, shapely.Geometry):
            raise TypeError(f"{type(geom).__name__} is not a shapely geometry")
        return shapely.to_wkb(geom)
    except Exception as exc:  # shapely raises several types; all mean "cannot encode"
        raise WorkspaceError(
            f"{where}: the geometry {str(geom)[:80]!r} cannot be encoded as WKB ({exc}). "
            "Give a shapely geometry or None for that row; nothing was written."
        ) from exc


def _from_wkb(values: pd.Series) -> np.ndarray:
    raw = np.array([None if _is_missing(v) else bytes(v) for v in values], dtype=object)
    return shapely.from_wkb(raw)


def _crs_text(gdf: gpd.GeoDataFrame) -> str | None:
    if gdf.crs is None:
        return None
    epsg = gdf.crs.to_epsg()
    return f"EPSG:{epsg}" if epsg is not None else gdf.crs.to_wkt()


def _check_table_name(name: Any, *, argument: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{argument} must be a non-empty string, got {name!r}")
    return name


class Workspace:
    """A DuckDB workspace file.

    Open it with :meth:`open` (also a context manager)::

        with Workspace.open() as ws:
            outcome = ws.save_import(facilities, report, source, layer="elderly_care")
            gdf = ws.facilities(layer="elderly_care")

    Only one process can hold a workspace file open for writing at a time (DuckDB's file lock);
    within one process several :class:`Workspace` objects may share a file.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str) -> None:
        self._con = con
        self.path = path

    # ------------------------------------------------------------------ opening and closing
    @classmethod
    def open(cls, path: str | Path | None = None, *, read_only: bool = False) -> Self:
        """Open (and create, when absent) a workspace.

        Parameters
        ----------
        path
            The DuckDB file, or ``":memory:"``; default ``servicecircle.settings.workspace_path()``.
        read_only
            Open without the write lock (the file must exist).
        """
        target = str(workspace_path() if path is None else path)
        if target != ":memory:" and not target.startswith(":memory:"):
            parent = Path(target).resolve().parent
            if not parent.is_dir():
                raise WorkspaceError(
                    f"workspace {target!r}: folder {str(parent)!r} does not exist; create it "
                    "or choose another path (SERVICECIRCLE_WORKSPACE)."
                )
            if read_only and not Path(target).is_file():
                raise WorkspaceError(
                    f"workspace {target!r} does not exist; open it once without read_only to "
                    "create it."
                )
        try:
            con = duckdb.connect(target, read_only=read_only)
        except duckdb.Error as exc:
            hint = (
                "another program (e.g. a running app) holds it open: close that program first"
                if "lock" in str(exc).lower()
                else "check that it is a DuckDB workspace file, or choose another path"
            )
            raise WorkspaceError(f"cannot open workspace {target!r}: {exc}. {hint}.") from exc
        ws = cls(con, target)
        try:
            ws._ensure_schema(read_only=read_only)
        except BaseException:
            con.close()
            raise
        return ws

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({self.path!r})"

    def _ensure_schema(self, *, read_only: bool) -> None:
        try:
            if not read_only:
                with self._transaction("creating the workspace tables"):
                    for statement in _DDL:
                        self._con.execute(statement)
                    self._con.execute(
                        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
                        [str(SCHEMA_VERSION)],
                    )
            row = self._con.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        except duckdb.Error as exc:
            raise WorkspaceError(
                f"workspace {self.path!r} is not a servicecircle workspace ({exc}); choose "
                "another file."
            ) from exc
        version = int(row[0]) if row else None
        if version != SCHEMA_VERSION:
            raise WorkspaceError(
                f"workspace {self.path!r} has schema version {version}, this program reads "
                f"version {SCHEMA_VERSION}; upgrade servicecircle or use a new workspace file."
            )

    # ------------------------------------------------------------------ transactions
    class _Tx:
        def __init__(self, ws: Workspace, what: str) -> None:
            self.ws, self.what = ws, what

        def __enter__(self) -> None:
            self.ws._con.begin()

        def __exit__(
            self,
            exc_type: type[BaseException] | None,
            exc: BaseException | None,
            tb: TracebackType | None,
        ) -> Literal[False]:
            con = self.ws._con
            if exc is None:
                try:
                    con.commit()
                except duckdb.Error as commit_exc:
                    con.rollback()
                    raise WorkspaceError(
                        f"{self.what} failed to commit in workspace {self.ws.path!r}: "
                        f"{commit_exc}; nothing was written."
                    ) from commit_exc
                return False
            con.rollback()
            if isinstance(exc, (WorkspaceError, InputError)) or not isinstance(exc, Exception):
                return False  # re-raised as it is (it already names the row / argument)
            raise WorkspaceError(
                f"{self.what} failed in workspace {self.ws.path!r}: {exc}; nothing was written."
            ) from exc

    def _transaction(self, what: str) -> Workspace._Tx:
        return Workspace._Tx(self, what)

    def _scalar(self, query: str, params: list[Any] | None = None) -> Any:
        row = self._con.execute(query, params or []).fetchone()
        return None if row is None else row[0]

    def _df(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        try:
            return self._con.execute(query, params or []).df()
        except duckdb.Error as exc:
            raise WorkspaceError(f"reading workspace {self.path!r} failed: {exc}") from exc

    def _insert(self, table: str, columns: dict[str, list[Any]], types: dict[str, pa.DataType]):
        arrow = pa.table(
            {name: pa.array(values, type=types[name]) for name, values in columns.items()}
        )
        names = ", ".join(f'"{c}"' for c in columns)
        self._con.register("_sc_batch", arrow)
        try:
            self._con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _sc_batch")
        finally:
            self._con.unregister("_sc_batch")

    # ------------------------------------------------------------------ imports
    def save_import(
        self,
        facilities: gpd.GeoDataFrame,
        report: pd.DataFrame,
        source: Mapping[str, Any],
        *,
        layer: str,
    ) -> ImportOutcome:
        """Save one imported register: its kept facilities, its validation report and its source.

        Importing the same file content (``source["sha256"]``) for the same layer again writes
        nothing and returns the existing id with ``duplicate=True``. Everything is written in
        one transaction: on any failure it is rolled back and :class:`WorkspaceError` names the
        row.

        Parameters
        ----------
        facilities
            Kept rows: the columns of :data:`FACILITY_COLUMNS` (``layer`` may be absent: then
            ``layer`` is used), a geometry column in EPSG:4326 (None allowed); any other
            column is kept as JSON and comes back from :meth:`facilities`.
        report
            Validation report with the columns of :data:`REPORT_COLUMNS` (may be empty).
        source
            ``file`` (file name), ``sha256``, ``format``, ``encoding``, ``crs``, ``columns``
            (mapping), ``counts`` (``rows_read``, ``rows_kept``, ``rows_rejected``); other keys
            are kept in ``params``.
        layer
            The facility layer key (``servicecircle.layers.LAYERS``).
        """
        from servicecircle.layers import layer_label

        layer_label(layer)  # raises InputError for an unknown key
        if not isinstance(facilities, gpd.GeoDataFrame):
            raise InputError(
                f"facilities must be a GeoDataFrame, got {type(facilities).__name__}; build it "
                "with geopandas (geometry None where a row has no location)."
            )
        if facilities.crs is not None and facilities.crs.to_epsg() != 4326:
            raise InputError(
                f"facilities are in {facilities.crs.to_string()}; convert them to EPSG:4326 "
                "first (facilities.to_crs(4326))."
            )
        missing = [c for c in FACILITY_COLUMNS if c not in facilities.columns and c != "layer"]
        if missing:
            raise InputError(
                f"facilities lack the column(s) {', '.join(missing)}; "
                f"expected {', '.join(FACILITY_COLUMNS)}."
            )
        missing_report = [c for c in REPORT_COLUMNS if c not in report.columns]
        if missing_report:
            raise InputError(
                f"validation report lacks the column(s) {', '.join(missing_report)}; "
                f"expected {', '.join(REPORT_COLUMNS)}."
            )
        if "layer" in facilities.columns:
            declared = facilities["layer"]
            wrong = declared.notna() & (declared.astype(object) != layer)
            if wrong.any():
                pos = int(np.flatnonzero(wrong.to_numpy())[0])
                raise InputError(
                    f"facilities row {pos} (facility_id {facilities['facility_id'].iloc[pos]!r}) "
                    f"has layer {declared.iloc[pos]!r} but the import is for layer {layer!r}; "
                    "save each layer's rows with their own save_import call."
                )
        sha256 = source.get("sha256")
        if not isinstance(sha256, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", sha256):
            raise InputError(
                f"source['sha256'] must be the file's 64-hex-digit SHA-256, got {sha256!r}; "
                "compute it with hashlib.sha256(file_bytes).hexdigest()."
            )
        file_name = _text(source.get("file"), where="source['file']")
        counts = dict(source.get("counts") or {})
        rows_kept = int(counts.get("rows_kept", len(facilities)))
        rows_rejected = int(counts.get("rows_rejected", 0))
        rows_read = int(counts.get("rows_read", rows_kept + rows_rejected))
        known = {"file", "sha256", "format", "encoding", "crs", "counts"}
        params = {k: v for k, v in source.items() if k not in known}
        params_json = _dumps(params, what=f"source of {file_name!r}")

        existing = self._con.execute(
            "SELECT import_id FROM imports WHERE sha256 = ? AND layer = ?", [sha256.lower(), layer]
        ).fetchone()
        if existing is not None:
            return ImportOutcome(import_id=int(existing[0]), duplicate=True)

        label = file_name or "facilities"
        with self._transaction(f"import of {label!r}"):
            import_id = int(self._scalar("SELECT nextval('import_id_seq')"))
            self._con.execute(
                "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    import_id,
                    layer,
                    file_name,
                    sha256.lower(),
                    _text(source.get("format"), where="source['format']"),
                    _text(source.get("encoding"), where="source['encoding']"),
                    _text(source.get("crs"), where="source['crs']"),
                    rows_read,
                    rows_kept,
                    rows_rejected,
                    _now(),
                    params_json,
                ],
            )
            self._insert_report(import_id, report, label=label)
            self._insert_facilities(import_id, facilities, layer=layer, label=label)
        return ImportOutcome(import_id=import_id, duplicate=False)

    def _insert_report(self, import_id: int, report: pd.DataFrame, *, label: str) -> None:
        types = {
            "import_id": pa.int64(),
            "ord": pa.int64(),
            "row": pa.int64(),
        }
        for start in range(0, len(report), _BATCH_ROWS):
            chunk = report.iloc[start : start + _BATCH_ROWS]
            cols: dict[str, list[Any]] = {c: [] for c in ("import_id", "ord", *REPORT_COLUMNS)}
            for pos, (_, rec) in enumerate(chunk.iterrows(), start=start):
                where = f"{label}: validation report row {pos}"
                cols["import_id"].append(import_id)
                cols["ord"].append(pos)
                for c in REPORT_COLUMNS:
                    if c == "row":
                        cols[c].append(_integer(rec[c], where=f"{where}, column 'row'"))
                    else:
                        cols[c].append(_text(rec[c], where=f"{where}, column {c!r}"))
            self._insert("validation", cols, {c: types.get(c, pa.string()) for c in cols})

    def _insert_facilities(
        self, import_id: int, facilities: gpd.GeoDataFrame, *, layer: str, label: str
    ) -> None:
        geometry_name = facilities.geometry.name
        extra_columns = [
            c for c in facilities.columns if c not in FACILITY_COLUMNS and c != geometry_name
        ]
        types = {
            "import_id": pa.int64(),
            "ord": pa.int64(),
            "source_row": pa.int64(),
            "geom": pa.binary(),
        }
        names = ("import_id", "ord", *FACILITY_COLUMNS, "extra", "geom")
        for start in range(0, len(facilities), _BATCH_ROWS):
            chunk = facilities.iloc[start : start + _BATCH_ROWS]
            cols: dict[str, list[Any]] = {c: [] for c in names}
            for pos, (index, rec) in enumerate(chunk.iterrows(), start=start):
                rec_id = rec["facility_id"] if not _is_missing(rec["facility_id"]) else index
                where = f"{label}: facility row {pos} (facility_id {rec_id!r})"
                cols["import_id"].append(import_id)
                cols["ord"].append(pos)
                for c in FACILITY_COLUMNS:
                    value = rec[c] if c in facilities.columns else layer
                    if c == "source_row":
                        cols[c].append(_integer(value, where=f"{where}, column {c!r}"))
                    else:
                        cols[c].append(_text(value, where=f"{where}, column {c!r}"))
                extra = {c: (None if _is_missing(rec[c]) else rec[c]) for c in extra_columns}
                for c, v in extra.items():
                    if isinstance(v, str):
                        _text(v, where=f"{where}, column {c!r}")
                cols["extra"].append(
                    _dumps(extra, what=f"{where}, columns {extra_columns}") if extra else None
                )
                cols["geom"].append(_wkb(rec[geometry_name], where=f"{where}, geometry"))
            self._insert("facilities", cols, {c: types.get(c, pa.string()) for c in cols})

    def facilities(self, *, layer: str | None = None) -> gpd.GeoDataFrame:
        """Saved facilities (all layers, or one), in import order, as EPSG:4326 points.

        Columns: ``import_id``, the facility columns, any extra columns saved with them, and
        ``geometry`` (None where a row had no location).
        """
        where, params = ("WHERE layer = ?", [layer]) if layer is not None else ("", [])
        df = self._df(f"SELECT * FROM facilities {where} ORDER BY import_id, ord", params)
        out = df[["import_id", *FACILITY_COLUMNS]].copy()
        out["source_row"] = out["source_row"].astype("Int64")
        if df["extra"].notna().any():
            extras = pd.DataFrame.from_records(
                [json.loads(v) if isinstance(v, str) else {} for v in df["extra"]],
                index=out.index,
            )
            for c in extras.columns:
                out[c] = extras[c]
        return gpd.GeoDataFrame(out, geometry=_from_wkb(df["geom"]), crs="EPSG:4326")

    def validation(self, import_id: int | None = None) -> pd.DataFrame:
        """Saved validation report rows (of one import, or all), with ``import_id`` first."""
        where, params = ("WHERE import_id = ?", [import_id]) if import_id is not None else ("", [])
        df = self._df(f"SELECT * FROM validation {where} ORDER BY import_id, ord", params)
        df = df.drop(columns=["ord"])
        df["row"] = df["row"].astype("Int64")
        return df.reset_index(drop=True)

    def imports(self) -> pd.DataFrame:
        """One row per import, oldest first; ``params`` parsed from JSON."""
        df = self._df("SELECT * FROM imports ORDER BY import_id")
        df["params"] = [json.loads(v) if isinstance(v, str) else {} for v in df["params"]]
        return df

    def delete_import(self, import_id: int) -> None:
        """Delete an import with its facilities and validation rows (one transaction).

        Raises
        ------
        InputError
            When no import has that id.
        """
        found = self._con.execute(
            "SELECT count(*) FROM imports WHERE import_id = ?", [import_id]
        ).fetchone()
        if not found or found[0] == 0:
            raise InputError(
                f"import_id {import_id!r} is not in workspace {self.path!r}; see "
                "Workspace.imports() for the ids."
            )
        with self._transaction(f"deleting import {import_id}"):
            for table in ("facilities", "validation", "imports"):
                self._con.execute(f"DELETE FROM {table} WHERE import_id = ?", [import_id])

    # ------------------------------------------------------------------ cached layers
    def save_layer(
        self,
        name: str,
        gdf: gpd.GeoDataFrame,
        *,
        kind: str,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        """Cache a GeoDataFrame by name (replacing one of the same name), in one transaction.

        Attributes are stored as one JSON object per row and come back with the same column
        order; the index is not kept.

        Parameters
        ----------
        name
            The cache name, e.g. ``"townships:420100"``.
        gdf
            Any GeoDataFrame (its CRS is kept).
        kind
            What it is, e.g. ``"boundaries"``, ``"townships"``, ``"street_edges"``.
        params
            How it was made (JSON-serialisable), e.g. the source file and its sha256.
        """
        _check_table_name(name, argument="name")
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise InputError(f"layer {name!r}: expected a GeoDataFrame, got {type(gdf).__name__}")
        geometry_name = gdf.geometry.name
        attrs = pd.DataFrame(gdf.drop(columns=[geometry_name]))
        attrs.columns = [str(c) for c in attrs.columns]
        lines = (
            attrs.to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
            .rstrip("\n")
            .split("\n")
            if len(attrs)
            else []
        )
        if len(attrs.columns) == 0:
            lines = ["{}"] * len(gdf)
        params_json = _dumps(dict(params or {}), what=f"params of layer {name!r}")
        columns_json = _dumps(list(attrs.columns), what=f"columns of layer {name!r}")
        with self._transaction(f"saving layer {name!r}"):
            self._con.execute("DELETE FROM layer_features WHERE layer = ?", [name])
            self._con.execute("DELETE FROM layers WHERE name = ?", [name])
            self._con.execute(
                "INSERT INTO layers VALUES (?, ?, ?, ?, ?, ?, ?)",
                [name, kind, params_json, _crs_text(gdf), columns_json, len(gdf), _now()],
            )
            geoms = gdf.geometry.to_numpy()
            for start in range(0, len(gdf), _BATCH_ROWS):
                stop = min(start + _BATCH_ROWS, len(gdf))
                cols: dict[str, list[Any]] = {
                    "layer": [name] * (stop - start),
                    "ord": list(range(start, stop)),
                    "attrs": lines[start:stop],
                    "geom": [
                        _wkb(geoms[i], where=f"layer {name!r}, row {i}") for i in range(start, stop)
                    ],
                }
                self._insert(
                    "layer_features",
                    cols,
                    {
                        "layer": pa.string(),
                        "ord": pa.int64(),
                        "attrs": pa.string(),
                        "geom": pa.binary(),
                    },
                )

    def load_layer(self, name: str) -> gpd.GeoDataFrame | None:
        """A cached layer by name, or None when there is none."""
        meta = self._con.execute(
            "SELECT crs, columns FROM layers WHERE name = ?", [name]
        ).fetchone()
        if meta is None:
            return None
        crs, columns_json = meta
        columns = json.loads(columns_json) if columns_json else []
        df = self._df("SELECT attrs, geom FROM layer_features WHERE layer = ? ORDER BY ord", [name])
        records = [json.loads(v) if isinstance(v, str) else {} for v in df["attrs"]]
        attrs = (
            pd.DataFrame.from_records(records, columns=columns)
            if records
            else (pd.DataFrame(columns=columns))
        )
        return gpd.GeoDataFrame(attrs, geometry=_from_wkb(df["geom"]), crs=crs)

    def layers(self) -> pd.DataFrame:
        """Cached layers: name, kind, params, crs, columns, n_features, saved_at."""
        df = self._df("SELECT * FROM layers ORDER BY name")
        for c in ("params", "columns"):
            df[c] = [json.loads(v) if isinstance(v, str) else None for v in df[c]]
        return df

    # ------------------------------------------------------------------ runs
    def save_run(
        self,
        kind: str,
        params: Mapping[str, Any],
        tables: Mapping[str, pd.DataFrame],
        *,
        label: str = "",
    ) -> int:
        """Save an analysis run with its result tables (one transaction); returns its id.

        Tables are stored as Parquet (GeoDataFrames as GeoParquet), so list columns, dtypes
        and a named or non-default index come back as they were.

        Parameters
        ----------
        kind
            E.g. ``"coverage"``, ``"reach"``, ``"siting"``.
        params
            The run's parameters (JSON-serialisable).
        tables
            Result tables by name.
        label
            A free text label shown to the planner.
        """
        _check_table_name(kind, argument="kind")
        params_json = _dumps(dict(params), what=f"params of the {kind!r} run")
        blobs: list[tuple[str, str, bytes]] = []
        for name, table in tables.items():
            _check_table_name(name, argument="tables key")
            blobs.append((name, *_table_to_parquet(table, name=name)))
        with self._transaction(f"saving the {kind!r} run"):
            run_id = int(self._scalar("SELECT nextval('run_id_seq')"))
            self._con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?)",
                [run_id, kind, params_json, _now(), label],
            )
            for name, fmt, blob in blobs:
                self._con.execute(
                    "INSERT INTO run_tables VALUES (?, ?, ?, ?)", [run_id, name, fmt, blob]
                )
        return run_id

    def load_run(self, run_id: int) -> Run:
        """A saved run with its tables.

        Raises
        ------
        InputError
            When no run has that id.
        """
        row = self._con.execute(
            "SELECT kind, params, created_at, label FROM runs WHERE run_id = ?", [run_id]
        ).fetchone()
        if row is None:
            raise InputError(
                f"run_id {run_id!r} is not in workspace {self.path!r}; see Workspace.runs()."
            )
        kind, params_json, created_at, label = row
        tables = {
            name: _table_from_parquet(bytes(blob), fmt)
            for name, fmt, blob in self._con.execute(
                "SELECT name, format, data FROM run_tables WHERE run_id = ? ORDER BY name",
                [run_id],
            ).fetchall()
        }
        return Run(
            run_id=int(run_id),
            kind=kind,
            params=json.loads(params_json) if params_json else {},
            tables=tables,
            created_at=created_at,
            label=label or "",
        )

    def runs(self, kind: str | None = None) -> pd.DataFrame:
        """Saved runs (of one kind, or all), oldest first, with their table names."""
        where, params = ("WHERE r.kind = ?", [kind]) if kind is not None else ("", [])
        df = self._df(
            "SELECT r.run_id, r.kind, r.label, r.created_at, r.params, "
            "list(t.name ORDER BY t.name) FILTER (WHERE t.name IS NOT NULL) AS tables "
            f"FROM runs r LEFT JOIN run_tables t USING (run_id) {where} "
            "GROUP BY ALL ORDER BY r.run_id",
            params,
        )
        df["params"] = [json.loads(v) if isinstance(v, str) else {} for v in df["params"]]
        df["tables"] = [list(v) if isinstance(v, (list, np.ndarray)) else [] for v in df["tables"]]
        return df

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every table's full content, rows sorted (to check that a failed write changed nothing)."""
        names = ("meta", "imports", "facilities", "validation", "layers", "layer_features",
                 "runs", "run_tables")  # fmt: skip
        return {
            n: sorted(self._con.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names
        }

    def table_counts(self) -> dict[str, int]:
        """Row count of every workspace table (for status displays and checks)."""
        names = ("imports", "facilities", "validation", "layers", "layer_features", "runs",
                 "run_tables")  # fmt: skip
        return {n: int(self._scalar(f"SELECT count(*) FROM {n}")) for n in names}


def _table_to_parquet(table: pd.DataFrame, *, name: str) -> tuple[str, bytes]:
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"run table {name!r}: expected a DataFrame, got {type(table).__name__}")
    buffer = io.BytesIO()
    try:
        if isinstance(table, gpd.GeoDataFrame):
            table.to_parquet(buffer)
            return "geoparquet", buffer.getvalue()
        table.to_parquet(buffer)
        return "parquet", buffer.getvalue()
    except (pa.ArrowException, TypeError, ValueError) as exc:
        bad = [
            str(c)
            for c in table.columns
            if table[c].dtype == object
            and len({type(v) for v in table[c] if not _is_missing(v)}) > 1
        ]
        hint = f" (mixed value types in column(s) {', '.join(bad)})" if bad else ""
        raise WorkspaceError(
            f"run table {name!r} cannot be stored as Parquet{hint}: {exc}. Give each column "
            "one type (e.g. .astype(str)); nothing was written."
        ) from exc


def _table_from_parquet(blob: bytes, fmt: str) -> pd.DataFrame:
    table = (
        gpd.read_parquet(io.BytesIO(blob))
        if fmt == "geoparquet"
        else pd.read_parquet(io.BytesIO(blob))
    )
    for c in table.columns:  # list columns come back as numpy arrays; give lists back
        if table[c].dtype == object:
            table[c] = [v.tolist() if isinstance(v, np.ndarray) else v for v in table[c]]
    return table
