"""Imported registers: their kept facility rows and validation reports, one transaction each."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from geo._errors import InputError
from geo.registers import FACILITY_COLUMNS  # typed columns; any other goes to ``extra`` JSON
from geo.workspace.core import _Base
from geo.workspace.schema import _BATCH_ROWS, REPORT_COLUMNS, ImportOutcome
from geo.workspace.values import _dumps, _from_wkb, _integer, _is_missing, _now, _text, _wkb

#: ``imports.layer`` of a register holding several layers, and of one without kept rows
MIXED: Final = "mixed"
NO_ROWS: Final = "none"


class _Imports(_Base):
    """Saving, listing and deleting imported registers."""

    def save_import(
        self,
        facilities: gpd.GeoDataFrame,
        report: pd.DataFrame,
        source: Mapping[str, Any],
        *,
        layer: str | None,
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
            (mapping), and ``rows_read``, ``rows_kept``, ``rows_rejected`` (top level, as
            :func:`geo.registers.read_register` gives them, or in a ``counts`` mapping); other
            keys are kept in ``params``.
        layer
            The facility layer key (``geo.layers.LAYERS``); None: the rows say (a register
            whose 类型 column holds several layers is saved as ``'mixed'``, one without kept
            rows as ``'none'``; each facility row keeps its own layer).
        """
        from geo.layers import layer_label

        if layer is None:
            present = (
                sorted(set(facilities["layer"].dropna().astype(str)))
                if isinstance(facilities, pd.DataFrame) and "layer" in facilities.columns
                else []
            )
            if len(present) == 1:
                layer = present[0]
            else:
                layer = MIXED if present else NO_ROWS
        if layer not in (MIXED, NO_ROWS):
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
        if "layer" in facilities.columns and layer not in (MIXED, NO_ROWS):
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
        for key in ("rows_read", "rows_kept", "rows_rejected"):
            if key not in counts and source.get(key) is not None:
                counts[key] = source[key]  # as geo.registers.read_register describes a file
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
            fast = _report_columns(chunk, import_id, start)
            if fast is not None:
                self._insert("validation", fast, {c: types.get(c, pa.string()) for c in fast})
                continue
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
            fast = _facility_columns(chunk, import_id, start, layer, extra_columns, geometry_name)
            if fast is not None:
                self._insert("facilities", fast, {c: types.get(c, pa.string()) for c in fast})
                continue
            # something in this batch cannot be stored: go row by row to name it
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


def _facility_columns(
    chunk: gpd.GeoDataFrame,
    import_id: int,
    start: int,
    layer: str,
    extra_columns: list[str],
    geometry_name: str,
) -> dict[str, Any] | None:
    """A batch of facility rows as columns, in bulk; None when a value cannot be stored as it
    is (the caller then goes row by row to name it)."""
    n = len(chunk)
    cols: dict[str, Any] = {
        "import_id": [import_id] * n,
        "ord": list(range(start, start + n)),
    }
    for c in FACILITY_COLUMNS:
        if c not in chunk.columns:
            cols[c] = [layer] * n
            continue
        series = chunk[c]
        if c == "source_row":
            numbers = pd.to_numeric(series, errors="coerce")
            if numbers.isna().any() or not np.all(np.mod(numbers.to_numpy(dtype=float), 1) == 0):
                return None
            cols[c] = numbers.astype(np.int64).tolist()
            continue
        as_text = _text_array(series)
        if as_text is None:
            return None
        cols[c] = as_text
    geoms = chunk[geometry_name].to_numpy()
    if not all(g is None or isinstance(g, shapely.Geometry) for g in geoms):
        return None
    try:
        wkb = shapely.to_wkb(geoms)
    except (shapely.errors.GEOSException, TypeError, ValueError):
        return None
    cols["geom"] = [None if g is None else bytes(g) for g in wkb]
    if extra_columns:
        extras = pd.DataFrame(chunk[extra_columns])
        if not all(
            extras[c].map(lambda v: v is None or isinstance(v, (str, int, float, bool))).all()
            for c in extra_columns
        ):
            return None
        try:
            lines = extras.to_json(orient="records", lines=True, force_ascii=False)
            "".join(lines).encode("utf-8")
        except (ValueError, UnicodeEncodeError, OverflowError):
            return None
        cols["extra"] = lines.rstrip("\n").split("\n") if n else []
    else:
        cols["extra"] = [None] * n
    return cols


def _report_columns(chunk: pd.DataFrame, import_id: int, start: int) -> dict[str, Any] | None:
    """A batch of report rows as columns, in bulk; None when a value needs the row-by-row path."""
    n = len(chunk)
    cols: dict[str, Any] = {
        "import_id": [import_id] * n,
        "ord": list(range(start, start + n)),
    }
    for c in REPORT_COLUMNS:
        if c == "row":
            numbers = pd.to_numeric(chunk[c], errors="coerce")
            whole = numbers.dropna().to_numpy(dtype=float)
            if numbers.isna().any() or not np.all(np.mod(whole, 1) == 0):
                return None
            cols[c] = numbers.astype(np.int64).tolist()
            continue
        as_text = _text_array(chunk[c])
        if as_text is None:
            return None
        cols[c] = as_text
    return cols


def _text_array(series: pd.Series) -> pa.Array | None:
    """A column as Arrow text in bulk (missing -> null, other values str()); None when a value
    cannot be stored as UTF-8 (the caller then goes row by row to name it)."""
    values = series.to_numpy(dtype=object, na_value=None)
    if not all(v is None or type(v) is str for v in values):
        values = np.array(
            [None if _is_missing(v) else v if isinstance(v, str) else str(v) for v in values],
            dtype=object,
        )
    try:
        return pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
        return None
